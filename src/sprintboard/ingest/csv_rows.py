"""A CSV file's records numbered as a spreadsheet shows them, for the backlog tables and Jira's CSV export.

Rows are counted as a spreadsheet counts them -- the header is row 1, and a record whose quoted cell spans several
lines is still one row -- because that is where a user looks for the row an error names (a line number would
drift with every multi-line description Jira exports). Text is UTF-8, with or without a byte-order mark; line ends
may be ``\\n`` or ``\\r\\n``; blank lines (no cell with anything but blanks in it) are skipped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from sprintboard.store.errors import InputError

# A cell may hold a long description; csv's default limit is 128 KiB.
_FIELD_LIMIT = 1 << 30


def read_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header (names stripped of surrounding blanks) and ``(row number, cells)`` for each later non-blank row.

    Raises :class:`InputError` for text that is not UTF-8 or a file without a header; broken quoting is refused
    as the rows are read, naming the row.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"is not UTF-8 text (byte {exc.start})") from None
    records = _records(path, text)
    _, header = next(records, (1, []))
    header = [name.strip() for name in header]
    if not any(header):
        raise InputError(path, "has no header line")
    return header, records


def _records(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    number = 0
    try:
        for values in reader:
            number += 1
            if number == 1 or any(value.strip() for value in values):
                yield number, values
    except csv.Error as exc:
        raise InputError(path, f"is not valid CSV at row {number + 1}: {exc}") from None
