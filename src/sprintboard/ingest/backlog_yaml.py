"""Sprintboard's own backlog file in YAML: sprints, items (hypotheses among them) and an optional event log.

The format is documented with a full example in ``docs/backlog-format.md``. Parsing is strict: an unknown item type,
a date that is not a date, or an item without an id is rejected with the entry it is in (``items[3].type``), and the
whole file is refused, so that a half-understood backlog never reaches the store.

The YAML itself is read by :func:`sprintboard.ingest.strict_yaml.load_yaml`, which also refuses a key written twice
in one mapping and an alias bomb.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sprintboard.ingest.parsed import (
    ParsedBacklog,
    ParsedEvent,
    ParsedFairnessPolicy,
    ParsedHypothesis,
    ParsedItem,
    ParsedMetricGoal,
    ParsedSprint,
    naive_utc,
)
from sprintboard.ingest.strict_yaml import YamlRefused, load_yaml
from sprintboard.store.errors import InputError

ITEM_TYPES = ("story", "hypothesis", "spike", "task", "bug")
EVENT_FIELDS = ("status", "sprint", "points", "timebox_hours", "created")
AGGREGATIONS = ("best", "mean")
BACKLOG_KEYS = frozenset({"sprints", "items", "events", "metrics", "fairness"})
ACTIONS = ("punitive", "assistive")
REACHES = ("most", "few")
BETTER = ("higher", "lower")
_BACKLOG_KEY_LINE = re.compile(rf"^(?:{'|'.join(sorted(BACKLOG_KEYS))})[ \t]*:", re.MULTILINE)


class Entry:
    """One mapping of the file, with its location for error messages (``items[3]``).

    The backlog CSV reader uses the same checks on a row's cells: a subclass only says the location another way.
    """

    def __init__(self, path: Path, where: str, raw: Any) -> None:
        if not isinstance(raw, dict):
            raise InputError(path, f"{where} must be a mapping of fields, not {type(raw).__name__}")
        self.path, self.where, self.raw = path, where, raw

    def fail(self, field: str, problem: str) -> InputError:
        return InputError(self.path, f"{self.where}.{field}: {problem}")

    def text(self, field: str, required: bool = False) -> str | None:
        value = self.raw.get(field)
        if value is None:
            if required:
                raise self.fail(field, "is required")
            return None
        if isinstance(value, dict | list):
            raise self.fail(field, "must be a single value")
        return str(value)

    def number(self, field: str) -> float | None:
        value = self.raw.get(field)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(field, f"must be a number, got {value!r}")
        if value < 0:
            raise self.fail(field, f"must not be negative, got {value!r}")
        return float(value)

    def day(self, field: str) -> date | None:
        value = self.raw.get(field)
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(field, f"must be a date like 2026-09-14, got {value!r}") from None

    def moment(self, field: str, required: bool = False) -> datetime | None:
        value = self.raw.get(field)
        if value is None:
            if required:
                raise self.fail(field, "is required")
            return None
        if isinstance(value, datetime):
            return naive_utc(value)
        if isinstance(value, date):
            return datetime.combine(value, time())
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            raise self.fail(field, f"must be a date-time like 2026-09-14T09:30, got {value!r}") from None
        return naive_utc(parsed)

    def choice(self, field: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.raw.get(field, default)
        value = str(value).strip().lower()
        if value not in allowed:
            raise self.fail(field, f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def strings(self, field: str) -> list[str]:
        value = self.raw.get(field) or []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            raise self.fail(field, "must be a list")
        for index, element in enumerate(value):
            # str() of a nested list would make one label of its whole text (of every string an alias stands for)
            if isinstance(element, dict | list):
                kind = "mapping" if isinstance(element, dict) else "list"
                raise self.fail(f"{field}[{index}]", f"must be a single value, not a {kind}")
        return [str(v) for v in value]


def _entries(path: Path, document: dict, section: str) -> list[Entry]:
    raw = document.get(section) or []
    if not isinstance(raw, list):
        raise InputError(path, f"'{section}' must be a list")
    return [Entry(path, f"{section}[{index}]", entry) for index, entry in enumerate(raw)]


def looks_like_backlog(document: Any) -> bool:
    """A YAML document is a backlog file when it is a mapping with at least one of sprints, items, events,
    metrics, fairness."""
    return isinstance(document, dict) and bool(BACKLOG_KEYS & set(document))


def looks_like_backlog_text(text: str) -> bool:
    """Text that reads as a backlog file even when it does not parse: a line starting with a top-level backlog key
    (``sprints:``, ``items:``, ``events:``, ``metrics:``, ``fairness:``)."""
    return _BACKLOG_KEY_LINE.search(text) is not None


def parse_backlog_yaml(path: Path) -> ParsedBacklog:
    """Parse a backlog YAML file; raises :class:`InputError` naming the entry and field at fault."""
    try:
        document = load_yaml(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(path, f"is not UTF-8 text (byte {exc.start})") from None
    except YamlRefused as exc:
        raise InputError(path, str(exc)) from None
    if not looks_like_backlog(document):
        raise InputError(path, "is not a backlog file (expected top-level 'sprints', 'items', 'events' or 'metrics')")
    return backlog_from_document(path, document)


def backlog_from_document(path: Path, document: dict) -> ParsedBacklog:
    team = document.get("team")
    backlog = ParsedBacklog()
    for entry in _entries(path, document, "sprints"):
        backlog.sprints.append(sprint_from_entry(entry, str(team) if team else None))

    for entry in _entries(path, document, "items"):
        item = item_from_entry(entry)
        backlog.items.append(item)
        if "hypothesis" in entry.raw:
            backlog.hypotheses.append(_hypothesis(path, entry, item))

    for entry in _entries(path, document, "events"):
        backlog.events.append(event_from_entry(entry))

    for entry in _entries(path, document, "metrics"):
        backlog.metric_goals.append(metric_goal_from_entry(entry))

    if document.get("fairness") is not None:
        backlog.fairness = fairness_from_entry(Entry(path, "fairness", document["fairness"]))
    check_ids_unique(path, backlog)
    return backlog


def sprint_from_entry(entry: Entry, default_team: str | None = None) -> ParsedSprint:
    """A sprint from its fields (``id`` defaults to ``name``); refuses an end before the start."""
    name = entry.text("name", required=True)
    sprint = ParsedSprint(
        sprint_id=entry.text("id") or name,
        name=name,
        goal=entry.text("goal"),
        start_date=entry.day("start"),
        end_date=entry.day("end"),
        team=entry.text("team") or default_team,
        state=entry.text("state"),
    )
    if sprint.start_date and sprint.end_date and sprint.end_date < sprint.start_date:
        raise entry.fail("end", f"{sprint.end_date} is before the start {sprint.start_date}")
    return sprint


def item_from_entry(entry: Entry) -> ParsedItem:
    """An item from its fields (its ``hypothesis`` card, a YAML-only mapping, is read by the caller)."""
    return ParsedItem(
        item_id=entry.text("id", required=True),
        title=entry.text("title", required=True),
        item_type=entry.choice("type", ITEM_TYPES, "story"),
        status=entry.text("status"),
        points=entry.number("points"),
        timebox_hours=entry.number("timebox_hours"),
        sprint_id=entry.text("sprint"),
        assignee=entry.text("assignee"),
        created_at=entry.moment("created"),
        resolved_at=entry.moment("resolved"),
        labels=entry.strings("labels"),
    )


def event_from_entry(entry: Entry) -> ParsedEvent:
    """An event from its fields (``field`` defaults to ``status``)."""
    return ParsedEvent(
        item_id=entry.text("item", required=True),
        occurred_at=entry.moment("at", required=True),
        field=entry.choice("field", EVENT_FIELDS, "status"),
        from_value=entry.text("from"),
        to_value=entry.text("to"),
        author=entry.text("author"),
    )


def metric_goal_from_entry(entry: Entry) -> ParsedMetricGoal:
    """A metric goal: ``key`` (required), ``better`` (higher | lower), ``baseline``, ``target``, ``headline``."""
    headline = entry.raw.get("headline", False)
    if not isinstance(headline, bool):
        raise entry.fail("headline", f"must be true or false, got {headline!r}")
    better = entry.raw.get("better")
    return ParsedMetricGoal(
        key=entry.text("key", required=True),
        better=None if better is None else entry.choice("better", BETTER, "higher"),
        baseline=_signed_number(entry, "baseline"),
        target=_signed_number(entry, "target"),
        headline=headline,
    )


def fairness_from_entry(entry: Entry) -> ParsedFairnessPolicy:
    """The bias-check policy: columns of the predictions table, attributes, action, band, minimum group size."""
    band = entry.raw.get("band")
    low = high = None
    if band is not None:
        if (not isinstance(band, list) or len(band) != 2
                or not all(isinstance(edge, int | float) and not isinstance(edge, bool) for edge in band)):
            raise entry.fail("band", f"must be two numbers like [0.8, 1.25], got {band!r}")
        low, high = float(band[0]), float(band[1])
        if not 0 < low <= 1 <= high:
            raise entry.fail("band", f"must be positive and hold 1 (equal rates), got {band!r}")
    size = entry.number("min_group_size")
    if size is not None and (size < 1 or size != int(size)):
        raise entry.fail("min_group_size", f"must be a whole number of at least 1, got {size:g}")
    return ParsedFairnessPolicy(
        table_key=entry.text("table"),
        label=entry.text("label"),
        prediction=entry.text("prediction"),
        score=entry.text("score"),
        threshold=_signed_number(entry, "threshold"),
        attributes=entry.strings("attributes"),
        action=None if entry.raw.get("action") is None else entry.choice("action", ACTIONS, "assistive"),
        reach=None if entry.raw.get("reach") is None else entry.choice("reach", REACHES, "most"),
        band_low=low,
        band_high=high,
        min_group_size=None if size is None else int(size),
    )


def _hypothesis(path: Path, item_entry: Entry, item: ParsedItem) -> ParsedHypothesis:
    entry = Entry(path, f"{item_entry.where}.hypothesis", item_entry.raw["hypothesis"])
    baseline = entry.raw.get("baseline") or {}
    if not isinstance(baseline, dict):
        raise entry.fail("baseline", "must be a mapping with 'run' or 'value'")
    baseline_entry = Entry(path, f"{entry.where}.baseline", baseline)
    return ParsedHypothesis(
        hypothesis_id=item.item_id,
        item_id=item.item_id,
        statement=entry.text("statement") or item.title,
        owner=entry.text("owner") or item.assignee,
        sprint_id=item.sprint_id,
        timebox_hours=item.timebox_hours,
        criteria=entry.text("criteria"),
        aggregation=entry.choice("aggregation", AGGREGATIONS, "best"),
        baseline_run_id=baseline_entry.text("run"),
        baseline_value=_signed_number(baseline_entry, "value"),
        run_ids=entry.strings("runs"),
    )


def _signed_number(entry: Entry, field: str) -> float | None:
    value = entry.raw.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise entry.fail(field, f"must be a number, got {value!r}")
    return float(value)


def check_ids_unique(path: Path, backlog: ParsedBacklog) -> None:
    """Refuse a backlog in which a sprint id or an item id appears twice."""
    for label, ids in (
        ("sprint id", [s.sprint_id for s in backlog.sprints]),
        ("item id", [i.item_id for i in backlog.items]),
        ("metric", [g.key for g in backlog.metric_goals]),
    ):
        seen: set[str] = set()
        for value in ids:
            if value in seen:
                raise InputError(path, f"{label} {value!r} appears twice")
            seen.add(value)
