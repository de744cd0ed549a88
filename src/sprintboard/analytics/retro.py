"""Sprint-over-sprint numbers for the retrospective, and the changes worth talking about.

Every number comes from the analytics the other pages use, with their definitions (``settings`` says which
statuses are done and which days are off; sprints are those with both dates, oldest first):

* **committed** -- story points in the sprint at its start and not done then (the burndown's committed scope,
  :mod:`sprintboard.analytics.burndown`, as the velocity chart shows it);
* **velocity** -- story points completed during the sprint and still done and in the sprint at its end (the
  velocity chart's ``completed``; items without points count 0); **throughput** -- the same count in items;
* **reliability** -- velocity / committed, a share; work added mid-sprint and completed counts, so it can exceed
  1. No value when nothing was committed (a zero denominator);
* **scope added** / **scope removed** -- points of the items put into / taken out of the sprint after its start,
  as the burndown counts them (re-estimates are neither; unfinished work moved on on the last day is carry-over,
  not removal). Both are zero or more;
* **carry-over** -- items (and their points at the sprint's end) unfinished in the sprint at its end -- still in it
  and not done, or moved on unfinished on its last day (the burndown's "carried over") -- that are in the next
  sprint (the next by start date, started or not) at any moment up to its end or ``as_of``. Unfinished work that
  went back to the backlog is not carry-over. The newest sprint has none until items are put into a next sprint;
* **cycle time p50 / p85** -- nearest-rank percentiles of the cycle times (calendar days, both ends counted) of the
  items that finished on a day of the sprint (:mod:`sprintboard.analytics.flow`; an item finishing then counts even
  when it is in no sprint). ``cycle_items`` says how many; no value when none finished;
* **time-boxes** / **time-box overruns** -- research items now in the sprint with a time-box, and those of them
  that spent more working time in progress than the time-box (finished: ``overrun``; not finished: ``ran out, no
  outcome``), up to ``as_of`` (:mod:`sprintboard.analytics.timeboxes`);
* **hypotheses** -- of the sprint's hypotheses, how many were *tested* (final verdict supported, refuted or
  inconclusive; a recorded decision counts over the computed verdict) and how many of each; **hit rate** is
  supported / tested, no value when none was tested (:func:`sprintboard.analytics.hypothesis_data.hit_rate`);
* **metric frontier** / **metric gain** -- for the headline metric of ``metric_goals`` (none flagged: no values),
  the best value so far after the sprint and how much the sprint moved it, in the metric's units (signed: for a
  metric where lower is better an improvement is negative); no gain for the first sprint with a finished run
  (:mod:`sprintboard.analytics.metric_frontier`).

Sprints that have not started at ``as_of`` are left out. A sprint still running has its numbers so far
(``finished`` is false).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from sprintboard.analytics import flow
from sprintboard.analytics.backlog_data import BoardSettings, events_frame, items_frame, sprints_frame
from sprintboard.analytics.burndown import Burndown, SprintWindow, compute_burndown, estimate_at
from sprintboard.analytics.hypothesis_data import hit_rate, sprint_hypotheses
from sprintboard.analytics.item_timeline import ItemTimeline, build_timelines
from sprintboard.analytics.metric_frontier import sprint_frontier
from sprintboard.analytics.timeboxes import timebox_report
from sprintboard.analytics.velocity import sprint_windows, velocity
from sprintboard.store.queries import metric_goals

RETRO_COLUMNS = [
    "sprint_id", "name", "first_day", "last_day", "finished",
    "committed", "velocity", "throughput", "reliability", "scope_added", "scope_removed",
    "carry_over_items", "carry_over_points", "cycle_items", "cycle_p50", "cycle_p85",
    "timeboxes", "timebox_overruns", "hypotheses", "tested", "supported", "refuted", "inconclusive", "hit_rate",
    "metric_frontier", "metric_gain",
]
OVERRUN_STATUSES = ("overrun", "ran out, no outcome")


@dataclass(frozen=True)
class HeadlineGoal:
    """The team's headline metric: its key, which way is better (``None``: by its name) and its baseline."""

    key: str
    better: str | None
    baseline: float | None


def headline_goal(con: duckdb.DuckDBPyConnection) -> HeadlineGoal | None:
    """The ``metric_goals`` row flagged as the headline, if any."""
    goals = metric_goals(con)
    headline = goals[goals["headline"].fillna(False).astype(bool)]
    if headline.empty:
        return None
    row = headline.iloc[0]
    return HeadlineGoal(row["key"], row["better"] if pd.notna(row["better"]) else None,
                        float(row["baseline"]) if pd.notna(row["baseline"]) else None)


def retro_table(con: duckdb.DuckDBPyConnection, as_of: datetime,
                settings: BoardSettings | None = None) -> pd.DataFrame:
    """One row per started sprint, oldest first (:data:`RETRO_COLUMNS`; definitions in the module docstring)."""
    settings = settings or BoardSettings()
    sprints, items, events = sprints_frame(con), items_frame(con), events_frame(con)
    done, calendar = settings.done, settings.calendar
    points = velocity(sprints, items, events, "points", done, calendar, as_of)
    if points.empty:
        return pd.DataFrame(columns=RETRO_COLUMNS)
    counts = velocity(sprints, items, events, "count", done, calendar, as_of).set_index("sprint_id")
    table = points.drop(columns="average_3").rename(columns={"completed": "velocity"})
    table["throughput"] = table["sprint_id"].map(counts["completed"]).astype(float)
    table["reliability"] = [v / c if c else np.nan for v, c in zip(table["velocity"], table["committed"],
                                                                     strict=True)]

    windows = {window.sprint_id: window for window in sprint_windows(sprints)}
    order = list(windows)
    timelines = build_timelines(items, events)
    cycles = flow.cycle_times(items, events, done)
    scope_rows, cycle_rows = [], []
    for sprint_id in table["sprint_id"]:
        window = windows[sprint_id]
        chart = compute_burndown(window, items, events, "points", done, calendar, as_of)
        kinds = chart.changes.groupby("kind")["delta"].sum()
        following = order.index(sprint_id) + 1
        carried = carried_over(window, windows[order[following]] if following < len(order) else None, chart,
                               timelines, done, as_of)
        # Removals are negative deltas of remaining work; the table gives them as a size (abs also avoids -0.0).
        scope_rows.append([float(kinds.get("scope added", 0.0)), abs(float(kinds.get("scope removed", 0.0))),
                           len(carried), float(sum(carried.values()))])
        finished = _finished_in(cycles, window, as_of)
        percentiles = flow.cycle_time_percentiles(finished["cycle_days"], (50, 85))
        cycle_rows.append([len(finished), percentiles.get(50, np.nan), percentiles.get(85, np.nan)])
    scope = pd.DataFrame(scope_rows, index=table.index,
                         columns=["scope_added", "scope_removed", "carry_over_items", "carry_over_points"])
    finishing = pd.DataFrame(cycle_rows, index=table.index, columns=["cycle_items", "cycle_p50", "cycle_p85"])
    table = pd.concat([table, scope, finishing], axis=1)

    boxes = timebox_report(items, events, as_of, calendar, done=done)
    per_sprint = boxes.groupby("sprint_id")
    table["timeboxes"] = table["sprint_id"].map(per_sprint.size()).fillna(0).astype(int)
    overruns = boxes[boxes["status"].isin(OVERRUN_STATUSES)].groupby("sprint_id").size()
    table["timebox_overruns"] = table["sprint_id"].map(overruns).fillna(0).astype(int)

    verdicts = hit_rate(sprint_hypotheses(con, None, as_of, settings)).set_index("sprint_id")
    for column in ("hypotheses", "tested", "supported", "refuted", "inconclusive"):
        table[column] = table["sprint_id"].map(verdicts[column]).fillna(0).astype(int)
    table["hit_rate"] = [s / t if t else np.nan for s, t in zip(table["supported"], table["tested"], strict=True)]

    goal = headline_goal(con)
    if goal is None:
        table["metric_frontier"] = table["metric_gain"] = np.nan
    else:
        frontier = sprint_frontier(con, goal.key, goal.better, goal.baseline).set_index("sprint_id")
        table["metric_frontier"] = table["sprint_id"].map(frontier["frontier"]).astype(float)
        table["metric_gain"] = table["sprint_id"].map(frontier["frontier_gain"]).astype(float)
    return table[RETRO_COLUMNS].reset_index(drop=True)


def _finished_in(cycles: pd.DataFrame, window: SprintWindow, as_of: datetime) -> pd.DataFrame:
    """The finished items (``flow.cycle_times`` rows) that finished on a day of the sprint, up to ``as_of``."""
    if cycles.empty:
        return cycles
    day = cycles["finished"].dt.date
    return cycles[(day >= window.first_day) & (day <= window.last_day) & (cycles["finished"] <= as_of)]


def carried_over(window: SprintWindow, following: SprintWindow | None, chart: Burndown,
                 timelines: dict[str, ItemTimeline], done: frozenset[str], as_of: datetime) -> dict[str, float]:
    """``{item_id: points at the sprint's end}`` of the items carried over from ``window`` into ``following`` (see
    the module docstring); ``chart`` is the sprint's burndown. Empty without a following sprint."""
    if following is None:
        return {}
    moved_on_last_day = set(chart.changes.loc[chart.changes["kind"] == "carried over", "item_id"])
    until = min(following.ends, as_of)
    carried = {}
    for timeline in timelines.values():
        unfinished = timeline.item_id in moved_on_last_day or (
            timeline.in_sprint_at(window.ends, window.keys) and not timeline.is_done_at(window.ends, done))
        if unfinished and _in_sprint_until(timeline, following, window.starts, until):
            carried[timeline.item_id] = estimate_at(timeline, "points", window.ends)
    return carried


def _in_sprint_until(timeline: ItemTimeline, sprint: SprintWindow, since: datetime, until: datetime) -> bool:
    """Whether the item is in ``sprint`` at its start, at ``until`` or after any change of its sprint from ``since``
    to ``until`` (earlier changes are not the carry: the item may have been planned there once and moved back)."""
    moments = [when for when, _, _ in timeline.changes.get("sprint", []) if since < when <= until]
    moments += [min(sprint.starts, until), until]
    return any(timeline.in_sprint_at(moment, sprint.keys) for moment in moments)


@dataclass(frozen=True)
class PromptMetric:
    """A number of the retro table that prompts can be about: its column, its label, its unit (singular and
    plural; empty for shares) and how its values are written."""

    column: str
    label: str
    unit: tuple[str, str]
    number: str = "{:g}"

    @property
    def share(self) -> bool:
        return "%" in self.number

    def unit_for(self, value: float) -> str:
        singular, plural = self.unit
        word = singular if value == 1 and self.number == "{:g}" else plural
        return f" {word}" if word else ""


PROMPT_METRICS = (
    PromptMetric("velocity", "Velocity", ("point", "points")),
    PromptMetric("throughput", "Throughput", ("item", "items")),
    PromptMetric("committed", "Committed scope", ("point", "points")),
    PromptMetric("reliability", "Commitment reliability", ("", ""), "{:.0%}"),
    PromptMetric("scope_added", "Scope added", ("point", "points")),
    PromptMetric("scope_removed", "Scope removed", ("point", "points")),
    PromptMetric("carry_over_items", "Carry-over", ("item", "items")),
    PromptMetric("cycle_p50", "Cycle time p50", ("days", "days"), "{:.1f}"),
    PromptMetric("cycle_p85", "Cycle time p85", ("days", "days"), "{:.1f}"),
    PromptMetric("timebox_overruns", "Time-box overruns", ("item", "items")),
    PromptMetric("tested", "Hypotheses tested", ("hypothesis", "hypotheses")),
    PromptMetric("hit_rate", "Hypothesis hit rate", ("", ""), "{:.0%}"),
)
# A change smaller than this share of the previous sprint's value is not called out: sprint-to-sprint noise of a
# few points or a day of cycle time is normal and would bury the changes worth a conversation. The headline metric's
# gain is left out of the prompts: gains are often near zero, where any change is a huge relative one.
PROMPT_THRESHOLD = 0.20
MINUS = "\u2212"


@dataclass(frozen=True)
class Prompt:
    """One change worth discussing: the table column it comes from, its label, the two values, the change
    (``current - previous``), its size relative to the previous value (``None`` for a change from zero) and the
    sentence saying it."""

    column: str
    label: str
    previous: float
    current: float
    change: float
    relative: float | None
    text: str


def discussion_prompts(table: pd.DataFrame, sprint_id: str | None = None,
                       threshold: float = PROMPT_THRESHOLD) -> list[Prompt]:
    """The changes from the sprint before to ``sprint_id`` (default: the latest sprint in ``table``), largest first.

    "The sprint before" is the previous row of ``table``. For each number of :data:`PROMPT_METRICS`, the relative
    change is ``(current - previous) / |previous|``. A change is a prompt when both values are known, differ, and
    the change is at least ``threshold`` (20%) in size. A change from zero has no relative change (a zero
    denominator): it is always a prompt, says no percentage, and ranks as 100%, the size of a fall to zero. Equal
    sizes keep the order of :data:`PROMPT_METRICS`. Shares (reliability, hit rate) are compared relative to
    themselves too: 80% to 60% is -25% relative. The first sprint has no previous one, so it has no prompts; nor has
    a sprint not in the table.
    """
    ids = list(table["sprint_id"])
    sprint_id = ids[-1] if sprint_id is None and ids else sprint_id
    if sprint_id not in ids or ids.index(sprint_id) == 0:
        return []
    position = ids.index(sprint_id)
    previous_row, current_row = table.iloc[position - 1], table.iloc[position]
    ranked = []
    for rank, metric in enumerate(PROMPT_METRICS):
        previous, current = previous_row[metric.column], current_row[metric.column]
        if _missing(previous) or _missing(current) or previous == current:
            continue
        previous, current = float(previous), float(current)
        relative = None if previous == 0 else (current - previous) / abs(previous)
        if relative is not None and abs(relative) < threshold:
            continue
        verb = "rose" if current > previous else "fell"
        text = (f"{metric.label} {verb} from {metric.number.format(previous)} to {metric.number.format(current)}"
                f"{metric.unit_for(current)}")
        if relative is not None:
            percent = f"{'+' if relative > 0 else MINUS}{abs(relative):.0%}"
            text += f" ({percent} relative)" if metric.share else f" ({percent})"
        prompt = Prompt(metric.column, metric.label, previous, current, current - previous, relative, text)
        ranked.append((-(1.0 if relative is None else abs(relative)), rank, prompt))
    return [prompt for _, _, prompt in sorted(ranked, key=lambda entry: entry[:2])]


def _missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))
