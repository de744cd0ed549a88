"""Sprintboard's own backlog as CSV, for teams that keep it in a spreadsheet: one file holds one table.

The three tables and their columns are those of the YAML backlog file (``docs/backlog-format.md``), told apart by
the header:

* **sprints** -- ``id, name, goal, start, end, team, state``: has ``name`` and no ``title`` or ``item`` column;
* **items** -- ``id, title, type, status, sprint, points, timebox_hours, assignee, created, resolved, labels``: has
  ``id`` and ``title``;
* **events** -- ``item, at, field, from, to, author``: has ``item`` and ``at``.

Column names are lower-case, as in YAML, and may come in any order; only the required ones must be there
(``name``; ``id`` and ``title``; ``item`` and ``at``). A column the table does not have is refused, so that a
misspelt ``strat`` does not silently leave every sprint without a start. Every cell is read as the YAML value of
that field would be, with the same rules and messages (:class:`~sprintboard.ingest.backlog_yaml.Entry`): an empty
cell is a field left out; ``points`` and ``timebox_hours`` are numbers written with a decimal point; ``labels``
are comma-separated within their cell (``"data, modelling"``). Surrounding blanks are dropped.

A file is refused whole (:class:`InputError`) for text that is not UTF-8 (a byte-order mark is allowed), broken
quoting, a row with another number of cells than the header, or a cell the YAML rules refuse, naming the row as a
spreadsheet numbers it (the header is row 1) and the column: ``row 4, column 'type': 'epic' is not one of story,
hypothesis, spike, task, bug``. Blank lines are skipped. A hypothesis card (statement, criteria, baseline) has no
place in a CSV table: items of type ``hypothesis`` load, and their cards come from a YAML backlog file.
"""

from __future__ import annotations

import re
from pathlib import Path

from sprintboard.ingest.backlog_yaml import (
    Entry,
    check_ids_unique,
    event_from_entry,
    item_from_entry,
    sprint_from_entry,
)
from sprintboard.ingest.csv_cells import read_rows
from sprintboard.ingest.parsed import ParsedBacklog
from sprintboard.store.errors import InputError

TABLE_COLUMNS = {
    "sprints": ("id", "name", "goal", "start", "end", "team", "state"),
    "items": ("id", "title", "type", "status", "sprint", "points", "timebox_hours", "assignee", "created",
              "resolved", "labels"),
    "events": ("item", "at", "field", "from", "to", "author"),
}
_NUMBER_COLUMNS = frozenset({"points", "timebox_hours"})
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$")


def backlog_csv_table(header: list[str]) -> str | None:
    """Which table a header starts: ``"sprints"``, ``"items"``, ``"events"``, or ``None`` for none of them."""
    names = {name.strip() for name in header}
    if {"id", "title"} <= names:
        return "items"
    if {"item", "at"} <= names:
        return "events"
    if "name" in names and not names & {"title", "item"}:
        others = names & set(TABLE_COLUMNS["sprints"]) - {"name"}
        return "sprints" if others else None
    return None


def looks_like_backlog_csv(header: list[str]) -> bool:
    """A backlog CSV table: a sprints header needs ``name`` and one more sprint column (``name`` alone is too common
    to say anything); items need ``id`` and ``title``; events ``item`` and ``at``."""
    return backlog_csv_table(header) is not None


def parse_backlog_csv(path: Path) -> ParsedBacklog:
    """Parse one backlog table (see the module docstring); the other two lists of the result are empty."""
    header, rows = read_rows(path)
    table = backlog_csv_table(header)
    if table is None:
        raise InputError(path, "is not a backlog table (its header needs 'id' and 'title' for items, 'item' and 'at' "
                               "for events, or 'name' and sprint columns for sprints)")
    _check_header(path, header, table)
    backlog = ParsedBacklog()
    for row_number, values in rows:
        if len(values) != len(header):
            raise InputError(path, f"row {row_number} has {len(values)} cells, the header {len(header)}")
        entry = _RowEntry(path, row_number, _fields(header, values))
        if table == "sprints":
            backlog.sprints.append(sprint_from_entry(entry))
        elif table == "items":
            backlog.items.append(item_from_entry(entry))
        else:
            backlog.events.append(event_from_entry(entry))
    check_ids_unique(path, backlog)
    return backlog


class _RowEntry(Entry):
    """One row's cells as the fields of a YAML entry; errors name the row and column."""

    def __init__(self, path: Path, row_number: int, raw: dict) -> None:
        super().__init__(path, f"row {row_number}", raw)

    def fail(self, field: str, problem: str) -> InputError:
        return InputError(self.path, f"{self.where}, column {field!r}: {problem}")


def _check_header(path: Path, header: list[str], table: str) -> None:
    allowed = TABLE_COLUMNS[table]
    seen: set[str] = set()
    for name in header:
        if name not in allowed:
            raise InputError(path, f"column {name!r} is not a column of the {table} table "
                                   f"({', '.join(allowed)})")
        if name in seen:
            raise InputError(path, f"column {name!r} appears more than once in the header")
        seen.add(name)


def _fields(header: list[str], values: list[str]) -> dict:
    """A row as the mapping YAML would give: empty cells left out, numbers as numbers, labels as a list."""
    fields: dict = {}
    for name, value in zip(header, values, strict=True):
        cell = value.strip()
        if not cell:
            continue
        if name in _NUMBER_COLUMNS:
            fields[name] = int(cell) if _INTEGER.match(cell) else float(cell) if _DECIMAL.match(cell) else cell
        elif name == "labels":
            fields[name] = [label.strip() for label in cell.split(",") if label.strip()]
        else:
            fields[name] = cell
    return fields
