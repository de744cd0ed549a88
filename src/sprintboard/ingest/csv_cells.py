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

from sprintboard.store.errors import InputError

# W&B writes numbers as JSON does; pandas writes Python reprs. Numbers with leading zeros ("007", an id or a zip
# code) are not numbers in either, so they stay text.
_INT = re.compile(r"^-?(?:0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOATS = {"NaN": math.nan, "nan": math.nan, "Infinity": math.inf, "inf": math.inf,
                   "-Infinity": -math.inf, "-inf": -math.inf}
# A cell may hold a whole JSON document (a media reference, a long list); csv's default limit is 128 KiB.
_FIELD_LIMIT = 1 << 30
_BOOLEANS = {"true": True, "false": False, "True": True, "False": False}  # W&B writes true, pandas True


def cell_value(text: str) -> Any:
    """The value one non-empty CSV cell holds.

    * ``true``/``false`` (and pandas' ``True``/``False``) are booleans;
    * integers are ``int`` and decimals ``float``; ``NaN``, ``Infinity``, ``-Infinity`` (and ``nan``, ``inf``,
      ``-inf``) are the float values; a number with leading zeros (``007``) stays text;
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
            return text
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
    """A CSV file's header and rows. ``rows()`` yields ``(line, values)`` with the line number a user sees in an
    editor (of the row's last line, when a quoted value spans several), each row as long as the header."""

    path: Path
    header: list[str]
    _text: str

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        reader = _reader(self._text)
        try:
            header_seen = False
            for values in reader:
                if not values:
                    continue  # a blank line, usually the last one
                if not header_seen:
                    header_seen = True
                    continue
                if len(values) != len(self.header):
                    raise InputError(self.path, f"line {reader.line_num} has {len(values)} values where the header "
                                                f"has {len(self.header)} columns")
                yield reader.line_num, values
        except csv.Error as exc:
            raise InputError(self.path, f"is not valid CSV at line {reader.line_num}: {exc}") from None


def read_csv(path: Path, allow_unnamed_first: bool = False) -> CsvFile:
    """Read a whole CSV file; raises :class:`InputError` for text that is not UTF-8 or a header with a duplicated or
    missing column name (rows are checked as :meth:`CsvFile.rows` yields them). ``allow_unnamed_first`` lets the
    first column be unnamed, as the index column pandas writes is."""
    text = _utf8_text(path)
    header = first_record(text)
    if header is None:
        raise InputError(path, "has no header line")
    check_header(path, header, allow_unnamed_first)
    return CsvFile(path, header, text)


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


def _reader(text: str):
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    return csv.reader(io.StringIO(text, newline=""), strict=True)


def first_record(text: str) -> list[str] | None:
    """The first CSV record of ``text`` (the header), or ``None`` when the text holds none."""
    try:
        return next((r for r in csv.reader(io.StringIO(text, newline=""), strict=True) if r), None)
    except csv.Error:
        return None


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
