"""Reading a run's logged metrics from the long ``history`` table.

:func:`metric_series` never hides a spike: it reads through
:func:`~sprintboard.analytics.metric_curves.metric_lines`, whose M4 bucketing keeps every bucket's first, last,
lowest and highest point, so every local extreme and both ends survive.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from sprintboard.analytics.metric_curves import CurveQuery, metric_lines


def metric_keys(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """The numeric metric keys a run logged, alphabetically; keys holding only text are left out."""
    rows = con.execute(
        "SELECT key FROM metric_keys WHERE run_id = ? ORDER BY key",
        [run_id],
    ).fetchall()
    return [row[0] for row in rows]


def metric_series(con: duckdb.DuckDBPyConnection, run_id: str, key: str, max_points: int = 2000) -> pd.DataFrame:
    """``step, value`` of one metric of one run, ordered by step, at most ``max_points`` rows.

    Points with no numeric value (text, null) are left out. NaN and infinite values are kept as they were logged.
    Below the budget every point is returned; above it, M4 bucketing as described in the module docstring.
    """
    lines = metric_lines(con, CurveQuery((run_id,), (key,), "step", None, max(max_points, 4)))
    return pd.DataFrame({"step": lines["x"].astype("int64"), "value": lines["y"]})


def run_key_values(con: duckdb.DuckDBPyConnection, run_id: str, table: str) -> pd.DataFrame:
    """A run's config or summary (``table`` is ``run_config`` or ``run_summary``) as ``key, value`` rows."""
    if table not in ("run_config", "run_summary"):
        raise ValueError(f"unknown key-value table {table!r}")
    return con.execute(
        f"SELECT key, value_json AS value FROM {table} WHERE run_id = ? ORDER BY key",  # noqa: S608 - checked above
        [run_id],
    ).df()
