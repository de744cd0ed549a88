"""The runs table of a W&B project, as its web page exports it ("Export CSV" above the runs table): one run per row.

Columns: W&B's fixed columns -- ``Name, State, Notes, User, Tags, Created, Runtime, Sweep`` by default, and ``ID``,
``End Time``, ``Updated`` when the user adds them -- then the config keys, then the summary keys, both flattened with
``.`` and written without a prefix. The user may have removed or reordered any column.

Per row:

* ``state`` as exported (``finished``, ``failed``, ``crashed``, ...; ``unknown`` when empty or absent);
* ``notes``: ``-`` (what W&B writes for none) and an empty cell are no notes; ``user`` and ``sweep_id``: empty is none;
* ``tags``: comma-separated;
* ``created_at``: ISO 8601 (``2026-05-25T14:08:33.000Z``) as naive UTC;
* ``runtime_s``: ``Runtime`` in seconds; when that column was removed, ``End Time`` minus ``Created``;
* ``Updated`` is not kept (the store has no column for it);
* config and summary values typed cell by cell (:func:`sprintboard.ingest.csv_cells.cell_value`); an empty cell means
  the run has no such key, not an empty value;
* a dict cell is flattened into dotted keys (``{"a": 3}`` in column ``lr`` is key ``lr.a``). A key that a column of
  its own also holds (a column ``lr.a``) keeps that column's value, and the run gets a warning naming the key; of
  two dict cells that give the same key, the first column's value is kept, with a warning too;
* a whole number too large for a float (10**400) is kept as its digits, with a warning
  (:mod:`sprintboard.ingest.large_numbers`); its ``value_json`` is then those digits as a JSON string. A
  ``Runtime`` that large is refused.

Run identity: the ``ID`` column (W&B's run id) when it is there and filled. Otherwise the id is made from the display
name, ``name:<Name>``; a chart export names its runs by display name too and uses the same id, so the two land on one
run. Display names are not unique in W&B, though: runs sharing one get ``name:<Name>@<Created>``
(``name:baseline@2026-05-25T14:08:33Z``) with a warning, and a file in which two such runs also share their start
time is refused (export it with the ``ID`` column).

Config or summary: the export does not mark which is which, so :func:`split_columns` decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sprintboard.ingest.csv_cells import cell_value, is_number, read_csv
from sprintboard.ingest.large_numbers import LargeNumbers, abbreviated, beyond_float
from sprintboard.ingest.parsed import ParsedRun, flatten, naive_utc
from sprintboard.store.errors import InputError

DEFAULT_FIXED_COLUMNS = ("Name", "State", "Notes", "User", "Tags", "Created", "Runtime", "Sweep")
OPTIONAL_FIXED_COLUMNS = ("ID", "End Time", "Updated")
FIXED_COLUMNS = frozenset(DEFAULT_FIXED_COLUMNS + OPTIONAL_FIXED_COLUMNS)
_SIGNATURE = ("State", "Created", "Runtime", "Tags", "ID")
SUMMARY_FROM_ADVICE = "name the first summary column with --summary-from COLUMN"


def looks_like_runs_table(header: list[str]) -> bool:
    """A runs-table export has a ``Name`` column and at least two of State, Created, Runtime, Tags, ID."""
    return "Name" in header and sum(column in header for column in _SIGNATURE) >= 2


@dataclass
class ColumnSplit:
    """Which data columns are config and which summary; ``warning`` says how sure the split is, when it is not."""

    config: list[str]
    summary: list[str]
    warning: str | None = None


def split_columns(header: list[str], summary_from: str | None = None) -> ColumnSplit:
    """Tell config columns from summary columns.

    With ``summary_from`` (the ``--summary-from`` option) the data columns before it are config and the rest summary.
    Otherwise W&B's own arrangement is relied on: config keys sorted, then summary keys sorted, in code-point order
    (``final/MCC`` before ``final/accuracy``, ``MRR`` before ``Mean Rank``, as W&B's exports show). The data columns
    then form two sorted runs, and the summary starts where the order restarts. One column out of that order (dragged
    in the UI) is tolerated when setting it aside leaves two sorted runs that agree on where the summary starts; it
    stays on the side its position puts it, and a warning says where the order breaks.

    The guess is not made -- all data columns become summary, with a warning naming ``--summary-from`` -- when the
    columns do not form two sorted runs that way (no restart at all, or several), or when the fixed columns are not
    where and how W&B puts them (first, in the default order): that table was arranged by hand, and a hand-arranged
    table can form two sorted runs by accident.
    """
    data = [column for column in header if column not in FIXED_COLUMNS]
    if summary_from is not None:
        if summary_from not in data:
            raise ValueError(f"--summary-from {summary_from!r} is not one of the file's config or summary columns")
        start = data.index(summary_from)
        return ColumnSplit(data[:start], data[start:])
    if not data:
        return ColumnSplit([], [])
    if not _arranged_by_wandb(header):
        return _all_summary(data, "the fixed columns are not in W&B's order, so the columns were arranged by hand")
    start, breaks = _summary_start(data)
    if start is None:
        return _all_summary(data, "the columns are not in W&B's order: config keys sorted, then summary keys sorted")
    split = ColumnSplit(data[:start], data[start:])
    if breaks:
        where = ", ".join(f"{data[index - 1]!r} and {data[index]!r}" for index in breaks)
        split.warning = (f"summary columns were taken to start at {data[start]!r} by W&B's sorted column order; one "
                         f"column between {where} is out of that order and was loaded by its position; "
                         f"{SUMMARY_FROM_ADVICE} to split elsewhere")
    return split


def _all_summary(data: list[str], reason: str) -> ColumnSplit:
    return ColumnSplit([], data, f"config and summary cannot be told apart ({reason}): all {len(data)} columns were "
                                 f"loaded as summary; {SUMMARY_FROM_ADVICE} to split them")


def _arranged_by_wandb(header: list[str]) -> bool:
    """The fixed columns come first, and those of the default set in W&B's default order."""
    fixed_positions = [index for index, column in enumerate(header) if column in FIXED_COLUMNS]
    if fixed_positions != list(range(len(fixed_positions))):
        return False
    present = [column for column in header if column in DEFAULT_FIXED_COLUMNS]
    return present == [column for column in DEFAULT_FIXED_COLUMNS if column in present]


def _restarts(names: list[str]) -> list[int]:
    return [index for index in range(1, len(names)) if names[index] < names[index - 1]]


def _summary_start(data: list[str]) -> tuple[int | None, list[int]]:
    """Index of the first summary column, and the other restarts that one column set aside accounts for; ``None``
    when the columns are not two sorted runs, with or without one column set aside."""
    restarts = _restarts(data)
    if len(restarts) == 1:
        return restarts[0], []
    if len(restarts) not in (2, 3):  # setting one column aside removes at most two restarts
        return None, []
    starts: set[int] = set()
    for restart in restarts:
        for aside in (restart - 1, restart):  # only a column beside a restart can be the one out of place
            remaining = _restarts(data[:aside] + data[aside + 1 :])
            if len(remaining) == 1:
                starts.add(remaining[0] + (1 if remaining[0] >= aside else 0))  # back to an index into data
    if len(starts) != 1:
        return None, []  # none fits, or several splits fit equally well
    (start,) = starts
    return start, [restart for restart in restarts if restart != start]


def parse_runs_table(path: Path | str, summary_from: str | None = None) -> list[ParsedRun]:
    """Parse a runs-table export into one :class:`ParsedRun` per row; see the module docstring.

    Raises :class:`InputError` for a file that is not a runs table, a malformed CSV (ragged row, duplicated column),
    a ``Created`` or ``Runtime`` that is not a date-time or a number, or runs that cannot be told apart.
    """
    path = Path(path)
    table = read_csv(path)
    if not looks_like_runs_table(table.header):
        raise InputError(path, "is not a W&B runs-table export (no Name column with State, Created, Runtime, Tags "
                               "or ID beside it)")
    try:
        split = split_columns(table.header, summary_from)
    except ValueError as exc:
        raise InputError(path, str(exc)) from None
    rows: list[tuple[int, ParsedRun]] = []
    for line, values in table.rows():
        cells = {column: value for column, value in zip(table.header, values, strict=True) if value != ""}
        run = _run_from_row(path, line, cells, split)
        if split.warning:
            run.warnings.append(split.warning)
        rows.append((line, run))
    if not rows:
        raise InputError(path, "has a header but no runs")
    _check_ids(path, rows)
    return [run for _, run in rows]


def _run_from_row(path: Path, line: int, cells: dict[str, str], split: ColumnSplit) -> ParsedRun:
    created = _moment(path, line, cells, "Created")
    run = ParsedRun(
        run_id=cells.get("ID", ""),
        name=cells.get("Name"),
        state=cells.get("State", "").strip() or "unknown",
        created_at=created,
        runtime_s=_runtime(path, line, cells, created),
        notes=None if cells.get("Notes", "-") == "-" else cells["Notes"],
        user=cells.get("User"),
        tags=[tag.strip() for tag in cells.get("Tags", "").split(",") if tag.strip()],
        sweep_id=cells.get("Sweep"),
    )
    large = LargeNumbers()
    run.config = _values(cells, split.config, line, large, run.warnings)
    run.summary = _values(cells, split.summary, line, large, run.warnings)
    if warning := large.warning():
        run.warnings.append(warning)
    return run


def _values(cells: dict[str, str], columns: list[str], line: int, large: LargeNumbers,
            warnings: list[str]) -> dict[str, Any]:
    """The typed values of ``columns`` in one row, dict cells flattened (see the module docstring for a key that
    two columns give). W&B's internal ``_wandb`` keys are left out."""
    values: dict[str, Any] = {}
    dicts: list[tuple[str, dict]] = []
    for column in columns:
        if column not in cells:
            continue
        value = cell_value(cells[column])
        if type(value) is dict and value and "_type" not in value:  # a namespace to flatten, as flatten() takes it
            dicts.append((column, value))
        else:
            values[column] = value
    # Every column's own value is in first, so a key flattened from a dict never replaces one written in a column.
    given_by: dict[str, str] = {}
    for column, mapping in dicts:
        for key, value in flatten(mapping, column).items():
            if key in values:
                other = given_by.get(key)
                warnings.append(f"the dict in column {column!r} gives the key {key!r}, which "
                                + (f"the dict in column {other!r} gives first" if other else "is a column of its own")
                                + f": the value from column {other or key!r} is kept")
                continue
            values[key] = value
            given_by[key] = column
    kept = {}
    for key, value in values.items():
        if key == "_wandb" or key.startswith("_wandb."):
            continue
        if beyond_float(value):
            where = f"column {given_by[key]!r}, key {key!r}" if key in given_by else f"column {key!r}"
            value = large.kept(value, f"line {line}, {where}")
        kept[key] = value
    return kept


def _moment(path: Path, line: int, cells: dict[str, str], column: str) -> datetime | None:
    text = cells.get(column)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(path, f"line {line}, column {column}: {text!r} is not a date-time like "
                               "2026-05-25T14:08:33.000Z") from None
    return naive_utc(moment)


def _runtime(path: Path, line: int, cells: dict[str, str], created: datetime | None) -> float | None:
    if "Runtime" in cells:
        value = cell_value(cells["Runtime"])
        if beyond_float(value):
            raise InputError(path, f"line {line}, column Runtime: {abbreviated(value)} is too large for a number of "
                                   "seconds")
        if not is_number(value):
            raise InputError(path, f"line {line}, column Runtime: {cells['Runtime']!r} is not a number of seconds")
        return float(value)
    ended = _moment(path, line, cells, "End Time")
    return (ended - created).total_seconds() if ended and created else None


def _check_ids(path: Path, rows: list[tuple[int, ParsedRun]]) -> None:
    """Give every run without an ``ID`` its name-based id, and refuse runs that would share one."""
    by_name: dict[str, list[tuple[int, ParsedRun]]] = {}
    for line, run in rows:
        if run.run_id:
            continue
        if not run.name:
            raise InputError(path, f"line {line}: the run has neither a Name nor an ID")
        by_name.setdefault(run.name, []).append((line, run))
    for name, named in by_name.items():
        if len(named) == 1:
            named[0][1].run_id = f"name:{name}"
            continue
        for _, run in named:
            started = run.created_at.isoformat() + "Z" if run.created_at else ""
            run.run_id = f"name:{name}@{started}"
            run.warnings.append("runs that share a display name are told apart by start time "
                                "(run id name:<Name>@<Created>), so a chart export cannot be matched to them; "
                                "export the ID column to keep W&B's own run ids")
    seen: dict[str, int] = {}
    for line, run in rows:
        if run.run_id in seen:
            advice = ("; export the table with its ID column so that they can be told apart"
                      if run.run_id.startswith("name:") else "")
            raise InputError(path, f"lines {seen[run.run_id]} and {line} are both run {run.run_id!r}{advice}")
        seen[run.run_id] = line
