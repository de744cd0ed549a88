"""Reading CSV files: the header, the rows, and one typed value per cell.

Shared by the W&B exports Sprintboard reads (runs table, chart panel, API history dump) and, through
:func:`read_rows`, by the backlog tables and Jira's CSV export. Files are read as UTF-8 with or without a
byte-order mark, with ``\\n`` or ``\\r\\n`` line ends. Every cell is read as a string and
typed on its own by :func:`cell_value`, never by a column-wide guess, so a numeric column with one string in it keeps
that string as text, and nothing is coerced behind the user's back (pandas' ``read_csv`` would turn ``"007"`` into 7
and a column holding one word into all-text).

A file is refused (:class:`InputError`, one line naming the line or column) when it is not UTF-8, when its quoting is
broken, when a row has more or fewer values than the header has columns, or when two columns have the same name --
a duplicated name would make the second column overwrite the first without anyone noticing.

The W&B exports are read as a stream (:func:`read_csv`), a line at a time, and no line or row may be longer than
:data:`MAX_LINE_BYTES`: a file with a longer one (a damaged or mislabelled file; one line of a W&B export holds one
run or one step) is refused as soon as the reader reaches it, without reading the rest or splitting the line into
cells.
"""

from __future__ import annotations

import ast
import codecs
import csv
import io
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sprintboard.ingest.large_numbers import LongDigits
from sprintboard.store.errors import InputError

# W&B writes numbers as JSON does; pandas writes Python reprs. Numbers with leading zeros ("007", an id or a zip
# code) are not numbers in either, so they stay text.
_INT = re.compile(r"^-?(?:0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOATS = {"NaN": math.nan, "nan": math.nan, "Infinity": math.inf, "inf": math.inf,
                   "-Infinity": -math.inf, "-inf": -math.inf}
# A cell may hold a whole JSON document (a media reference, a long list); csv's default limit is 128 KiB.
_FIELD_LIMIT = 1 << 30
# The longest line or row (a record whose quoted cells span lines) read_csv reads. A runs table of 10,000 config
# columns has lines of a few hundred KB, a history row with a logged histogram a few KB; 64 MiB is far beyond any.
MAX_LINE_BYTES = 64 << 20
_BOM = codecs.BOM_UTF8
_BOOLEANS = {"true": True, "false": False, "True": True, "False": False}  # W&B writes true, pandas True


def cell_value(text: str) -> Any:
    """The value one non-empty CSV cell holds.

    * ``true``/``false`` (and pandas' ``True``/``False``) are booleans;
    * integers are ``int`` and decimals ``float``; ``NaN``, ``Infinity``, ``-Infinity`` (and ``nan``, ``inf``,
      ``-inf``) are the float values; a number with leading zeros (``007``) stays text; an integer longer than
      Python converts (4,300 digits) is :class:`~sprintboard.ingest.large_numbers.LongDigits`, its digits (one
      too large for a float is an ``int`` still: see :mod:`sprintboard.ingest.large_numbers`);
    * a cell that starts with ``[`` or ``{`` and parses as a JSON (W&B) or Python-literal (pandas) list or dict is
      that list or dict, so ``["gene","phenotype"]`` is a list and a media reference is a dict;
    * anything else is the text as written.

    An empty cell means "no value" and is never passed here: callers leave the key out.
    """
    if text in _BOOLEANS:
        return _BOOLEANS[text]
    if _INT.match(text):
        try:
            return int(text)
        except ValueError:  # more digits than Python converts (4300): no logged number is that long
            return LongDigits(text)
    if _FLOAT.match(text):
        return float(text)
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    if text and text[0] in "[{":
        return _container(text)
    return text


def _container(text: str) -> Any:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        try:
            value = ast.literal_eval(text)  # pandas writes a dict cell as its repr: {'_type': 'html-file', ...}
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return text
    return value if isinstance(value, list | dict) else text


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass
class CsvFile:
    """A CSV file's header and rows. ``rows()`` reads the file again, as a stream, and yields ``(line, values)``
    with the line number a user sees in an editor (of the row's last line, when a quoted value spans several), each
    row as long as the header."""

    path: Path
    header: list[str]

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        width = len(self.header)
        with open(self.path, "rb") as handle:
            lines = _Lines(self.path, handle)
            reader = _reader(lines)
            try:
                header_seen = False
                for values in reader:
                    lines.record_done()
                    if not values:
                        continue  # a blank line, usually the last one
                    if not header_seen:
                        header_seen = True
                        continue
                    if len(values) != width:
                        raise InputError(self.path, f"line {reader.line_num} has {len(values)} values where the "
                                                    f"header has {width} columns")
                    yield reader.line_num, values
            except csv.Error as exc:
                raise InputError(self.path, f"is not valid CSV at line {reader.line_num}: {exc}") from None


def read_csv(path: Path, allow_unnamed_first: bool = False) -> CsvFile:
    """The header of a CSV file, whose rows :meth:`CsvFile.rows` reads; raises :class:`InputError` for a header that
    is not UTF-8 text or has a duplicated or missing column name (rows are checked as they are read: UTF-8, quoting,
    length, :data:`MAX_LINE_BYTES`). ``allow_unnamed_first`` lets the first column be unnamed, as the index column
    pandas writes is."""
    with open(path, "rb") as handle:
        lines = _Lines(path, handle)
        try:
            header = next((record for record in _reader(lines) if record), None)
        except csv.Error:
            header = None
    if header is None:
        raise InputError(path, "has no header line")
    check_header(path, header, allow_unnamed_first)
    return CsvFile(path, header)


class _Lines:
    """The lines of a UTF-8 file (byte-order mark dropped), decoded one at a time for ``csv.reader``.

    Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r``, as Python's universal newlines split them, so ``csv.reader``
    counts lines as it does over a file opened with ``newline=""``. A line, or a record (the lines read since the
    last :meth:`record_done`: a quoted cell may span several), longer than :data:`MAX_LINE_BYTES` is refused before
    more of it is read; text that is not UTF-8 is refused naming the byte's offset in the file.
    """

    def __init__(self, path: Path, handle: io.BufferedReader) -> None:
        self.path = path
        self.handle = handle
        self.offset = 0  # bytes of the file read so far
        self.number = 0  # lines handed out so far
        self.record_bytes = 0
        self.pending: list[bytes] = []  # the later parts of a line split at a lone \r, last first

    def __iter__(self) -> _Lines:
        return self

    def record_done(self) -> None:
        self.record_bytes = 0

    def __next__(self) -> str:
        if self.pending:
            raw = self.pending.pop()
        else:
            raw = self.handle.readline(MAX_LINE_BYTES + 1)
            if not raw:
                raise StopIteration
            if len(raw) > MAX_LINE_BYTES:
                self._too_long(f"line {self.number + 1} is")
            if self.offset == 0 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
                self.offset = len(_BOM)
            # a lone \r ends a line too (as universal newlines read it); \r\n at the end is one line end
            if b"\r" in raw and raw.count(b"\r") > raw.endswith(b"\r\n"):
                parts = raw.splitlines(keepends=True)
                raw = parts[0]
                self.pending = parts[:0:-1]
        self.number += 1
        self.record_bytes += len(raw)
        if self.record_bytes > MAX_LINE_BYTES:
            self._too_long(f"the row that runs to line {self.number} is")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(self.path, f"is not UTF-8 text (byte {self.offset + exc.start})") from None
        self.offset += len(raw)
        return text

    def _too_long(self, what: str) -> None:
        limit = f"{MAX_LINE_BYTES >> 20} MiB" if MAX_LINE_BYTES % (1 << 20) == 0 else f"{MAX_LINE_BYTES:,} bytes"
        raise InputError(self.path, f"{what} longer than {limit}, the most Sprintboard reads: no W&B export writes "
                                    "a line that long (one line holds one run or one step)")


def read_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """For the backlog tables and Jira's CSV export: the header (names stripped of surrounding blanks) and
    ``(row number, cells)`` for each later non-blank row. Rows are counted as a spreadsheet counts them (the header
    is row 1; a record whose quoted cell spans several lines is one row), because that is where a user looks for
    the row an error names: line numbers drift with every multi-line description Jira exports. Repeated column
    names are allowed (Jira repeats ``Sprint`` and ``Labels``) and row lengths are the caller's to check.

    Raises :class:`InputError` for text that is not UTF-8 or a file without a header; broken quoting is refused
    as the rows are read, naming the row.
    """
    records = _numbered_records(path, _utf8_text(path))
    _, header = next(records, (1, []))
    header = [name.strip() for name in header]
    if not any(header):
        raise InputError(path, "has no header line")
    return header, records


def _numbered_records(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    number = 0
    try:
        for values in _reader(text):
            number += 1
            if number == 1 or any(value.strip() for value in values):
                yield number, values
    except csv.Error as exc:
        raise InputError(path, f"is not valid CSV at row {number + 1}: {exc}") from None


def _utf8_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"is not UTF-8 text (byte {exc.start})") from None


def _reader(source: str | _Lines):
    """A strict ``csv.reader`` over a whole text or over :class:`_Lines`."""
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    return csv.reader(io.StringIO(source, newline="") if isinstance(source, str) else source, strict=True)


def head_records(head: bytes, whole_file: bool) -> list[list[str]]:
    """The first two complete CSV records (header and first row) in the first bytes of a file; fewer when the bytes
    hold fewer, none when they are not UTF-8 text. ``whole_file`` says the bytes are all the file holds."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        text = decoder.decode(head, final=whole_file)
    except UnicodeDecodeError:
        return []
    if not whole_file:
        text = text[: text.rfind("\n") + 1]  # complete lines only
    records: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), strict=True):
            if record:
                records.append(record)
            if len(records) == 2:
                break
    except csv.Error:
        pass  # a quoted value cut off by the end of the head; the records before it stand
    return records


def check_header(path: Path, header: list[str], allow_unnamed_first: bool = False) -> None:
    """Refuse a header in which a column name appears twice or, except where allowed, is empty."""
    seen: set[str] = set()
    for index, name in enumerate(header):
        if name in seen:
            raise InputError(path, f"column {name!r} appears more than once in the header")
        seen.add(name)
        if not name.strip() and not (allow_unnamed_first and index == 0):
            raise InputError(path, f"column {index + 1} of the header has no name")
