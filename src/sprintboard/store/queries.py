"""The few queries every part of Sprintboard shares: what the store holds, how fresh it is, its sprints and runs."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

# Tables whose row counts describe what a store holds, in the order people read them.
COUNTED_TABLES = (
    "runs",
    "run_config",
    "run_summary",
    "history",
    "predictions",
    "sprints",
    "work_items",
    "item_events",
    "hypotheses",
    "ingest_log",
)

DEMO_MARKER_KEY = "dataset"
DEMO_MARKER_VALUE = "demo"


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of each table in :data:`COUNTED_TABLES`."""
    union = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in COUNTED_TABLES)  # noqa: S608 - our names
    return {name: int(count) for name, count in con.execute(union).fetchall()}


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT max(version) FROM schema_version").fetchone()[0])


def last_ingest(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The newest ``ingest_log`` row that loaded something, or ``None`` when nothing was ever loaded."""
    row = con.execute(
        """SELECT finished_at, path, format, status FROM ingest_log
           WHERE status = 'loaded' ORDER BY finished_at DESC, ingest_id DESC LIMIT 1"""
    ).fetchone()
    if row is None:
        return None
    return {"finished_at": row[0], "path": row[1], "format": row[2], "status": row[3]}


def source_formats(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per loaded format: how many sources and when the newest was loaded."""
    return con.execute(
        """SELECT format, count(DISTINCT path) AS sources, max(finished_at) AS newest
           FROM ingest_log WHERE status = 'loaded' GROUP BY format ORDER BY newest DESC"""
    ).df()


def is_demo_store(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT value FROM store_meta WHERE key = ?", [DEMO_MARKER_KEY]).fetchone()
    return row is not None and row[0] == DEMO_MARKER_VALUE


def mark_demo_store(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM store_meta WHERE key = ?", [DEMO_MARKER_KEY])
    con.execute("INSERT INTO store_meta VALUES (?, ?)", [DEMO_MARKER_KEY, DEMO_MARKER_VALUE])


def sprint_list(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every sprint, newest start first: ``sprint_id, name, goal, start_date, end_date, team, state``."""
    return con.execute(
        """SELECT sprint_id, name, goal, start_date, end_date, team, state FROM sprints
           ORDER BY start_date DESC NULLS LAST, name"""
    ).df()


def runs_table(con: duckdb.DuckDBPyConnection, sprint_id: str | None = None) -> pd.DataFrame:
    """Runs with the sprint they are linked to (see the ``run_sprints`` view), newest first.

    With ``sprint_id`` only that sprint's runs are returned.
    """
    return con.execute(
        """SELECT r.run_id, r.name, r.state, r.created_at, r.runtime_s, r.group_name, r.job_type, r.tags,
                  rs.sprint_id, r.hypothesis_ref, r.notes, r.git_commit, r.url, r.project
           FROM runs r LEFT JOIN run_sprints rs USING (run_id)
           WHERE ? IS NULL OR rs.sprint_id = ?
           ORDER BY r.created_at DESC NULLS LAST, r.run_id""",
        [sprint_id, sprint_id],
    ).df()


def store_status(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What every page says about the data: demo or not, the last load, how many sources (in all, and per format)
    and runs."""
    (sources,) = con.execute("SELECT count(DISTINCT path) FROM ingest_log WHERE status = 'loaded'").fetchone()
    (runs,) = con.execute("SELECT count(*) FROM runs").fetchone()
    (sprints,) = con.execute("SELECT count(*) FROM sprints").fetchone()
    formats = source_formats(con)
    return {"demo": is_demo_store(con), "last_ingest": last_ingest(con), "sources": int(sources),
            "runs": int(runs), "sprints": int(sprints),
            "formats": dict(zip(formats["format"], formats["sources"].astype(int), strict=True))}


def ingest_history(con: duckdb.DuckDBPyConnection, limit: int = 200) -> pd.DataFrame:
    """The newest ``limit`` ingest-log rows: when, outcome, format, path, counts and the reason for a rejection."""
    return con.execute(
        """SELECT finished_at, status, format, path, runs, history_rows, table_rows, backlog_rows, error
           FROM ingest_log ORDER BY ingest_id DESC LIMIT ?""",
        [limit],
    ).df()


def config_keys(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Config keys that tell runs apart: set by at least two runs, with at least two distinct values."""
    rows = con.execute(
        """SELECT key FROM run_config GROUP BY key
           HAVING count(DISTINCT run_id) >= 2 AND count(DISTINCT value_json) >= 2 ORDER BY key"""
    ).fetchall()
    return [row[0] for row in rows]


def config_values(con: duckdb.DuckDBPyConnection, key: str) -> dict[str, str]:
    """Each run's value of config ``key`` as text (strings as they are, other values as JSON)."""
    rows = con.execute(
        "SELECT run_id, coalesce(value_text, value_json) FROM run_config WHERE key = ?", [key]
    ).fetchall()
    return dict(rows)


def metric_goals(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The team's metric goals (``key, better, baseline, target, headline``), the headline first."""
    return con.execute(
        "SELECT key, better, baseline, target, headline FROM metric_goals ORDER BY headline DESC, key"
    ).df()
