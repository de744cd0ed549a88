"""Per-sprint headline numbers: scope, completed work, hypotheses and linked runs.

Definitions:

* an item belongs to the sprint it is in now (``work_items.sprint_id``); carried-over work counts in the sprint
  that finished it;
* an item is *done* when its status is one of :data:`DONE_STATUSES` (case-insensitive);
* ``points`` sums story points; items without points count as zero there but are still counted in ``items``;
* ``runs`` are the runs linked to the sprint by the ``run_sprints`` view (tag, config key or start time).

A sprint with no items or runs gets zeros, not missing values.
"""

from __future__ import annotations

import duckdb
import pandas as pd

DONE_STATUSES = ("done", "closed", "resolved")


def sprint_overview(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per sprint, newest first: dates, goal, items (done/all), points (done/all), hypotheses, runs."""
    return con.execute(
        """
        WITH item_totals AS (
            SELECT sprint_id,
                   count(*) AS items,
                   count(*) FILTER (WHERE lower(status) IN (SELECT unnest(?))) AS items_done,
                   coalesce(sum(points), 0) AS points,
                   coalesce(sum(points) FILTER (WHERE lower(status) IN (SELECT unnest(?))), 0) AS points_done,
                   count(*) FILTER (WHERE item_type = 'hypothesis') AS hypotheses
            FROM work_items GROUP BY sprint_id
        ), run_totals AS (
            SELECT sprint_id, count(*) AS runs FROM run_sprints GROUP BY sprint_id
        )
        SELECT s.sprint_id, s.name, s.start_date, s.end_date, s.goal, s.state,
               coalesce(i.items, 0) AS items, coalesce(i.items_done, 0) AS items_done,
               coalesce(i.points, 0) AS points, coalesce(i.points_done, 0) AS points_done,
               coalesce(i.hypotheses, 0) AS hypotheses, coalesce(r.runs, 0) AS runs
        FROM sprints s
        LEFT JOIN item_totals i USING (sprint_id)
        LEFT JOIN run_totals r USING (sprint_id)
        ORDER BY s.start_date DESC NULLS LAST, s.name
        """,
        [list(DONE_STATUSES), list(DONE_STATUSES)],
    ).df()


def sprint_items(con: duckdb.DuckDBPyConnection, sprint_id: str) -> pd.DataFrame:
    """The items now in ``sprint_id``: id, title, type, status, points, time-box, assignee."""
    return con.execute(
        """SELECT item_id, title, item_type, status, points, timebox_hours, assignee
           FROM work_items WHERE sprint_id = ? ORDER BY item_id""",
        [sprint_id],
    ).df()
