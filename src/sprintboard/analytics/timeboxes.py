"""Time-boxes of research work: the agreed time against the time spent, from status histories.

*Time spent* is the time an item spent in progress (any status that is neither to-do nor done), counted in working
hours: each working day in progress counts ``hours_per_day`` (8 by default) in proportion to the part of the day in
progress; non-working days count nothing. Until it is done, an item in progress keeps spending up to ``as_of``.

*Status* of a time-box: ``not started``; ``within`` (spent ≤ time-box); ``overrun`` (spent more than the time-box
and finished); ``ran out, no outcome`` (spent more than the time-box and not finished -- a finding for the review).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pandas as pd

from sprintboard.analytics.flow import DEFAULT_DONE, DEFAULT_TODO_STATUSES
from sprintboard.analytics.item_timeline import ItemTimeline, as_number, build_timelines
from sprintboard.analytics.work_calendar import WorkCalendar

TIMEBOX_COLUMNS = ["item_id", "title", "item_type", "sprint_id", "timebox_hours", "spent_hours", "overrun_hours",
                   "done", "status"]


def in_progress_intervals(timeline: ItemTimeline, as_of: datetime, done: frozenset[str] = DEFAULT_DONE,
                          todo: frozenset[str] = DEFAULT_TODO_STATUSES) -> list[tuple[datetime, datetime]]:
    """The ``[from, to)`` spans the item's status was in progress, up to ``as_of``."""
    changes = [c for c in timeline.changes.get("status", []) if c[0] <= as_of]
    spans, opened = [], None
    for when, _, after in changes:
        active = after is not None and str(after).lower() not in done and str(after).lower() not in todo
        if active and opened is None:
            opened = when
        elif not active and opened is not None:
            spans.append((opened, when))
            opened = None
    if opened is not None:
        spans.append((opened, as_of))
    return spans


def working_hours(start: datetime, end: datetime, calendar: WorkCalendar, hours_per_day: float = 8.0) -> float:
    """Working hours between two moments: each working day's overlapping fraction times ``hours_per_day``."""
    total, day = 0.0, start.date()
    while datetime.combine(day, time()) < end:
        day_start = datetime.combine(day, time())
        overlap = min(end, day_start + timedelta(days=1)) - max(start, day_start)
        if calendar.is_working_day(day) and overlap > timedelta(0):
            total += overlap / timedelta(days=1) * hours_per_day
        day += timedelta(days=1)
    return total


def timebox_report(items: pd.DataFrame, events: pd.DataFrame, as_of: datetime, calendar: WorkCalendar | None = None,
                   hours_per_day: float = 8.0, done: frozenset[str] = DEFAULT_DONE,
                   todo: frozenset[str] = DEFAULT_TODO_STATUSES) -> pd.DataFrame:
    """One row per item with a time-box (:data:`TIMEBOX_COLUMNS`), overruns first."""
    calendar = calendar or WorkCalendar()
    timeboxed = items[items["timebox_hours"].notna()]
    rows = []
    for timeline in build_timelines(timeboxed, events).values():
        box = as_number(timeline.current.get("timebox_hours")) or 0.0
        spans = in_progress_intervals(timeline, as_of, done, todo)
        spent = sum(working_hours(a, b, calendar, hours_per_day) for a, b in spans)
        finished = timeline.is_done_at(as_of, done)
        if not spans and not finished:
            status = "not started"
        elif spent <= box:
            status = "within"
        else:
            status = "overrun" if finished else "ran out, no outcome"
        sprint = timeline.current.get("sprint")
        rows.append([timeline.item_id, timeline.title, timeline.item_type, sprint, box, round(spent, 2),
                     round(max(spent - box, 0.0), 2), finished, status])
    order = {"ran out, no outcome": 0, "overrun": 1, "within": 2, "not started": 3}
    frame = pd.DataFrame(rows, columns=TIMEBOX_COLUMNS)
    return frame.sort_values("status", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
