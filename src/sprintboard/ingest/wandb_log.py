"""Reading W&B's binary run log, ``run-<id>.wandb``: the container only, one protobuf ``Record`` per entry.

The format, as the wandb SDK writes it (checked against files written by wandb 0.16, 0.18 and 0.31):

* **File header**, 7 bytes: the ident ``:W&B``, a little-endian ``uint16`` magic ``0xBEE1`` and a ``uint8`` version,
  which is ``0``.
* **Blocks**: the rest is a LevelDB-style log cut into blocks of 32 KiB (32768 bytes). Blocks are counted from the
  start of the *file*, so the first block holds only 32761 bytes after the file header.
* **Chunks**: a block holds chunks, each a 7-byte chunk header -- ``uint32`` checksum, ``uint16`` data length,
  ``uint8`` type -- followed by ``length`` data bytes. A chunk never crosses a block boundary; when fewer than 7
  bytes are left in a block the writer pads them with zeros and starts the next chunk in the next block.
* **Records**: a record that fits in the rest of a block is one chunk of type FULL (1); a longer one is split into
  FIRST (2), any number of MIDDLE (3), and LAST (4). The joined data is one serialized
  ``wandb.proto.wandb_internal_pb2.Record``.
* **Checksum**: the plain zlib/IEEE CRC-32 (not LevelDB's CRC-32C, and not masked) over the type byte followed by
  the data bytes.

Damage is reported, never raised, once the file header is good; the warnings end up in ``ParsedRun.warnings``:

* A **torn tail** -- the file ends inside a chunk header, inside a chunk's data, or between the FIRST and LAST
  chunk of a record (a run still being written, or killed) -- ends the log: everything before the damaged record
  is read.
* A chunk whose checksum fails, whose type is unknown, or whose length runs past its block is **corruption**. If
  the chunk's length is plausible and a valid chunk follows it, only that chunk is dropped; otherwise reading
  resumes at the next block. The record the damaged chunk belonged to is dropped, as are continuation chunks
  (MIDDLE/LAST) whose FIRST was lost.
* A region of zeros where a chunk header should be (a preallocated or zero-filled tail) is skipped like padding.
* A record split over blocks whose next chunk is lost -- skipped as damaged, or in a skipped region of zeros -- is
  dropped with a warning naming where it began and where its next chunk should have been. Its first part is never
  joined to the continuation chunks found after the damage: they belong to another record.

Only a file that is not a W&B log at all -- empty, shorter than the header, a wrong ident or magic, an unknown
version -- raises :class:`WandbLogError`.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from wandb.proto import wandb_internal_pb2

FILE_IDENT = b":W&B"
FILE_MAGIC = 0xBEE1
FILE_VERSION = 0
FILE_HEADER = struct.Struct("<4sHB")
FILE_HEADER_LEN = FILE_HEADER.size  # 7

BLOCK_LEN = 32 * 1024
CHUNK_HEADER = struct.Struct("<IHB")
CHUNK_HEADER_LEN = CHUNK_HEADER.size  # 7

# The file is read this much at a time: whole blocks, so that no chunk is cut between two reads.
_WINDOW = 128 * BLOCK_LEN

FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
_CHUNK_TYPES = (FULL, FIRST, MIDDLE, LAST)
# The CRC runs over the type byte and then the data; the type byte's CRC is the same for every chunk of a type.
_TYPE_CRC = {kind: zlib.crc32(bytes([kind])) for kind in _CHUNK_TYPES}


class WandbLogError(ValueError):
    """A file is not a W&B run log at all; ``str()`` is ``"<path>: <message>"`` on one line."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = str(path)
        self.message = " ".join(message.split())
        super().__init__(f"{self.path}: {self.message}")


def chunk_checksum(kind: int, data: bytes) -> int:
    """The checksum of one chunk: zlib CRC-32 over the type byte followed by the data, unmasked."""
    return zlib.crc32(data, zlib.crc32(bytes([kind])))


def check_header(path: Path | str, head: bytes) -> None:
    """Raise :class:`WandbLogError` unless ``head`` (the file's first bytes) is a W&B log header."""
    if not head:
        raise WandbLogError(path, "is empty, not a W&B run log")
    if len(head) < FILE_HEADER_LEN:
        raise WandbLogError(path, f"is {len(head)} bytes long, shorter than the 7-byte W&B log header")
    ident, magic, version = FILE_HEADER.unpack_from(head)
    if ident != FILE_IDENT or magic != FILE_MAGIC:
        raise WandbLogError(path, "is not a W&B run log (it does not start with ':W&B' and magic 0xBEE1)")
    if version != FILE_VERSION:
        raise WandbLogError(path, f"is a W&B run log of version {version}; only version {FILE_VERSION} is known")


class WandbLog:
    """One ``.wandb`` file opened for reading; iterate :meth:`payloads` or :meth:`records`.

    The header is checked when the object is made (raising :class:`WandbLogError`); damage found while iterating
    is appended to :attr:`warnings` as one human-readable line each, e.g.
    ``"torn tail at byte 123456: 42 bytes ignored"``.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.warnings: list[str] = []
        with open(self.path, "rb") as handle:
            check_header(self.path, handle.read(FILE_HEADER_LEN))

    def payloads(self) -> Iterator[bytes]:
        """The serialized records, in file order, with damaged ones left out (see the module docstring)."""
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[bytes]]:
        """:meth:`payloads` a list at a time: the records of up to 4 MiB of the file, a list ending before each
        damage report, so that a reader that applies each list before asking for the next sees the reports in file
        order."""
        with open(self.path, "rb") as handle:
            check_header(self.path, handle.read(FILE_HEADER_LEN))  # again: the file may have been replaced
            handle.seek(0)
            yield from _Scanner(self.warnings).scan(handle)

    def records(self) -> Iterator[wandb_internal_pb2.Record]:
        """The decoded records; a payload that is not a valid ``Record`` is left out with a warning."""
        for index, payload in enumerate(self.payloads()):
            record = wandb_internal_pb2.Record()
            try:
                record.ParseFromString(payload)
            except Exception:  # noqa: BLE001 - protobuf raises its own DecodeError types, varying by backend
                self.warnings.append(f"record #{index + 1} ({len(payload)} bytes) is not a valid Record: skipped")
                continue
            yield record


def _windows(handle: BinaryIO) -> Iterator[tuple[int, bytes, bool]]:
    """The file in windows of whole blocks: ``(offset, bytes, is_last)``, read one ahead to know the last."""
    base, data = 0, handle.read(_WINDOW)
    while True:
        following = handle.read(_WINDOW) if len(data) == _WINDOW else b""
        yield base, data, not following
        if not following:
            return
        base, data = base + len(data), following


class _Scanner:
    """The chunk walk behind :meth:`WandbLog.payloads`.

    The file is read in windows of whole blocks (bounded memory; and not mapped, so that a file truncated while
    it is read cannot crash the process). A chunk never crosses a block, so only a record split over blocks
    carries over from one window to the next. Positions are relative to the window; warnings give file offsets.
    """

    def __init__(self, warnings: list[str]) -> None:
        self.warnings = warnings
        self.parts: list[bytes] = []  # the chunks so far of a record split over blocks, FIRST .. MIDDLE
        self.record_start = 0  # the file offset where that record began, for warnings
        self.data, self.base, self.size, self.last = b"", 0, 0, False  # the current window

    def scan(self, handle: BinaryIO) -> Iterator[list[bytes]]:
        for base, data, last in _windows(handle):
            self.data, self.base, self.size, self.last = data, base, len(data), last
            complete = yield from self._window(FILE_HEADER_LEN if base == 0 else 0)
            if not complete:
                return
        if self.parts:
            self._torn(self.record_start, "a record split over blocks")

    def _window(self, pos: int) -> Generator[list[bytes], None, bool]:
        """Yield the records that end in the current window, in lists: one before each damage report (so that a
        reader that applies each list before asking for the next sees the reports in file order) and one at the
        end. ``False`` once a torn tail ends the log."""
        data, size, base = self.data, self.size, self.base
        unpack, crc32, type_crc = CHUNK_HEADER.unpack_from, zlib.crc32, _TYPE_CRC
        parts, record_start = self.parts, self.record_start
        out: list[bytes] = []
        keep = out.append
        while pos < size:
            block_end = (pos // BLOCK_LEN + 1) * BLOCK_LEN
            if block_end - pos < CHUNK_HEADER_LEN:  # block trailer: zero padding, never a chunk
                pos = block_end
                continue
            in_place = False  # a good chunk, but not where the record being joined allows it
            if pos + CHUNK_HEADER_LEN <= size:
                checksum, length, kind = unpack(data, pos)
                start, stop = pos + CHUNK_HEADER_LEN, pos + CHUNK_HEADER_LEN + length
                if stop <= block_end and stop <= size and kind in type_crc:
                    chunk = data[start:stop]
                    if crc32(chunk, type_crc[kind]) == checksum:
                        if not parts:
                            if kind == FULL:
                                keep(chunk)
                                pos = stop
                                continue
                            if kind == FIRST:
                                parts, record_start = [chunk], base + pos
                                pos = stop
                                continue
                        elif kind == MIDDLE or kind == LAST:
                            parts.append(chunk)
                            if kind == LAST:
                                keep(b"".join(parts))
                                parts = []
                            pos = stop
                            continue
                        in_place = True
            # Damage, or a chunk out of place: reported after the records before it are handed over.
            if out:
                yield out
                out = []
                keep = out.append
            if pos + CHUNK_HEADER_LEN > size:
                self._torn(record_start if parts else base + pos, "a chunk header")
                return False
            if in_place:
                pos = stop
                if kind == MIDDLE or kind == LAST:
                    self._lost(base + start - CHUNK_HEADER_LEN, "it continues a record whose start was lost")
                    continue
                self._lost(record_start, "its LAST chunk is missing")
                parts = []
                if kind == FULL:
                    keep(chunk)
                else:
                    parts, record_start = [chunk], base + start - CHUNK_HEADER_LEN
                continue
            if stop > size and stop <= block_end and kind in type_crc:  # only possible in the last window
                self._torn(record_start if parts else base + pos, "a chunk's data")
                return False
            if parts:
                # The rest of the block is skipped or the chunk dropped; either way the record's next chunk is lost,
                # and joining its first part to a later record's continuation would make a record never written.
                self._lost(record_start, f"its next chunk, at byte {base + pos}, is lost")
                parts = []
            if checksum == 0 and length == 0 and kind == 0:
                pos = self._skip_zeros(pos, block_end)
            else:
                pos = self._resync(pos, stop, block_end, kind)
        self.parts, self.record_start = parts, record_start
        if out:
            yield out
        return True

    def _torn(self, at: int, inside: str) -> None:
        self.parts = []
        ignored = self.base + self.size - at
        self.warnings.append(f"torn tail at byte {at}: {ignored} bytes ignored (the file ends inside {inside})")

    def _lost(self, at: int, why: str) -> None:
        self.warnings.append(f"record at byte {at} dropped: {why}")

    def _skip_zeros(self, pos: int, block_end: int) -> int:
        """Skip a zero-filled region (no writer emits an all-zero chunk header) up to the next block, since the
        chunks of a block follow each other without gaps and nothing after the zeros can be found."""
        stop = min(block_end, self.size)
        at, skipped = self.base + pos, stop - pos
        if self.data[pos:stop].count(0) != skipped:
            self.warnings.append(f"corrupt chunk at byte {at}: {skipped} bytes skipped to the next block")
        elif self.last and stop == self.size:
            self.warnings.append(f"zero-filled tail at byte {at}: {skipped} bytes ignored")
        else:
            self.warnings.append(f"zero-filled region at byte {at}: {skipped} bytes skipped to the next block")
        return stop

    def _resync(self, pos: int, stop: int, block_end: int, kind: int) -> int:
        """Where to go on after a bad chunk at ``pos``: just past it if its length is plausible and what follows
        is a good chunk (one damaged record is lost), else the next block (the rest of this block is lost)."""
        if kind not in _TYPE_CRC:
            damage = f"unknown chunk type {kind}"
        elif stop > block_end:
            damage = "chunk length past the block end"
        else:
            damage = "bad checksum"
        at = self.base + pos
        if stop <= block_end and stop <= self.size and self._good_chunk_at(stop, block_end):
            self.warnings.append(f"{damage} at byte {at}: chunk of {stop - pos} bytes skipped")
            return stop
        nxt = min(block_end, self.size)
        where = "to the end of the file" if self.last and nxt == self.size else "to the next block"
        self.warnings.append(f"{damage} at byte {at}: {nxt - pos} bytes skipped {where}")
        return nxt

    def _good_chunk_at(self, pos: int, block_end: int) -> bool:
        """True if a valid chunk starts at ``pos``, or ``pos`` is where the block or the file ends."""
        if pos == self.size or block_end - pos < CHUNK_HEADER_LEN:
            return True
        if pos + CHUNK_HEADER_LEN > self.size:
            return False
        checksum, length, kind = CHUNK_HEADER.unpack_from(self.data, pos)
        stop = pos + CHUNK_HEADER_LEN + length
        if kind not in _TYPE_CRC or stop > block_end or stop > self.size:
            return False
        return zlib.crc32(self.data[pos + CHUNK_HEADER_LEN : stop], _TYPE_CRC[kind]) == checksum


def iter_records(path: Path | str, warnings: list[str] | None = None) -> Iterator[wandb_internal_pb2.Record]:
    """The ``Record`` messages of the log at ``path``; damage is appended to ``warnings`` when it is given.

    Raises :class:`WandbLogError` (on the first ``next()``) when the file is not a W&B log.
    """
    log = WandbLog(path)
    try:
        yield from log.records()
    finally:
        if warnings is not None:
            warnings.extend(log.warnings)


def encode_log(payloads: Iterable[bytes]) -> bytes:
    """The bytes of a ``.wandb`` file holding ``payloads`` (serialized records), laid out as the SDK does.

    The inverse of :meth:`WandbLog.payloads`; tests and tools use it to build logs, including deliberately
    damaged ones.
    """
    out = bytearray(FILE_HEADER.pack(FILE_IDENT, FILE_MAGIC, FILE_VERSION))
    for payload in payloads:
        first = True
        rest = memoryview(payload)
        while True:
            left = BLOCK_LEN - len(out) % BLOCK_LEN
            if left < CHUNK_HEADER_LEN:
                out += bytes(left)
                continue
            piece, rest = rest[: left - CHUNK_HEADER_LEN], rest[left - CHUNK_HEADER_LEN :]
            done = not rest
            kind = (FULL if done else FIRST) if first else (LAST if done else MIDDLE)
            out += CHUNK_HEADER.pack(chunk_checksum(kind, piece), len(piece), kind)
            out += piece
            first = False
            if done:
                break
    return bytes(out)
