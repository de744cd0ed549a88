"""Jira's CSV export of issues ("Export > Export CSV (all fields)" or "(current fields)") as backlog items.

What is read, by column (names compared ignoring case and surrounding blanks; a name Jira repeats, such as
``Sprint``, ``Labels`` or ``Attachment``, is one column per value and every one of them is read):

* ``Issue key`` is the item id and ``Summary`` its title (both required in every row); ``Issue Type`` maps to an
  item type as :mod:`sprintboard.ingest.jira_settings` documents (Epic, Test and other types become ``task``);
  ``Status`` and ``Assignee`` are taken as they are.
* Sprints: every non-empty ``Sprint`` cell (``Custom field (Sprint)`` in a file without ``Sprint``; or the column
  named by ``JiraSettings.sprint_field``). The issue is in the *last* of them now (Jira writes them in the order
  it keeps them, which is not always the order they ran: the CSV has nothing better to go by). Each distinct name
  becomes one sprint whose id is its name. The CSV carries no sprint dates, goals or states: those stay empty, and
  come from a backlog file holding the same sprint (the store keeps the dates another source gave when this one
  has none). Jira's REST JSON has them too, but names its sprints by Jira's numeric id.
* Labels: every non-empty ``Labels`` cell.
* Story points: the first non-empty of ``Custom field (Story Points)`` and ``Custom field (Story point estimate)``
  (or the column named by ``JiraSettings.points_field``). ``Original estimate`` (seconds) becomes
  ``timebox_hours``. Both must be plain non-negative numbers (``3``, ``2.5``).
* ``Created`` and ``Resolved``: Jira's ``08/Sep/21 2:02 PM`` (English month names, 12- or 24-hour clock, two- or
  four-digit year, time optional) or ISO 8601 (``2021-09-08T14:02``). Jira writes them in the exporting user's
  time zone without saying which: they are read in ``JiraSettings.timezone`` (default UTC) and stored as naive UTC.

There is no change history in a CSV export, so it yields no events (an issue's creation is its ``created_at``);
events already stored from a Jira JSON export with its changelog are left as they are. Burndowns and flow
metrics from a CSV alone are approximations (each issue's current status, sprint and estimate are taken as having
held since its creation).

A file is refused whole (:class:`InputError`) when it is not UTF-8 (a byte-order mark is allowed), its quoting is
broken, a row has another number of cells than the header (``row 17 has 12 cells, the header 89``), a required
value is missing, a number or date cannot be read, or an issue key appears twice. Rows are numbered as a
spreadsheet shows them: the header is row 1. Blank lines are skipped.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sprintboard.ingest.backlog_yaml import check_ids_unique
from sprintboard.ingest.csv_cells import read_rows
from sprintboard.ingest.jira_settings import JiraSettings, hypothesis_cards, item_type_for, naive_utc
from sprintboard.ingest.parsed import ParsedBacklog, ParsedItem, ParsedSprint
from sprintboard.store.errors import InputError

POINTS_COLUMNS = ("Custom field (Story Points)", "Custom field (Story point estimate)")
SPRINT_COLUMNS = ("Sprint", "Custom field (Sprint)")
# Jira's standard issue columns; the first four are names no other format Sprintboard reads uses.
_JIRA_ONLY_COLUMNS = frozenset({"issue key", "issue id", "issue type", "project key"})
_JIRA_COLUMNS = _JIRA_ONLY_COLUMNS | {"summary", "status"}
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_JIRA_MOMENT = re.compile(
    r"^(?P<day>\d{1,2})/(?P<month>[A-Za-z]{3})/(?P<year>\d{4}|\d{2})"
    r"(?:\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<half>[AaPp][Mm])?)?$"
)
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


def looks_like_jira_csv(header: list[str]) -> bool:
    """A Jira CSV export: the header has three of Jira's standard columns (``Issue key``, ``Issue id``, ``Issue
    Type``, ``Summary``, ``Status``, ``Project key``), one of them a name only Jira uses (not ``Summary`` or
    ``Status`` alone).

    A file with most of them but not a required one (an export whose ``Issue key`` column was deleted) is still
    taken for Jira's, so that :func:`parse_jira_csv` says which column is missing.
    """
    names = {name.strip().lower() for name in header}
    return len(names & _JIRA_COLUMNS) >= 3 and bool(names & _JIRA_ONLY_COLUMNS)


def parse_jira_csv(path: Path, settings: JiraSettings | None = None) -> ParsedBacklog:
    """Parse a Jira CSV export into sprints and items (see the module docstring)."""
    settings = settings or JiraSettings()
    header, records = read_rows(path)
    columns = _Columns(path, header)
    for required in ("Issue key", "Summary"):
        columns.require(required)
    if settings.sprint_field:
        columns.require(settings.sprint_field, "the sprint field given")
        sprint_column = settings.sprint_field
    else:
        sprint_column = next((name for name in SPRINT_COLUMNS if columns.of(name)), SPRINT_COLUMNS[0])
    points_columns = (settings.points_field,) if settings.points_field else POINTS_COLUMNS
    if settings.points_field:
        columns.require(settings.points_field, "the points field given")

    backlog = ParsedBacklog()
    sprints: dict[str, ParsedSprint] = {}
    for row_number, values in records:
        if len(values) != len(header):
            raise InputError(path, f"row {row_number} has {len(values)} cells, the header {len(header)}")
        row = _Row(path, row_number, columns, values, settings.zone)
        item = ParsedItem(
            item_id=row.required("Issue key"),
            title=row.required("Summary"),
            item_type=item_type_for(row.first("Issue Type")),
            status=row.first("Status"),
            points=row.number(*points_columns),
            timebox_hours=_hours(row.number("Original estimate")),
            assignee=row.first("Assignee"),
            created_at=row.moment("Created"),
            resolved_at=row.moment("Resolved"),
            labels=row.every("Labels"),
        )
        issue_sprints = row.every(sprint_column)
        for name in issue_sprints:
            sprints.setdefault(name, ParsedSprint(sprint_id=name, name=name))
        item.sprint_id = issue_sprints[-1] if issue_sprints else None
        backlog.items.append(item)
    backlog.sprints = list(sprints.values())
    backlog.hypotheses = hypothesis_cards(backlog.items)
    check_ids_unique(path, backlog)
    return backlog


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


class _Columns:
    """Where each column name is, every position of a name the header repeats (names compared ignoring case)."""

    def __init__(self, path: Path, header: list[str]) -> None:
        self.path = path
        self.positions: dict[str, list[int]] = defaultdict(list)
        for index, name in enumerate(header):
            self.positions[name.lower()].append(index)

    def require(self, name: str, what: str = "a required column") -> None:
        if name.strip().lower() not in self.positions:
            raise InputError(self.path, f"has no column {name!r} ({what})")

    def of(self, name: str) -> list[int]:
        return self.positions.get(name.strip().lower(), [])


class _Row:
    """One issue's cells, read by column name, with errors naming the row and column."""

    def __init__(self, path: Path, row_number: int, columns: _Columns, values: list[str], zone: ZoneInfo) -> None:
        self.path, self.row_number, self.columns, self.values, self.zone = path, row_number, columns, values, zone

    def fail(self, column: str, problem: str) -> InputError:
        return InputError(self.path, f"row {self.row_number}, column {column!r}: {problem}")

    def every(self, column: str) -> list[str]:
        """The non-empty cells of every column with this name, left to right."""
        cells = (self.values[index].strip() for index in self.columns.of(column))
        return [cell for cell in cells if cell]

    def first(self, column: str) -> str | None:
        cells = self.every(column)
        return cells[0] if cells else None

    def required(self, column: str) -> str:
        value = self.first(column)
        if value is None:
            raise self.fail(column, "is empty")
        return value

    def number(self, *columns: str) -> float | None:
        """The first non-empty cell among ``columns`` as a non-negative number; ``None`` when all are empty."""
        for column in columns:
            text = self.first(column)
            if text is None:
                continue
            if not _NUMBER.match(text):
                raise self.fail(column, f"must be a number, got {text!r}")
            value = float(text)
            if value < 0:
                raise self.fail(column, f"must not be negative, got {text!r}")
            return value
        return None

    def moment(self, column: str) -> datetime | None:
        text = self.first(column)
        if text is None:
            return None
        moment = jira_csv_moment(text)
        if moment is None:
            raise self.fail(column, f"must be a date like 08/Sep/21 2:02 PM or 2021-09-08T14:02, got {text!r}")
        return naive_utc(moment, self.zone)


def jira_csv_moment(text: str) -> datetime | None:
    """A date-time as Jira's CSV export writes it (``08/Sep/21 2:02 PM``, ``08/Sep/2021 14:02``, ``08/Sep/21``) or
    as ISO 8601; naive unless the ISO text has an offset. ``None`` when ``text`` is neither, or no real date."""
    text = text.strip()
    match = _JIRA_MOMENT.match(text)
    if match is None:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None
    month = _MONTHS.get(match["month"].lower())
    year = int(match["year"])
    if len(match["year"]) == 2:
        year += 2000 if year < 70 else 1900
    hour, minute, second = (int(match[name] or 0) for name in ("hour", "minute", "second"))
    if match["half"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["half"].lower() == "pm" else 0)
    if month is None:
        return None
    try:
        return datetime(year, month, int(match["day"]), hour, minute, second)
    except ValueError:
        return None
