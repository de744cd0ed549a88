"""Sprint burndown and burnup, computed the way Jira's burndown chart computes them.

Definitions (for one sprint, with its start at 00:00 of its first day and its end at 24:00 of its last day):

* the *statistic* is an item's story points (``points``), its original time estimate in hours (``hours``; research
  items carry it as their time-box) or 1 (``count``); an item without the estimate counts 0;
* *committed scope* is the statistic summed over the items in the sprint at its start that are not done then;
* *remaining* at any moment is the statistic summed over the items in the sprint that are not done;
* an item put into the sprint after the start is *scope added* (remaining rises by its estimate); one taken out is
  *scope removed*, except unfinished work moved into another sprint on the last day, which is *carried over* and
  still counts as remaining (Jira's chart ends when the sprint is closed, before that move); an estimate change
  of an item in the sprint changes remaining by the difference;
* an item is done when its status is one of the board's done statuses (case-insensitive, configurable); reaching one
  *completes* it (remaining falls by its estimate), leaving it *reopens* it (it counts again);
* *completed* is the statistic summed over the items completed during the sprint and still done and in the sprint;
  *scope* (the burnup's total line) is remaining plus completed;
* the *guideline* runs from committed to zero over the working days (:mod:`sprintboard.analytics.work_calendar`).

Items done before the sprint started and never reopened take no part, as in Jira. Moments are the store's naive
UTC times; sprint dates are read as UTC days. Where an item has no change history for a field the value is assumed
constant (:mod:`sprintboard.analytics.item_timeline`); :attr:`Burndown.approximations` says so in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pandas as pd

from sprintboard.analytics.item_timeline import ItemTimeline, as_number, build_timelines, sprint_names
from sprintboard.analytics.work_calendar import WorkCalendar, days_between, guideline_by_day

STATISTICS = ("points", "hours", "count")
DEFAULT_DONE_STATUSES = frozenset({"done", "closed", "resolved"})
CHANGE_COLUMNS = ["at", "item_id", "title", "kind", "delta", "remaining", "scope", "completed"]
DAY_COLUMNS = ["day", "working_day", "remaining", "scope", "completed", "guideline"]


@dataclass(frozen=True)
class SprintWindow:
    sprint_id: str
    name: str
    first_day: date
    last_day: date

    @property
    def starts(self) -> datetime:
        return datetime.combine(self.first_day, time())

    @property
    def ends(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time())

    @property
    def keys(self) -> frozenset[str]:
        return frozenset({self.sprint_id, self.name})


@dataclass
class Burndown:
    """``changes``: one row per change that moved the chart (:data:`CHANGE_COLUMNS`; ``kind`` is ``scope added``,
    ``scope removed``, ``carried over``, ``estimate changed``, ``completed`` or ``reopened``); ``days``: one row per
    calendar day (:data:`DAY_COLUMNS`, values at the end of the day; ``None`` for days after ``as_of``)."""

    sprint: SprintWindow
    statistic: str
    committed: float
    changes: pd.DataFrame
    days: pd.DataFrame
    approximations: list[str] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return not self.approximations


@dataclass
class _ItemState:
    in_sprint: bool
    estimate: float
    done: bool

    @property
    def remaining(self) -> float:
        return self.estimate if self.in_sprint and not self.done else 0.0


def estimate_at(timeline: ItemTimeline, statistic: str, moment: datetime) -> float:
    """The item's size in ``statistic`` at ``moment``; 0 for a missing estimate."""
    if statistic == "count":
        return 1.0
    name = "points" if statistic == "points" else "timebox_hours"
    return as_number(timeline.value_at(name, moment)) or 0.0


def compute_burndown(
    sprint: SprintWindow,
    items: pd.DataFrame,
    events: pd.DataFrame,
    statistic: str = "points",
    done_statuses: frozenset[str] = DEFAULT_DONE_STATUSES,
    calendar: WorkCalendar | None = None,
    as_of: datetime | None = None,
) -> Burndown:
    """Burndown and burnup of ``sprint`` from ``items`` (``work_items`` rows) and ``events`` (``item_events``).

    ``as_of`` (default: now) ends the chart for a running sprint: later changes are ignored and later days are
    ``None``. Raises ``ValueError`` for an unknown statistic.
    """
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {', '.join(STATISTICS)}, not {statistic!r}")
    calendar = calendar or WorkCalendar()
    done = frozenset(status.lower() for status in done_statuses)
    cutoff = min(sprint.ends, as_of or datetime.now())
    timelines = [t for t in build_timelines(items, events).values() if _ever_in(t, sprint.keys)]

    def state(timeline: ItemTimeline, moment: datetime) -> _ItemState:
        return _ItemState(timeline.in_sprint_at(moment, sprint.keys), estimate_at(timeline, statistic, moment),
                          timeline.is_done_at(moment, done))

    states = {t.item_id: state(t, sprint.starts) for t in timelines}
    committed = sum(s.remaining for s in states.values())
    burned: dict[str, float] = {}
    remaining = committed
    rows = []
    moments = sorted({(when, t.item_id) for t in timelines for when in t.change_times()
                      if sprint.starts < when <= cutoff})
    by_id = {t.item_id: t for t in timelines}
    for when, item_id in moments:
        timeline = by_id[item_id]
        before, after = states[item_id], state(timeline, when)
        states[item_id] = after
        kind = _kind(before, after)
        if kind in (None, "scope removed") and _carried_over(timeline, when, sprint, before):
            # Closing a sprint moves its unfinished work to the next one; Jira's chart ends at the close, so the
            # work still counts as remaining here rather than as scope taken out.
            states[item_id] = before
            rows.append([when, item_id, timeline.title, "carried over", 0.0, remaining,
                         remaining + sum(burned.values()), sum(burned.values())])
            continue
        if kind is None:
            continue
        delta = after.remaining - before.remaining
        remaining += delta
        if after.in_sprint and after.done and (before.in_sprint and not before.done or item_id in burned):
            burned[item_id] = after.estimate
        else:
            burned.pop(item_id, None)
        completed = sum(burned.values())
        rows.append([when, item_id, timeline.title, kind, delta, remaining, remaining + completed, completed])
    changes = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    days = _by_day(sprint, committed, changes, calendar, cutoff)
    return Burndown(sprint, statistic, committed, changes, days, _approximations(timelines, done))


def _ever_in(timeline: ItemTimeline, keys: frozenset[str]) -> bool:
    values = [timeline.current.get("sprint")]
    values += [v for _, before, after in timeline.changes.get("sprint", []) for v in (before, after)]
    return any(sprint_names(value) & keys for value in values)


def _carried_over(timeline: ItemTimeline, when: datetime, sprint: SprintWindow, before: _ItemState) -> bool:
    """An unfinished item of the sprint moved into another sprint on the sprint's last day (Jira adds the next
    sprint to the list and keeps this one; other sources replace it)."""
    if before.done or not before.in_sprint or when.date() != sprint.last_day:
        return False
    changes = [c for c in timeline.changes.get("sprint", []) if c[0] == when]
    return any(sprint_names(after) - sprint_names(previous) - sprint.keys for _, previous, after in changes)


def _kind(before: _ItemState, after: _ItemState) -> str | None:
    if after.in_sprint and not before.in_sprint:
        return "scope added"
    if before.in_sprint and not after.in_sprint:
        return "scope removed"
    if not after.in_sprint:
        return None
    if after.done and not before.done:
        return "completed"
    if before.done and not after.done:
        return "reopened"
    if after.estimate != before.estimate and not after.done:
        return "estimate changed"
    return None


def _by_day(sprint: SprintWindow, committed: float, changes: pd.DataFrame, calendar: WorkCalendar,
            cutoff: datetime) -> pd.DataFrame:
    guideline = guideline_by_day(committed, sprint.first_day, sprint.last_day, calendar)
    rows = []
    for day in days_between(sprint.first_day, sprint.last_day):
        if datetime.combine(day, time()) > cutoff:
            values = (None, None, None)
        else:
            end_of_day = min(datetime.combine(day + timedelta(days=1), time()), cutoff)
            upto = changes[changes["at"] <= end_of_day]
            values = ((committed, committed, 0.0) if upto.empty else
                      tuple(upto.iloc[-1][["remaining", "scope", "completed"]]))
        rows.append([day, calendar.is_working_day(day), *values, guideline[day]])
    return pd.DataFrame(rows, columns=DAY_COLUMNS)


def _approximations(timelines: list[ItemTimeline], done: frozenset[str]) -> list[str]:
    """Plain sentences naming what had to be assumed; empty when the changelog covers everything drawn."""
    notes = []
    if timelines and not any(t.changes.get("sprint") for t in timelines):
        notes.append("There is no sprint history: items are taken as in the sprint from their creation, so scope "
                     "added or removed during the sprint is not shown.")
    inferred = [t for t in timelines if not t.changes.get("status") and str(t.current.get("status")).lower() in done]
    if inferred:
        notes.append(f"{len(inferred)} of {len(timelines)} items have no status history: they are taken as done "
                     "at their resolution date, and reopenings are not seen.")
    return notes
