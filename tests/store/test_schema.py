"""The schema is created and migrated by code, refuses newer stores, and matches docs/schema.md."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from sprintboard.store import StoreError, read_connection, write_session
from sprintboard.store.connection import apply_migrations, schema_version_of
from sprintboard.store.schema import CURRENT_VERSION, MIGRATIONS, Migration

SCHEMA_DOC = Path(__file__).resolve().parents[2] / "docs" / "schema.md"
REQUIRED_TABLES = {"runs", "run_config", "run_summary", "history", "predictions", "sprints", "work_items",
                   "item_events", "hypotheses", "ingest_log", "schema_version"}


def _columns(con) -> dict[str, list[str]]:
    rows = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns ORDER BY table_name, ordinal_position"
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def _documented_columns() -> dict[str, list[str]]:
    """Tables and views under '### name' headings with their '| column | type | meaning |' rows."""
    documented: dict[str, list[str]] = {}
    current = None
    for line in SCHEMA_DOC.read_text().splitlines():
        if heading := re.match(r"^### (\w+)$", line):
            current = heading.group(1)
            documented[current] = []
        elif current and (row := re.match(r"^\| (\w+) \| ([A-Z\[\]]+) \|", line)):
            documented[current].append(row.group(1))
    return documented


def test_new_store_has_every_table_at_the_current_version(store_path):
    with write_session(store_path):
        pass
    with read_connection(store_path) as con:
        assert REQUIRED_TABLES <= set(_columns(con))
        assert schema_version_of(con, store_path) == CURRENT_VERSION
        assert con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(MIGRATIONS)


def test_every_table_and_column_is_documented_and_nothing_else(store_path):
    with write_session(store_path):
        pass
    with read_connection(store_path) as con:
        real = _columns(con)
    assert _documented_columns() == real


def test_an_empty_duckdb_file_is_migrated_when_opened(store_path):
    duckdb.connect(str(store_path)).close()
    with read_connection(store_path) as con:
        assert schema_version_of(con, store_path) == CURRENT_VERSION


def test_migrations_apply_in_order_and_a_failing_one_leaves_the_previous_version(store_path):
    con = duckdb.connect(str(store_path))
    first = MIGRATIONS[:1]
    apply_migrations(con, store_path, first)
    adds_column = Migration(2, "add runs.priority", ("ALTER TABLE runs ADD COLUMN priority INTEGER",))
    assert apply_migrations(con, store_path, first + (adds_column,)) == 1
    assert schema_version_of(con, store_path) == 2
    assert "priority" in _columns(con)["runs"]

    broken = Migration(3, "broken", ("ALTER TABLE runs ADD COLUMN flag BOOLEAN", "SELECT * FROM no_such_table"))
    with pytest.raises(duckdb.CatalogException):
        apply_migrations(con, store_path, first + (adds_column, broken))
    assert schema_version_of(con, store_path) == 2
    assert "flag" not in _columns(con)["runs"]


def test_a_store_from_a_newer_sprintboard_is_refused_with_a_clear_message(store_path):
    with write_session(store_path) as writer:
        writer.con.execute("INSERT INTO schema_version VALUES (99, 'from the future', now())")
    with pytest.raises(StoreError) as refused:
        with read_connection(store_path):
            pass
    message = str(refused.value)
    assert message.startswith(str(store_path))
    assert "newer" in message and "99" in message
    with pytest.raises(StoreError, match="newer"):
        with write_session(store_path):
            pass


def test_a_duckdb_file_that_is_not_a_sprintboard_store_is_refused(store_path):
    con = duckdb.connect(str(store_path))
    con.execute("CREATE TABLE something_else (x INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="not a Sprintboard store"):
        with read_connection(store_path):
            pass


def test_a_version_1_store_with_data_gains_the_decisions_table_when_opened(store_path):
    con = duckdb.connect(str(store_path))
    apply_migrations(con, store_path, MIGRATIONS[:1])
    con.execute("INSERT INTO sprints (sprint_id, name, source_path) VALUES ('S1', 'Sprint 1', 'b.yaml')")
    con.close()
    with write_session(store_path) as writer:
        writer.con.execute("INSERT INTO hypothesis_decisions VALUES ('H1', now(), 'refuted', 'seen enough', 'Ana')")
    with read_connection(store_path) as con:
        assert schema_version_of(con, store_path) == CURRENT_VERSION
        assert con.execute("SELECT name FROM sprints").fetchall() == [("Sprint 1",)]
        assert con.execute("SELECT decision FROM hypothesis_decisions").fetchall() == [("refuted",)]


def test_migrating_a_store_with_history_lists_its_metrics(store_path):
    con = duckdb.connect(str(store_path))
    apply_migrations(con, store_path, MIGRATIONS[:5])
    con.execute("""INSERT INTO history (run_id, step, key, value_num, value_text) VALUES
                   ('r1', 0, 'loss', 1.0, NULL), ('r1', 1, 'loss', 0.5, NULL), ('r1', 0, 'note', NULL, 'hi'),
                   ('r2', 0, 'loss', 'NaN', NULL)""")
    con.close()
    with read_connection(store_path) as con:
        assert con.execute("SELECT run_id, key, points FROM metric_keys ORDER BY ALL").fetchall() == [
            ("r1", "loss", 2), ("r2", "loss", 1)]
