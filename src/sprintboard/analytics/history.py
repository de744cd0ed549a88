"""Reading a run's logged metrics from the long ``history`` table.

:func:`metric_series` never hides a spike: when a series has more points than the caller can draw, the steps are
cut into equal-width buckets and each bucket keeps its first, last, lowest and highest point (the M4 rule), so
every local extreme and both ends survive.
"""

from __future__ import annotations

import duckdb
import pandas as pd


def metric_keys(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """The numeric metric keys a run logged, alphabetically; keys holding only text are left out."""
    rows = con.execute(
        """SELECT DISTINCT key FROM history WHERE run_id = ? AND value_num IS NOT NULL ORDER BY key""",
        [run_id],
    ).fetchall()
    return [row[0] for row in rows]


def metric_series(con: duckdb.DuckDBPyConnection, run_id: str, key: str, max_points: int = 2000) -> pd.DataFrame:
    """``step, value`` of one metric of one run, ordered by step, at most ``max_points`` rows.

    Points with no numeric value (text, null) are left out. NaN and infinite values are kept as they were logged.
    Below the budget every point is returned; above it, M4 bucketing as described in the module docstring.
    """
    (count, low, high) = con.execute(
        "SELECT count(*), min(step), max(step) FROM history WHERE run_id = ? AND key = ? AND value_num IS NOT NULL",
        [run_id, key],
    ).fetchone()
    if count <= max_points:
        return con.execute(
            """SELECT step, value_num AS value FROM history
               WHERE run_id = ? AND key = ? AND value_num IS NOT NULL ORDER BY step""",
            [run_id, key],
        ).df()
    buckets = max(max_points // 4, 1)
    width = (high - low + 1) / buckets
    return con.execute(
        """
        WITH points AS (
            SELECT step, value_num AS value, floor((step - ?) / ?)::BIGINT AS bucket
            FROM history WHERE run_id = ? AND key = ? AND value_num IS NOT NULL
        ), ranked AS (
            SELECT step, value,
                   row_number() OVER (PARTITION BY bucket ORDER BY step) AS first_rank,
                   row_number() OVER (PARTITION BY bucket ORDER BY step DESC) AS last_rank,
                   row_number() OVER (PARTITION BY bucket ORDER BY value, step) AS low_rank,
                   row_number() OVER (PARTITION BY bucket ORDER BY value DESC, step) AS high_rank
            FROM points
        )
        SELECT DISTINCT step, value FROM ranked
        WHERE first_rank = 1 OR last_rank = 1 OR low_rank = 1 OR high_rank = 1
        ORDER BY step
        """,
        [low, width, run_id, key],
    ).df()


def run_key_values(con: duckdb.DuckDBPyConnection, run_id: str, table: str) -> pd.DataFrame:
    """A run's config or summary (``table`` is ``run_config`` or ``run_summary``) as ``key, value`` rows."""
    if table not in ("run_config", "run_summary"):
        raise ValueError(f"unknown key-value table {table!r}")
    return con.execute(
        f"SELECT key, value_json AS value FROM {table} WHERE run_id = ? ORDER BY key",  # noqa: S608 - checked above
        [run_id],
    ).df()
