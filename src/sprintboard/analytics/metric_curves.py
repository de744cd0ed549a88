"""Metric curves of many runs, downsampled in the store so that a chart never hides a spike.

A *line* is one metric of one run against an x-axis:

* ``step`` -- the run's step;
* ``runtime`` -- seconds since the run started (relative time);
* ``wall`` -- wall-clock time, as epoch seconds (the page shows them as dates);
* ``metric:<key>`` -- the value of another metric logged at the same step of the same run (a point without one is
  left out).

Downsampling (M4): a line with more points than the budget is cut into ``budget // 4`` equal-width buckets of x,
and each bucket keeps its first and last point and its lowest and highest value. So every local extreme of the data
and both ends survive -- unlike random sampling, which drops spikes. A value reached at several x is kept at the
first of them, so the same data always gives the same points. A zoomed range is re-queried from the store at
full resolution up to the same budget. DuckDB does the filtering and bucketing; only the kept points reach Python.

*Grouped* lines aggregate the runs of a group (a sprint, a W&B group or a config value) on a shared x grid:
``budget`` equal-width buckets over the group's x range, one point each. In each bucket every run contributes its
mean (so a run that logs more often does not weigh more), and the group's line is the mean of those, with the
minimum, maximum and standard deviation across runs for the band. Points with no numeric value are left out; NaN
and infinities are kept in the ungrouped lines as logged and left out of group aggregates (a mean with a NaN in it
says nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

X_AXES = ("step", "runtime", "wall")
X_LABELS = {"step": "Step", "runtime": "Relative time (s)", "wall": "Wall time"}
METRIC_AXIS = "metric:"
GROUP_BYS = ("sprint", "group", "config")
DEFAULT_BUDGET = 1500


@dataclass(frozen=True)
class CurveQuery:
    """Which lines to read: ``runs`` × ``keys`` against ``x_axis``, within ``x_range`` (inclusive; ``None`` for
    the whole run), at most ``budget`` points per line."""

    runs: tuple[str, ...]
    keys: tuple[str, ...]
    x_axis: str = "step"
    x_range: tuple[float, float] | None = None
    budget: int = DEFAULT_BUDGET

    def __post_init__(self) -> None:
        if self.x_axis not in X_AXES and not (self.x_axis.startswith(METRIC_AXIS) and len(self.x_axis) > 7):
            raise ValueError(f"unknown x-axis {self.x_axis!r}: use one of {', '.join(X_AXES)} or metric:<key>")
        if self.budget < 4:
            raise ValueError("a line needs a budget of at least 4 points")


def metric_catalog(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every numeric metric key in the store with the number of runs that logged it, most widely logged first
    (from ``metric_keys``, which the loader keeps with the history)."""
    return con.execute("SELECT key, count(*) AS runs FROM metric_keys GROUP BY key ORDER BY runs DESC, key").df()


def _points_sql(query: CurveQuery) -> tuple[str, list]:
    """The ``run_id, key, x, y`` points of ``query`` as SQL and its parameters."""
    params: list = [list(query.runs), list(query.keys)]
    if query.x_axis.startswith(METRIC_AXIS):
        sql = """SELECT h.run_id, h.key, xh.value_num AS x, h.value_num AS y
                 FROM history h JOIN history xh
                   ON xh.run_id = h.run_id AND xh.step = h.step AND xh.key = ? AND isfinite(xh.value_num)
                 WHERE h.run_id IN (SELECT unnest(?)) AND h.key IN (SELECT unnest(?)) AND h.value_num IS NOT NULL"""
        params.insert(0, query.x_axis.removeprefix(METRIC_AXIS))
    else:
        x = {"step": "h.step", "runtime": "h.runtime_s", "wall": "epoch(h.timestamp)"}[query.x_axis]
        sql = f"""SELECT h.run_id, h.key, {x}::DOUBLE AS x, h.value_num AS y FROM history h
                  WHERE h.run_id IN (SELECT unnest(?)) AND h.key IN (SELECT unnest(?))
                    AND h.value_num IS NOT NULL AND {x} IS NOT NULL"""  # noqa: S608 - x is one of ours
    if query.x_range is not None:
        sql = f"SELECT * FROM ({sql}) WHERE x BETWEEN ? AND ?"  # noqa: S608 - our text
        params += [float(query.x_range[0]), float(query.x_range[1])]
    return sql, params


def metric_lines(con: duckdb.DuckDBPyConnection, query: CurveQuery) -> pd.DataFrame:
    """``run_id, key, x, y`` of every line of ``query``, ordered by line and x; at most ``budget`` points per line
    (M4, see the module docstring). Also returns, per line, how many points it has in the range (``points``)."""
    points_sql, params = _points_sql(query)
    buckets = query.budget // 4
    sql = f"""
        WITH points AS ({points_sql}),
        lines AS (SELECT run_id, key, count(*) AS points, min(x) AS lo, max(x) AS hi FROM points GROUP BY ALL),
        small AS (SELECT p.run_id, p.key, p.x, p.y, l.points FROM points p JOIN lines l USING (run_id, key)
                  WHERE l.points <= ?),
        bucketed AS (
            SELECT p.run_id, p.key, p.x, p.y, l.points,
                   least(floor((p.x - l.lo) / nullif(l.hi - l.lo, 0) * ?), ? - 1)::BIGINT AS bucket
            FROM points p JOIN lines l USING (run_id, key) WHERE l.points > ?),
        extremes AS (
            SELECT run_id, key, any_value(points) AS points,
                   [ {{'x': min(x), 'y': arg_min(y, x)}}, {{'x': max(x), 'y': arg_max(y, x)}},
                     {{'x': arg_min(x, (y, x)), 'y': min(y)}}, {{'x': arg_max(x, (y, -x)), 'y': max(y)}} ] AS kept
            FROM bucketed GROUP BY run_id, key, bucket)
        SELECT run_id, key, x, y, points FROM small
        UNION
        SELECT run_id, key, point.x, point.y, points FROM (SELECT run_id, key, points, unnest(kept) AS point
                                                           FROM extremes)
        ORDER BY run_id, key, x
    """  # noqa: S608 - our text
    return con.execute(sql, [*params, query.budget, buckets, buckets, query.budget]).df()


def group_lines(con: duckdb.DuckDBPyConnection, query: CurveQuery, group_by: str,
                config_key: str | None = None) -> pd.DataFrame:
    """``group, key, x, mean, low, high, std, runs`` per bucket of each group's line (see the module docstring).

    ``group_by`` is ``sprint`` (the sprint a run is linked to), ``group`` (the W&B group) or ``config`` (the value
    of ``config_key``). Runs without a value form the group ``(none)``. ``std`` is the sample standard deviation
    across runs, null with a single run.
    """
    if group_by not in GROUP_BYS:
        raise ValueError(f"unknown grouping {group_by!r}: use one of {', '.join(GROUP_BYS)}")
    if group_by == "config" and not config_key:
        raise ValueError("grouping by config needs a config key")
    points_sql, params = _points_sql(query)
    group_sql = {
        "sprint": "SELECT run_id, sprint_id AS grp FROM run_sprints",
        "group": "SELECT run_id, group_name AS grp FROM runs",
        "config": "SELECT run_id, coalesce(value_text, value_json) AS grp FROM run_config WHERE key = ?",
    }[group_by]
    group_params = [config_key] if group_by == "config" else []
    buckets = query.budget
    sql = f"""
        WITH points AS ({points_sql}),
        grouped AS (SELECT coalesce(g.grp, '(none)') AS grp, p.* FROM points p LEFT JOIN ({group_sql}) g USING (run_id)
                    WHERE isfinite(p.y)),
        ranges AS (SELECT grp, key, min(x) AS lo, max(x) AS hi FROM grouped GROUP BY ALL),
        per_run AS (
            SELECT g.grp, g.key, g.run_id,
                   least(floor((g.x - r.lo) / nullif(r.hi - r.lo, 0) * ?), ? - 1)::BIGINT AS bucket,
                   avg(g.x) AS x, avg(g.y) AS y
            FROM grouped g JOIN ranges r USING (grp, key) GROUP BY ALL)
        SELECT grp AS "group", key, avg(x) AS x, avg(y) AS mean, min(y) AS low, max(y) AS high,
               stddev_samp(y) AS std, count(*) AS runs
        FROM per_run GROUP BY grp, key, coalesce(bucket, 0) ORDER BY "group", key, x
    """  # noqa: S608 - our text
    return con.execute(sql, [*params, *group_params, buckets, buckets]).df()


def x_extent(con: duckdb.DuckDBPyConnection, query: CurveQuery) -> tuple[float, float] | None:
    """The smallest and largest x of ``query``'s lines over their whole range, or ``None`` with no point."""
    whole = CurveQuery(query.runs, query.keys, query.x_axis, None, query.budget)
    points_sql, params = _points_sql(whole)
    # points_sql is built by _points_sql from constants; every value in it is a parameter.
    low, high = con.execute(f"SELECT min(x), max(x) FROM ({points_sql})", params).fetchone()  # noqa: S608 - ours
    return None if low is None else (float(low), float(high))
