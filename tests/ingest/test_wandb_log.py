"""The ``.wandb`` container reader, checked against a real log written by wandb 0.18 and against damaged copies."""

from __future__ import annotations

import random
import re
import struct
import zlib
from collections import Counter
from pathlib import Path

import pytest
from wandb.proto import wandb_internal_pb2 as pb

from sprintboard.ingest import wandb_log
from sprintboard.ingest.wandb_log import (
    BLOCK_LEN,
    CHUNK_HEADER_LEN,
    WandbLog,
    WandbLogError,
    encode_log,
    iter_records,
)
from tests.conftest import FIXTURES

NANOGPT_LOG = FIXTURES / "wandb" / "run-20241012_160630-jqe8zy9r" / "run-jqe8zy9r.wandb"
TORN = re.compile(r"torn tail at byte (\d+): (\d+) bytes ignored \(the file ends inside .+\)")


@pytest.fixture(scope="module")
def payloads() -> list[bytes]:
    log = WandbLog(NANOGPT_LOG)
    records = list(log.payloads())
    assert log.warnings == []
    return records


def _read(path: Path) -> tuple[list[bytes], list[str]]:
    log = WandbLog(path)
    return list(log.payloads()), log.warnings


def _write(tmp_path: Path, data: bytes, name: str = "run-test.wandb") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _chunks(data: bytes) -> list[tuple[int, int, int]]:
    """(offset, length, type) of every chunk, walked independently of the reader under test."""
    found, pos = [], 7
    while pos < len(data):
        if BLOCK_LEN - pos % BLOCK_LEN < CHUNK_HEADER_LEN:
            pos += BLOCK_LEN - pos % BLOCK_LEN
            continue
        _, length, kind = struct.unpack_from("<IHB", data, pos)
        found.append((pos, length, kind))
        pos += CHUNK_HEADER_LEN + length
    return found


# --- the format, as a real file has it


def test_real_log_reencodes_byte_for_byte(payloads):
    # Header, 32 KiB blocks counted from the start of the file, zero trailers, FULL/FIRST/LAST chunks and
    # checksums: writing the records back with encode_log reproduces the file exactly.
    assert encode_log(payloads) == NANOGPT_LOG.read_bytes()


def test_header_and_chunk_checksum_are_unmasked_zlib_crc32():
    data = NANOGPT_LOG.read_bytes()
    assert data[:7] == b":W&B" + struct.pack("<HB", 0xBEE1, 0)
    checksum, length, kind = struct.unpack_from("<IHB", data, 7)
    assert kind == 1 and length == 97
    assert checksum == zlib.crc32(bytes([kind]) + data[14 : 14 + length])


def test_real_log_holds_the_records_of_the_run(payloads):
    records = list(iter_records(NANOGPT_LOG))
    assert len(records) == len(payloads) == 5664
    kinds = Counter(record.WhichOneof("record_type") for record in records)
    assert kinds == {"output_raw": 5157, "stats": 460, "summary": 27, "history": 13, "files": 3, "header": 1,
                     "run": 1, "telemetry": 1, "exit": 1}
    assert records[0].header.version_info.producer.startswith("0.18.3")
    assert records[1].run.run_id == "jqe8zy9r"
    assert records[-1].exit.exit_code == 255


def test_records_split_over_blocks_are_joined():
    data = NANOGPT_LOG.read_bytes()
    kinds = Counter(kind for _, _, kind in _chunks(data))
    assert kinds == {1: 5594, 2: 70, 4: 70}  # FULL, FIRST, LAST: this log has no record longer than a block


def test_every_trailer_size_and_middle_chunks_round_trip(tmp_path):
    # Record sizes chosen so that blocks end with 0..6 bytes of padding, plus records spanning three blocks.
    sizes = []
    for trailer in range(7):
        sizes.append(BLOCK_LEN - 7 - 2 * CHUNK_HEADER_LEN - trailer - 100)
        sizes.append(100)
    sizes += [3 * BLOCK_LEN, 1, 2 * BLOCK_LEN + 5, 0]
    generator = random.Random(7)
    records = [bytes(generator.getrandbits(8) for _ in range(size)) for size in sizes]
    data = encode_log(records)
    assert Counter(kind for _, _, kind in _chunks(data))[3] >= 2  # MIDDLE chunks exist
    assert _read(_write(tmp_path, data)) == (records, [])


@pytest.mark.parametrize("blocks", [1, 2, 5])
def test_reading_in_small_windows_gives_the_same_records(monkeypatch, tmp_path, payloads, blocks):
    # The file is read a few MiB at a time; with windows of one block every split record crosses a window.
    monkeypatch.setattr(wandb_log, "_WINDOW", blocks * BLOCK_LEN)
    assert _read(NANOGPT_LOG) == (payloads, [])
    data = NANOGPT_LOG.read_bytes()
    got, warnings = _read(_write(tmp_path, data[: 40 * BLOCK_LEN + 1000]))
    assert got == payloads[: len(got)] and len(encode_log(got)) == int(TORN.fullmatch(warnings[0]).group(1))


# --- torn tails


@pytest.mark.parametrize("cut", [8, 7 + 7 + 50, 32768 + 3, 40000, 1_000_000, -1, -500])
def test_torn_tail_yields_the_records_before_it(tmp_path, payloads, cut):
    data = NANOGPT_LOG.read_bytes()
    size = cut if cut > 0 else len(data) + cut
    got, warnings = _read(_write(tmp_path, data[:size]))
    assert got == payloads[: len(got)]
    assert len(got) < len(payloads)
    assert len(warnings) == 1
    match = TORN.fullmatch(warnings[0])
    assert match, warnings[0]
    torn_at = int(match.group(1))
    assert int(match.group(2)) == size - torn_at
    assert len(encode_log(got)) == torn_at  # nothing good was dropped: the damage starts where the reading ends


@pytest.mark.parametrize(("past_block_end", "inside"), [(0, "a record split over blocks"), (20, "a chunk's data")])
def test_torn_tail_inside_a_record_split_over_blocks(tmp_path, past_block_end, inside):
    data = NANOGPT_LOG.read_bytes()
    first = next(offset for offset, _, kind in _chunks(data) if kind == 2)
    size = (first // BLOCK_LEN + 1) * BLOCK_LEN + past_block_end
    got, warnings = _read(_write(tmp_path, data[:size]))
    assert len(encode_log(got)) == first  # the whole split record is dropped, not just its torn part
    assert warnings == [f"torn tail at byte {first}: {size - first} bytes ignored (the file ends inside {inside})"]


def test_cut_exactly_after_a_record_is_a_clean_shorter_log(tmp_path, payloads):
    prefix = encode_log(payloads[:1000])
    assert NANOGPT_LOG.read_bytes().startswith(prefix)
    assert _read(_write(tmp_path, prefix)) == (payloads[:1000], [])


def test_header_only_log_has_no_records(tmp_path):
    assert _read(_write(tmp_path, NANOGPT_LOG.read_bytes()[:7])) == ([], [])


def test_zero_filled_tail_is_ignored_with_a_warning(tmp_path, payloads):
    data = NANOGPT_LOG.read_bytes()
    got, warnings = _read(_write(tmp_path, data + bytes(5000)))
    assert got == payloads
    assert warnings == [f"zero-filled tail at byte {len(data)}: 5000 bytes ignored"]


# --- corruption in the middle


def test_bad_checksum_in_the_middle_drops_one_record(tmp_path, payloads):
    data = bytearray(NANOGPT_LOG.read_bytes())
    offset, length, kind = next(c for c in _chunks(bytes(data)) if c[0] > 20 * BLOCK_LEN and c[2] == 1)
    data[offset + CHUNK_HEADER_LEN + length // 2] ^= 0xFF
    got, warnings = _read(_write(tmp_path, bytes(data)))
    assert warnings == [f"bad checksum at byte {offset}: chunk of {CHUNK_HEADER_LEN + length} bytes skipped"]
    assert len(got) == len(payloads) - 1
    assert got[-1] == payloads[-1]  # everything after the damage is read, up to the exit record


def test_bad_length_skips_to_the_next_block(tmp_path, payloads):
    data = bytearray(NANOGPT_LOG.read_bytes())
    chunks = _chunks(bytes(data))
    offset, _, _ = next(c for c in chunks if c[0] > 30 * BLOCK_LEN and c[2] == 1)
    block_end = (offset // BLOCK_LEN + 1) * BLOCK_LEN
    data[offset + 4 : offset + 6] = struct.pack("<H", 60000)
    got, warnings = _read(_write(tmp_path, bytes(data)))
    assert warnings[0] == (f"chunk length past the block end at byte {offset}: {block_end - offset} bytes "
                           "skipped to the next block")
    # Lost: every record that ends in the rest of this block, and one split record that starts there.
    before = sum(1 for at, _, kind in chunks if at < offset and kind in (1, 4))
    lost = sum(1 for at, _, kind in chunks if offset <= at < block_end and kind in (1, 2))
    assert got == payloads[:before] + payloads[before + lost :]


def test_lost_block_start_drops_the_continuation(tmp_path):
    # A record split over two blocks loses its FIRST chunk: the LAST chunk alone is not a record.
    records = [b"a" * 100, b"b" * BLOCK_LEN, b"c" * 100]
    data = bytearray(encode_log(records))
    data[7 + 7 + 100 + 7 + 10] ^= 1  # inside the FIRST chunk of the long record
    got, warnings = _read(_write(tmp_path, bytes(data)))
    assert got == [records[0], records[2]]
    assert warnings == [f"bad checksum at byte 114: chunk of {BLOCK_LEN - 114} bytes skipped",
                        f"record at byte {BLOCK_LEN} dropped: it continues a record whose start was lost"]


@pytest.mark.parametrize("window_blocks", [128, 1])
def test_a_zero_filled_block_never_joins_the_parts_of_two_records(tmp_path, monkeypatch, window_blocks):
    # Record 1 starts in block 0 and ends in block 1; record 2 starts in block 1 and ends in block 2. With block 1
    # zeroed, record 1's first part and record 2's last part must not make one record, even when they happen to
    # add up to a valid one; both records are lost, and each loss is reported where it lies.
    monkeypatch.setattr(wandb_log, "_WINDOW", window_blocks * BLOCK_LEN)
    records = [b"a" * 100, b"b" * BLOCK_LEN, b"c" * BLOCK_LEN, b"d" * 100]
    data = bytearray(encode_log(records))
    data[BLOCK_LEN : 2 * BLOCK_LEN] = bytes(BLOCK_LEN)
    got, warnings = _read(_write(tmp_path, bytes(data)))
    assert got == [records[0], records[3]]
    assert warnings == [f"record at byte 114 dropped: its next chunk, at byte {BLOCK_LEN}, is lost",
                        f"zero-filled region at byte {BLOCK_LEN}: {BLOCK_LEN} bytes skipped to the next block",
                        f"record at byte {2 * BLOCK_LEN} dropped: it continues a record whose start was lost"]


def test_a_damaged_middle_chunk_drops_its_record(tmp_path):
    records = [b"a" * 100, b"b" * (2 * BLOCK_LEN), b"c" * 100]  # the long one: FIRST, MIDDLE, LAST
    data = bytearray(encode_log(records))
    data[BLOCK_LEN + 50] ^= 1  # inside the MIDDLE chunk, which fills block 1
    got, warnings = _read(_write(tmp_path, bytes(data)))
    assert got == [records[0], records[2]]
    assert warnings == [f"record at byte 114 dropped: its next chunk, at byte {BLOCK_LEN}, is lost",
                        f"bad checksum at byte {BLOCK_LEN}: chunk of {BLOCK_LEN} bytes skipped",
                        f"record at byte {2 * BLOCK_LEN} dropped: it continues a record whose start was lost"]


def test_unknown_chunk_type_is_skipped(tmp_path):
    records = [b"one", b"two", b"three"]
    data = bytearray(encode_log(records))
    second = 7 + 7 + 3
    data[second + 6] = 9
    got, warnings = _read(_write(tmp_path, bytes(data)))
    assert got == [b"one", b"three"]
    assert warnings == [f"unknown chunk type 9 at byte {second}: chunk of 10 bytes skipped"]


def test_invalid_record_bytes_are_skipped_by_iter_records(tmp_path):
    good = pb.Record(num=1)
    good.exit.exit_code = 3
    path = _write(tmp_path, encode_log([b"\xff\xff\xff", good.SerializeToString()]))
    warnings: list[str] = []
    records = list(iter_records(path, warnings))
    assert [r.exit.exit_code for r in records] == [3]
    assert warnings == ["record #1 (3 bytes) is not a valid Record: skipped"]


# --- not a W&B log at all


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty, not a W&B run log"),
        (b":W&B", "is 4 bytes long, shorter than the 7-byte W&B log header"),
        (bytes(random.Random(1).getrandbits(8) for _ in range(4096)),
         "is not a W&B run log (it does not start with ':W&B' and magic 0xBEE1)"),
        (b"step,loss\n1,0.5\n", "is not a W&B run log (it does not start with ':W&B' and magic 0xBEE1)"),
        (b":W&B\xe1\xbe\x01" + bytes(20), "is a W&B run log of version 1; only version 0 is known"),
    ],
)
def test_not_a_wandb_log_raises(tmp_path, content, message):
    path = _write(tmp_path, content)
    with pytest.raises(WandbLogError) as caught:
        list(iter_records(path))
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == f"{path}: {message}"
    assert "\n" not in str(caught.value)
    with pytest.raises(WandbLogError):
        WandbLog(path)
