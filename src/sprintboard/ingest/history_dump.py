"""One run's history as the W&B public API returns it (``run.history()`` or ``run.scan_history()``), written to a file
with pandas: CSV (``to_csv``, with or without the index column) or JSON (``to_json(orient="records")``, or JSON lines
with ``lines=True``).

Each row (record) is one step of the run:

* ``_step`` is the step (a whole number; a row without one is refused), ``_timestamp`` the wall-clock time in epoch
  seconds, ``_runtime`` seconds since the run started; other keys starting with ``_`` (W&B's own) are dropped, as
  the run-log reader drops them;
* every other column is a metric key; an empty cell, pandas' ``NaN``, or a JSON ``null`` means the key was not
  logged at that step (pandas writes a logged NaN and a missing value alike, so the two cannot be told apart);
* values are typed cell by cell (:func:`sprintboard.ingest.csv_cells.cell_value`): a string in an otherwise
  numeric column stays text; a dict cell (pandas writes a media reference as ``{'_type': 'html-file', ...}``) is a
  dict;
* a whole number too large for a float (10**400) is kept as its digits, with a warning
  (:mod:`sprintboard.ingest.large_numbers`); a ``_step`` beyond the store's 64-bit steps, or a ``_timestamp`` or
  ``_runtime`` that large, is refused;
* a JSON record with a key written twice is refused, naming the key (``json`` would keep the last value silently;
  a CSV dump with a column twice is refused too).

The file holds neither the run's id nor its name. Its run is the one named with ``sprintboard ingest --run ID``;
without it, the file name without its last suffix (``2y053857_history.csv`` is run ``2y053857_history``). That is the
only thing taken from the name: the format is recognised by the content (a ``_step`` column or key).

The dump holds history only, so its run is marked ``logged_data_only`` (the store keeps the run's fields, config
and summary).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sprintboard.ingest import strict_json
from sprintboard.ingest.csv_cells import cell_value, is_number, read_csv
from sprintboard.ingest.large_numbers import LargeNumbers, abbreviated, beyond_float
from sprintboard.ingest.parsed import ParsedRun, flatten
from sprintboard.store.errors import InputError

STEP, TIMESTAMP, RUNTIME = "_step", "_timestamp", "_runtime"
_PANDAS_INDEX = re.compile(r"^(|Unnamed: \d+)$")  # to_csv writes the index under an empty name
_MISSING_CELLS = frozenset({"", "nan", "NaN"})
_STEP_KEY = re.compile(r'"_step"\s*:')
_STEPS = range(-(2**63), 2**63)  # the store's step column is a BIGINT


def looks_like_history_csv(header: list[str]) -> bool:
    """A history dump in CSV has a ``_step`` column."""
    return STEP in header


def history_json_layout(head: str) -> str | None:
    """``"records"`` for a JSON list of records, ``"lines"`` for JSON lines, when the first record (in ``head``, the
    start of the file) has a ``_step`` key; ``None`` otherwise."""
    text = head.lstrip("\ufeff \t\r\n")
    if text.startswith("[") and _STEP_KEY.search(text):
        return "records"
    if text.startswith("{") and _STEP_KEY.search(text.split("\n", 1)[0]):
        return "lines"
    return None


def parse_history_dump(path: Path | str, run_id: str | None = None) -> list[ParsedRun]:
    """Parse a CSV or JSON history dump into one history-only :class:`ParsedRun`; see the module docstring.

    Raises :class:`InputError` for a malformed file, a JSON record with a repeated key, a row without a whole-number
    ``_step`` the store can hold, or a ``_timestamp`` or ``_runtime`` that is not a number.
    """
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(64).decode("utf-8-sig", errors="ignore")
    rows = _json_rows(path) if head.lstrip(" \t\r\n").startswith(("[", "{")) else _csv_rows(path)
    if not rows:
        raise InputError(path, "holds no history rows")
    run = ParsedRun(run_id=run_id or path.stem, logged_data_only=True)
    large = LargeNumbers()
    for where, row in rows:
        if row.get(STEP) is None:
            raise InputError(path, f"{where}: no {STEP}")
        step = _step(path, where, row[STEP])
        timestamp = _seconds(path, where, row, TIMESTAMP)
        runtime = _seconds(path, where, row, RUNTIME)
        for key, value in flatten({k: v for k, v in row.items() if not k.startswith("_")}).items():
            if beyond_float(value):
                value = large.kept(value, f"{where}, key {key!r}")
            run.history.append(step, timestamp, runtime, key, value)
    if warning := large.warning():
        run.warnings.append(warning)
    return [run]


def _csv_rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    table = read_csv(path, allow_unnamed_first=True)
    if not looks_like_history_csv(table.header):
        raise InputError(path, f"is not a W&B history dump (no {STEP} column)")
    skip_first = bool(_PANDAS_INDEX.match(table.header[0]))
    columns = list(enumerate(table.header))[1 if skip_first else 0 :]
    return [(f"line {line}", {name: cell_value(values[index]) for index, name in columns
                              if values[index] not in _MISSING_CELLS})
            for line, values in table.rows()]


def _json_rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"is not UTF-8 text (byte {exc.start})") from None
    if text.lstrip().startswith("["):
        try:
            records = strict_json.loads(text)
        except strict_json.RepeatedKeyError as exc:
            raise InputError(path, _repeated(exc, "record")) from None
        except ValueError as exc:
            raise InputError(path, f"is not valid JSON: {exc}") from None
        except RecursionError:
            raise InputError(path, "is not a history dump: its JSON is nested too deeply to read") from None
        if not isinstance(records, list):
            raise InputError(path, "is not a list of history records")
        numbered: Iterator[tuple[str, Any]] = ((f"record {i}", r) for i, r in enumerate(records))
    else:
        numbered = _json_lines(path, text)
    rows = []
    for where, record in numbered:
        if not isinstance(record, dict):
            raise InputError(path, f"{where} is not a JSON object")
        rows.append((where, {str(key): value for key, value in record.items() if value is not None}))
    return rows


def _json_lines(path: Path, text: str) -> Iterator[tuple[str, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"line {number}", strict_json.loads(line)
        except strict_json.RepeatedKeyError as exc:
            raise InputError(path, f"line {number}: {_repeated(exc)}") from None
        except ValueError as exc:
            raise InputError(path, f"line {number} is not valid JSON: {exc}") from None
        except RecursionError:
            raise InputError(path, f"line {number} is nested too deeply to read") from None


def _repeated(exc: strict_json.RepeatedKeyError, record: str | None = None) -> str:
    """The reason for a key written twice: ``record 0: key 'loss' appears more than once``. With ``record``, the
    path's first part is the record's index in the list of records."""
    where = exc.where
    prefix = ""
    if record is not None and where:
        prefix, where = f"{record} {where[0]}: ", where[1:]
    return (f"{prefix}key {strict_json.dotted(where, exc.key)!r} appears more than once, so which value was logged "
            "cannot be told")


def _step(path: Path, where: str, value: Any) -> int:
    whole = type(value) is int or (is_number(value) and math.isfinite(value) and value.is_integer())
    if whole and int(value) in _STEPS:
        return int(value)
    if whole or beyond_float(value):
        raise InputError(path, f"{where}: {STEP} {abbreviated(value)} is beyond the steps the store holds "
                               "(64-bit whole numbers)")
    raise InputError(path, f"{where}: {STEP} {value!r} is not a whole number")


def _seconds(path: Path, where: str, row: dict[str, Any], key: str) -> float | None:
    value = row.get(key)
    if value is None:
        return None
    if beyond_float(value):
        raise InputError(path, f"{where}: {key} {abbreviated(value)} is too large for a number of seconds")
    if not is_number(value):
        raise InputError(path, f"{where}: {key} {value!r} is not a number of seconds")
    return float(value)
