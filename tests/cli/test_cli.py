"""The sprintboard command as a user runs it: real processes, real output, real exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sprintboard.demo.backlog import write_backlog
from sprintboard.store import read_connection, write_session
from sprintboard.store.queries import table_counts
from sprintboard.store.schema import CURRENT_VERSION

SPRINTBOARD = shutil.which("sprintboard", path=str(Path(sys.executable).parent))


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([SPRINTBOARD, *args], capture_output=True, text=True, timeout=120, env=env)


def test_help_lists_the_commands():
    result = run("--help")
    assert result.returncode == 0
    for command in ("ingest", "demo", "info"):
        assert command in result.stdout


def test_info_json_prints_the_counts(demo_store):
    result = run("info", "--db", str(demo_store), "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    with read_connection(demo_store) as con:
        assert document["counts"] == table_counts(con)
    assert document["schema_version"] == CURRENT_VERSION and document["demo"] is True
    assert document["counts"]["runs"] == 17 and document["counts"]["sprints"] == 4
    assert document["last_ingest"]["format"] in {"wandb-run-folder", "backlog-yaml"}


def test_info_text_and_csv(demo_store):
    text = run("info", "--db", str(demo_store))
    assert "(demo data)" in text.stdout and f"schema version: {CURRENT_VERSION}" in text.stdout
    csv_lines = run("info", "--db", str(demo_store), "--format", "csv").stdout.splitlines()
    assert csv_lines[0] == "table,rows" and "runs,17" in csv_lines


def test_the_db_can_come_from_the_environment(demo_store):
    import os

    env = {**os.environ, "SPRINTBOARD_DB": str(demo_store)}
    document = json.loads(run("info", "--format", "json", env=env).stdout)
    assert document["store"] == str(demo_store)


def test_ingest_reports_counts_and_exits_non_zero_when_a_file_is_rejected(tmp_path, store_path):
    backlog = write_backlog(tmp_path / "backlog.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("sprints:\n  - id: X\n    name: X\n    start: someday\n")
    result = run("ingest", "--db", str(store_path), str(backlog), str(bad))
    assert result.returncode == 2
    assert f"sprintboard: rejected: {bad}: sprints[0].start: must be a date" in result.stderr
    assert "1 loaded, 0 unchanged, 1 rejected" in result.stdout
    with read_connection(store_path) as con:
        assert table_counts(con)["sprints"] == 4

    again = run("ingest", "--db", str(store_path), str(backlog), "--format", "json")
    assert again.returncode == 0
    assert [row["status"] for row in json.loads(again.stdout)] == ["unchanged"]


@pytest.mark.parametrize("command", [("info",), ("ingest", "nothing-here.yaml")])
def test_a_missing_store_or_input_is_one_line_without_a_traceback(tmp_path, command):
    db = tmp_path / "absent" / "store.duckdb"
    result = run(*command, "--db", str(db))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sprintboard: error: ")
    assert str(db) in lines[0] and "Traceback" not in result.stderr


def test_a_newer_store_is_refused_in_one_line_and_debug_shows_the_traceback(store_path):
    with write_session(store_path) as writer:
        writer.con.execute("INSERT INTO schema_version VALUES (7, 'future', now())")
    result = run("info", "--db", str(store_path))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"sprintboard: error: {store_path}: store schema version 7 is newer than this Sprintboard understands "
        f"({CURRENT_VERSION}); upgrade Sprintboard to open it"
    )
    debug = run("info", "--db", str(store_path), "--debug")
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_an_unreadable_store_is_named(tmp_path):
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_text("this is not a database")
    result = run("info", "--db", str(garbage))
    assert result.returncode == 1
    assert result.stderr.strip() == f"sprintboard: error: {garbage}: not a DuckDB database file"
