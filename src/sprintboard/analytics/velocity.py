"""Velocity: per sprint, the scope committed at its start against the work completed in it, as Jira's velocity
chart shows them, with the average completed over the last three sprints.

``committed`` and ``completed`` are the burndown's (:mod:`sprintboard.analytics.burndown`): the not-done scope in
the sprint at its start, and the estimates of the items completed during it and still done at its end.
``average_3`` is the mean ``completed`` of the sprint and the two before it (of fewer at the start of the
history); sprints that have not started yet are left out.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from sprintboard.analytics.burndown import DEFAULT_DONE_STATUSES, SprintWindow, compute_burndown
from sprintboard.analytics.work_calendar import WorkCalendar

VELOCITY_COLUMNS = ["sprint_id", "name", "first_day", "last_day", "finished", "committed", "completed", "average_3"]


def sprint_windows(sprints: pd.DataFrame) -> list[SprintWindow]:
    """The sprints (``sprints`` table rows) that have both dates, oldest first."""
    dated = sprints.dropna(subset=["start_date", "end_date"]).sort_values(["start_date", "sprint_id"])
    return [SprintWindow(row.sprint_id, row.name, pd.Timestamp(row.start_date).date(),
                         pd.Timestamp(row.end_date).date()) for row in dated.itertuples(index=False)]


def velocity(sprints: pd.DataFrame, items: pd.DataFrame, events: pd.DataFrame, statistic: str = "points",
             done_statuses: frozenset[str] = DEFAULT_DONE_STATUSES, calendar: WorkCalendar | None = None,
             as_of: datetime | None = None) -> pd.DataFrame:
    """One row per started sprint, oldest first (:data:`VELOCITY_COLUMNS`)."""
    as_of = as_of or datetime.now()
    rows = []
    for window in sprint_windows(sprints):
        if window.starts > as_of:
            continue
        chart = compute_burndown(window, items, events, statistic, done_statuses, calendar, as_of)
        completed = float(chart.changes["completed"].iloc[-1]) if len(chart.changes) else 0.0
        rows.append([window.sprint_id, window.name, window.first_day, window.last_day, window.ends <= as_of,
                     chart.committed, completed])
    frame = pd.DataFrame(rows, columns=VELOCITY_COLUMNS[:-1])
    frame["average_3"] = frame["completed"].rolling(3, min_periods=1).mean()
    return frame
