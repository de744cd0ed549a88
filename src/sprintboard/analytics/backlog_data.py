"""The backlog as the sprint and flow analytics take it: ``sprints``, ``work_items`` and ``item_events`` frames,
and the per-page computations that combine them, each a ``function(con, ...)`` that pages can cache.

``done_statuses`` and ``holidays`` are tuples (hashable, so they can be part of a cache key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd

from sprintboard.analytics import flow
from sprintboard.analytics.burndown import Burndown, SprintWindow, compute_burndown
from sprintboard.analytics.forecast import forecast_completion, forecast_items_by, working_day_history
from sprintboard.analytics.timeboxes import timebox_report
from sprintboard.analytics.velocity import velocity
from sprintboard.analytics.work_calendar import WorkCalendar


@dataclass(frozen=True)
class BoardSettings:
    """How a team's board counts: its done statuses (case-insensitive) and its days off besides weekends."""

    done_statuses: tuple[str, ...] = ("done", "closed", "resolved")
    holidays: tuple[date, ...] = ()

    @property
    def done(self) -> frozenset[str]:
        return frozenset(status.lower() for status in self.done_statuses)

    @property
    def calendar(self) -> WorkCalendar:
        return WorkCalendar.from_settings(holidays=self.holidays)


def sprints_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT sprint_id, name, goal, start_date, end_date, team, state FROM sprints ORDER BY start_date, sprint_id"
    ).df()


def items_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        """SELECT item_id, title, item_type, status, points, timebox_hours, sprint_id, assignee, created_at,
                  resolved_at FROM work_items ORDER BY item_id"""
    ).df()


def events_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT item_id, occurred_at, field, from_value, to_value FROM item_events ORDER BY occurred_at, item_id"
    ).df()


def statuses(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every status the backlog uses, now or in its history, alphabetically."""
    rows = con.execute(
        """SELECT DISTINCT status FROM (
               SELECT status FROM work_items UNION ALL
               SELECT from_value FROM item_events WHERE field = 'status' UNION ALL
               SELECT to_value FROM item_events WHERE field = 'status')
           WHERE status IS NOT NULL ORDER BY status"""
    ).fetchall()
    return [row[0] for row in rows]


def open_item_count(con: duckdb.DuckDBPyConnection, settings: BoardSettings) -> int:
    """Items whose status is not a done status (items without a status count as open)."""
    return int(con.execute(
        "SELECT count(*) FROM work_items WHERE lower(coalesce(status, '')) NOT IN (SELECT unnest(?))",
        [sorted(settings.done)],
    ).fetchone()[0])


def find_sprint(con: duckdb.DuckDBPyConnection, name_or_id: str) -> SprintWindow | None:
    """The sprint whose id or name is ``name_or_id`` (id first), if it has both dates."""
    row = con.execute(
        """SELECT sprint_id, name, start_date, end_date FROM sprints
           WHERE (sprint_id = ? OR name = ?) AND start_date IS NOT NULL AND end_date IS NOT NULL
           ORDER BY sprint_id = ? DESC LIMIT 1""",
        [name_or_id, name_or_id, name_or_id],
    ).fetchone()
    return SprintWindow(row[0], row[1], row[2], row[3]) if row else None


def sprint_burndown(con: duckdb.DuckDBPyConnection, sprint_id: str, statistic: str, settings: BoardSettings,
                    as_of: datetime) -> Burndown | None:
    window = find_sprint(con, sprint_id)
    if window is None:
        return None
    return compute_burndown(window, items_frame(con), events_frame(con), statistic, settings.done,
                            settings.calendar, as_of)


def sprint_velocity(con: duckdb.DuckDBPyConnection, statistic: str, settings: BoardSettings,
                    as_of: datetime) -> pd.DataFrame:
    return velocity(sprints_frame(con), items_frame(con), events_frame(con), statistic, settings.done,
                    settings.calendar, as_of)


@dataclass
class FlowMetrics:
    """Everything the Flow tab shows, for the days ``first`` to ``last``."""

    first: date
    last: date
    lanes: list[str]
    cumulative_flow: pd.DataFrame
    cycle_times: pd.DataFrame
    percentiles: dict[int, float]
    throughput_daily: pd.DataFrame
    throughput_weekly: pd.DataFrame
    aging: pd.DataFrame
    exact: bool


def flow_metrics(con: duckdb.DuckDBPyConnection, settings: BoardSettings, as_of: datetime,
                 first: date | None = None, last: date | None = None) -> FlowMetrics:
    """Flow metrics over ``first`` to ``last`` (default: from the first item's creation to ``as_of``)."""
    items, events = items_frame(con), events_frame(con)
    done = settings.done
    last = last or as_of.date()
    if first is None:
        created = pd.concat([items["created_at"], events["occurred_at"]]).dropna()
        first = created.min().date() if len(created) else last
    cycles = flow.cycle_times(items, events, done)
    finished = cycles[(cycles["finished"].dt.date >= first) & (cycles["finished"].dt.date <= last)] if len(
        cycles) else cycles
    return FlowMetrics(
        first=first,
        last=last,
        lanes=flow.status_lanes(events, items, done),
        cumulative_flow=flow.cumulative_flow(items, events, first, last),
        cycle_times=finished,
        percentiles=flow.cycle_time_percentiles(finished["cycle_days"]),
        throughput_daily=flow.throughput(finished["finished"], first, last),
        throughput_weekly=flow.throughput(finished["finished"], first, last, period="week"),
        aging=flow.aging_wip(items, events, as_of, done),
        exact=bool((events["field"] == "status").any()) if len(events) else False,
    )


def throughput_forecast(metrics: FlowMetrics, settings: BoardSettings, items_left: int, until: date,
                        history_days: int = 60) -> tuple[dict, dict]:
    """Monte Carlo forecasts from the last ``history_days`` of daily throughput (working days only)."""
    daily = metrics.throughput_daily
    recent = daily[daily["day"] > metrics.last - timedelta(days=history_days)]
    history = working_day_history(list(recent["day"]), list(recent["items"]), settings.calendar)
    start = metrics.last + timedelta(days=1)
    return (forecast_completion(items_left, history, start, calendar=settings.calendar),
            forecast_items_by(until, history, start, calendar=settings.calendar))


def sprint_timeboxes(con: duckdb.DuckDBPyConnection, settings: BoardSettings, as_of: datetime,
                     sprint_id: str | None = None) -> pd.DataFrame:
    items = items_frame(con)
    if sprint_id is not None:
        items = items[items["sprint_id"] == sprint_id]
    return timebox_report(items, events_frame(con), as_of, settings.calendar, done=settings.done)
