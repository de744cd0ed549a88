"""An item's fields at any moment, replayed from its change events.

The store holds each item's *current* values (``work_items``) and, when the source had a changelog, the changes
(``item_events``: ``field`` is ``status``, ``sprint``, ``points``, ``timebox_hours`` or ``created``). The value of a
field at time ``t`` is:

* the ``to_value`` of the field's last event at or before ``t``;
* before the field's first event, that event's ``from_value`` (what it was before it changed);
* for a field with no events at all, the current value, assumed to have held all along -- an *approximation*,
  reported by :attr:`ItemTimeline.exact_fields`.

A ``sprint`` value may name several sprints (Jira lists every sprint an issue has been in, comma-separated); an item
is in a sprint when the sprint's id or name is among them. The item exists from its ``created`` event or
``created_at``; before that it is in no sprint. Without status events, an item whose current status is done is
taken as done from its ``resolved_at`` (or from its creation when that is unknown too).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

TRACKED_FIELDS = ("status", "sprint", "points", "timebox_hours")


def sprint_names(value: str | None) -> frozenset[str]:
    """The sprints a ``sprint`` value names: comma-separated ids or names, blanks dropped."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return frozenset()
    return frozenset(part.strip() for part in str(value).split(",") if part.strip())


def as_number(value: object) -> float | None:
    """An estimate as a number; ``None`` for a missing or non-numeric value (it then counts as no estimate)."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(number) else number


@dataclass
class ItemTimeline:
    """One item's current row and its events per field, in time order."""

    item_id: str
    title: str
    item_type: str
    current: dict[str, object]
    created_at: datetime | None
    resolved_at: datetime | None
    changes: dict[str, list[tuple[datetime, object, object]]] = field(default_factory=dict)

    @property
    def exact_fields(self) -> frozenset[str]:
        """The tracked fields whose history is known from events (the others are assumed constant)."""
        return frozenset(name for name in TRACKED_FIELDS if self.changes.get(name))

    def value_at(self, name: str, moment: datetime) -> object:
        """The field's value at ``moment`` (see the module docstring for the rule)."""
        changes = self.changes.get(name)
        if not changes:
            return self.current.get(name)
        index = bisect.bisect_right(changes, moment, key=lambda change: change[0])
        if index == 0:
            return changes[0][1]
        return changes[index - 1][2]

    def exists_at(self, moment: datetime) -> bool:
        return self.created_at is None or self.created_at <= moment

    def status_at(self, moment: datetime, done_statuses: frozenset[str]) -> str | None:
        status = self.value_at("status", moment)
        if self.changes.get("status") or status is None:
            return status
        if str(status).lower() in done_statuses and self.resolved_at is not None and moment < self.resolved_at:
            return None  # done now, but not yet at this moment: some status before done, unknown which
        return status

    def is_done_at(self, moment: datetime, done_statuses: frozenset[str]) -> bool:
        status = self.status_at(moment, done_statuses)
        return status is not None and str(status).lower() in done_statuses

    def in_sprint_at(self, moment: datetime, sprint_keys: frozenset[str]) -> bool:
        if not self.exists_at(moment):
            return False
        return bool(sprint_names(self.value_at("sprint", moment)) & sprint_keys)

    def change_times(self, names: Iterable[str] = TRACKED_FIELDS) -> list[datetime]:
        times = [when for name in names for when, _, _ in self.changes.get(name, [])]
        if self.created_at is not None:
            times.append(self.created_at)
        if self.resolved_at is not None and not self.changes.get("status"):
            times.append(self.resolved_at)
        return sorted(set(times))


def build_timelines(items: pd.DataFrame, events: pd.DataFrame) -> dict[str, ItemTimeline]:
    """Timelines for every item in ``items`` (columns of ``work_items``) from ``events`` (``item_events``).

    Events of items not in ``items`` are ignored; events at the same moment keep their stored order.
    """
    timelines: dict[str, ItemTimeline] = {}
    for row in items.itertuples(index=False):
        timelines[row.item_id] = ItemTimeline(
            item_id=row.item_id,
            title=row.title,
            item_type=row.item_type,
            current={"status": row.status, "sprint": row.sprint_id, "points": _clean(row.points),
                     "timebox_hours": _clean(row.timebox_hours)},
            created_at=_moment(row.created_at),
            resolved_at=_moment(row.resolved_at),
        )
    ordered = events.sort_values("occurred_at", kind="stable") if len(events) else events
    for event in ordered.itertuples(index=False):
        timeline = timelines.get(event.item_id)
        if timeline is None:
            continue
        when = _moment(event.occurred_at)
        if event.field == "created":
            timeline.created_at = when if timeline.created_at is None else min(timeline.created_at, when)
            continue
        if event.field in TRACKED_FIELDS:
            timeline.changes.setdefault(event.field, []).append(
                (when, _clean(event.from_value), _clean(event.to_value)))
    return timelines


def _clean(value: object) -> object:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _moment(value: object) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).to_pydatetime()
