"""Kanban flow metrics, as ActionableAgile defines them, from items' status histories.

Definitions:

* *lanes* are the board's statuses in workflow order. ML teams' default board is :data:`ML_LANES`; when the data uses
  other statuses, the lanes come from the data (:func:`status_lanes`);
* an item *starts* when it first enters a status that is neither a to-do status (:data:`DEFAULT_TODO_STATUSES`) nor
  a done status, and *finishes* when it last enters a done status; an item that went straight to done starts when
  it finishes;
* *cycle time* is counted in whole calendar days, both ends included (started and finished the same day = 1 day);
* *throughput* is the number of items finished per calendar day (or per ISO week, starting Monday);
* *age* of an item in progress is the days from its start to ``as_of``, both included.

All moments are the store's naive UTC; days are UTC calendar days.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from sprintboard.analytics.item_timeline import ItemTimeline, build_timelines
from sprintboard.analytics.work_calendar import days_between

ML_LANES = ("To Do", "Test Hypothesis", "Code Review Hypothesis", "Update Model", "Code Review Update Model", "Done")
DEFAULT_TODO_STATUSES = frozenset({"to do", "todo", "backlog", "open", "new", "selected for development"})
DEFAULT_DONE = frozenset({"done", "closed", "resolved"})
PERCENTILES = (50, 70, 85, 95)


def status_lanes(events: pd.DataFrame, items: pd.DataFrame, done: frozenset[str] = DEFAULT_DONE,
                 todo: frozenset[str] = DEFAULT_TODO_STATUSES) -> list[str]:
    """The lanes in workflow order.

    When every status in the data is one of :data:`ML_LANES` (case-insensitive), those lanes in their order. Else
    the data's statuses ordered by their mean position in the items' status sequences, with to-do statuses first
    and done statuses last.
    """
    sequences = _status_sequences(events, items)
    seen = {status for sequence in sequences for status in sequence}
    if {s.lower() for s in seen} <= {lane.lower() for lane in ML_LANES}:
        return list(ML_LANES)
    positions: dict[str, list[float]] = {}
    for sequence in sequences:
        for index, status in enumerate(sequence):
            positions.setdefault(status, []).append(index / max(len(sequence) - 1, 1))

    def rank(status: str) -> tuple[int, float, str]:
        group = 0 if status.lower() in todo else 2 if status.lower() in done else 1
        return group, float(np.mean(positions[status])), status

    return sorted(seen, key=rank)


def _status_sequences(events: pd.DataFrame, items: pd.DataFrame) -> list[list[str]]:
    sequences = []
    for timeline in build_timelines(items, events).values():
        changes = timeline.changes.get("status", [])
        sequence = [changes[0][1]] if changes and changes[0][1] else []
        sequence += [after for _, _, after in changes if after]
        if not sequence and timeline.current.get("status"):
            sequence = [timeline.current["status"]]
        sequences.append([str(s) for s in sequence])
    return sequences


def cumulative_flow(items: pd.DataFrame, events: pd.DataFrame, first: date, last: date,
                    lanes: list[str] | None = None) -> pd.DataFrame:
    """Items per status at the end of each day from ``first`` to ``last``: one row per day, one column per lane
    (in lane order); items not yet created are not counted, statuses outside ``lanes`` are added at the end."""
    lanes = list(lanes or status_lanes(events, items))
    timelines = build_timelines(items, events).values()
    rows = []
    for day in days_between(first, last):
        end = datetime.combine(day + timedelta(days=1), time())
        counts = dict.fromkeys(lanes, 0)
        for timeline in timelines:
            if not timeline.exists_at(end):
                continue
            status = timeline.value_at("status", end)
            if status is not None:
                counts[str(status)] = counts.get(str(status), 0) + 1
        rows.append({"day": day, **counts})
    frame = pd.DataFrame(rows)
    return frame.fillna(0) if len(frame) else pd.DataFrame(columns=["day", *lanes])


def start_and_finish(timeline: ItemTimeline, done: frozenset[str] = DEFAULT_DONE,
                     todo: frozenset[str] = DEFAULT_TODO_STATUSES) -> tuple[datetime | None, datetime | None]:
    """When the item started and finished (see the module docstring); ``None`` for what has not happened. An item
    done now with no status history finishes at its ``resolved_at``."""
    changes = timeline.changes.get("status", [])
    started = next((when for when, _, after in changes
                    if after and str(after).lower() not in todo and str(after).lower() not in done), None)
    finished = None
    if changes and str(changes[-1][2]).lower() in done:
        finished = next(when for when, _, after in reversed(changes)
                        if after and str(after).lower() in done and not _was_done_before(changes, when, done))
    elif not changes and str(timeline.current.get("status")).lower() in done:
        finished = timeline.resolved_at
    if finished is not None and (started is None or started > finished):
        started = finished
    return started, finished


def _was_done_before(changes: list, when: datetime, done: frozenset[str]) -> bool:
    """Whether the status just before the change at ``when`` was already done (a done-to-done move)."""
    before = [b for w, b, _ in changes if w == when]
    return bool(before) and before[-1] is not None and str(before[-1]).lower() in done


def cycle_times(items: pd.DataFrame, events: pd.DataFrame, done: frozenset[str] = DEFAULT_DONE,
                todo: frozenset[str] = DEFAULT_TODO_STATUSES) -> pd.DataFrame:
    """One row per finished item: ``item_id, title, item_type, started, finished, cycle_days``."""
    rows = []
    for timeline in build_timelines(items, events).values():
        started, finished = start_and_finish(timeline, done, todo)
        if finished is None:
            continue
        rows.append([timeline.item_id, timeline.title, timeline.item_type, started, finished,
                     (finished.date() - started.date()).days + 1])
    return pd.DataFrame(rows, columns=["item_id", "title", "item_type", "started", "finished", "cycle_days"])


def cycle_time_percentiles(cycle_days: pd.Series, percentiles: tuple[int, ...] = PERCENTILES) -> dict[int, float]:
    """``{p: days}``: p% of the finished items took ``days`` or fewer (nearest rank: always an observed value).
    Empty when no item has finished."""
    values = cycle_days.dropna().to_numpy()
    if not len(values):
        return {}
    return {p: float(np.percentile(values, p, method="inverted_cdf")) for p in percentiles}


def throughput(finished: pd.Series, first: date, last: date, period: str = "day") -> pd.DataFrame:
    """Items finished per ``day`` or ``week`` (ISO weeks, labelled by their Monday) from ``first`` to ``last``,
    periods with none included as 0."""
    days = pd.Series(0, index=pd.Index(days_between(first, last), name="day"))
    counts = pd.Series([moment.date() for moment in finished.dropna()]).value_counts()
    days = days.add(counts.reindex(days.index, fill_value=0), fill_value=0).astype(int)
    if period == "day":
        return days.rename("items").reset_index()
    if period != "week":
        raise ValueError(f"period must be 'day' or 'week', not {period!r}")
    weeks = days.groupby([day - timedelta(days=day.weekday()) for day in days.index]).sum()
    return weeks.rename("items").rename_axis("week").reset_index()


def aging_wip(items: pd.DataFrame, events: pd.DataFrame, as_of: datetime, done: frozenset[str] = DEFAULT_DONE,
              todo: frozenset[str] = DEFAULT_TODO_STATUSES) -> pd.DataFrame:
    """Items started and not finished at ``as_of``: ``item_id, title, status, started, age_days``, oldest first."""
    rows = []
    for timeline in build_timelines(items, events).values():
        started, finished = start_and_finish(timeline, done, todo)
        status = timeline.value_at("status", as_of)
        if started is None or started > as_of or (finished is not None and finished <= as_of):
            continue
        if status is None or str(status).lower() in done:
            continue
        rows.append([timeline.item_id, timeline.title, status, started, (as_of.date() - started.date()).days + 1])
    frame = pd.DataFrame(rows, columns=["item_id", "title", "status", "started", "age_days"])
    return frame.sort_values("age_days", ascending=False, kind="stable").reset_index(drop=True)
