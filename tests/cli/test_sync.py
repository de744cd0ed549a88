"""``sprintboard sync`` as a user runs it, against a fake of the W&B public API (the test machines have no network)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
from click.testing import CliRunner
from wandb.errors import UsageError

from sprintboard.cli import main
from sprintboard.store import read_connection
from tests.ingest.fake_wandb_api import FakeApi, FakeCommError, FakeRun

SPRINTBOARD = shutil.which("sprintboard", path=str(Path(sys.executable).parent))
KEY_ADVICE = "run `wandb login` or set WANDB_API_KEY"


def sync(api_factory, *args: str):
    return CliRunner().invoke(main, ["sync", *args], obj={"wandb_api_factory": api_factory})


def small_project() -> FakeApi:
    first = FakeRun("r1", created_at="2026-01-12T10:00:00", tags=["a"], state="finished")
    first.log({"loss": 0.4}, step=0)
    first.log({"loss": 0.3}, step=1)
    first.log_table("preds", ["y", "p"], [[1, 0.8], [0, 0.1]], step=1)
    second = FakeRun("r2", created_at="2026-01-13T10:00:00", tags=["b"], state="failed")
    second.log({"loss": 0.9}, step=0)
    early = FakeRun("r3", created_at="2026-01-05T10:00:00", tags=["a"], state="finished")
    untagged = FakeRun("r4", created_at="2026-01-14T10:00:00", state="finished")
    return FakeApi([first, second, early, untagged])


def messages(stderr: str) -> list[str]:
    """What sprintboard says on stderr, without the progress bar's label (which click prints off a terminal too)."""
    return [line for line in stderr.splitlines() if line.startswith("sprintboard: ")]


def loaded_runs(store: Path) -> set[str]:
    with read_connection(store) as con:
        return {run_id for (run_id,) in con.execute("SELECT run_id FROM runs").fetchall()}


def test_sync_prints_one_line_and_the_rows_as_json_or_csv(store_path):
    api = small_project()
    result = sync(lambda: api, "team/proj", "--db", str(store_path))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("team/proj: 4 loaded, 0 rejected (all runs): 4 runs, 4 history points, "
                                    "2 table rows in ")
    assert result.stdout.rstrip().endswith(f"-> {store_path}") and messages(result.stderr) == []
    assert loaded_runs(store_path) == {"r1", "r2", "r3", "r4"}

    again = sync(lambda: api, "team/proj", "--db", str(store_path), "--full", "--format", "json")
    rows = json.loads(again.stdout)
    assert [r["path"] for r in rows] == [f"wandb://team/proj/r{n}" for n in (3, 1, 2, 4)]  # oldest first
    assert [(r["format"], r["status"], r["history_rows"], r["table_rows"]) for r in rows][1] == (
        "wandb-api", "loaded", 3, 2)
    lines = sync(lambda: api, "team/proj", "--db", str(store_path), "--format", "csv").stdout.splitlines()
    assert lines[0] == "path,format,status,runs,history_rows,table_rows,backlog_rows,error,warnings"
    assert len(lines) == 1  # nothing changed since the last sync


def test_tag_state_and_since_options_become_the_api_filter(store_path):
    api = small_project()
    result = sync(lambda: api, "team/proj", "--db", str(store_path), "--tag", "a", "--tag", "b",
                  "--state", "finished", "--since", "2026-01-10")
    assert result.exit_code == 0, result.output
    assert api.calls[0]["filters"] == {"$and": [
        {"tags": {"$in": ["a", "b"]}}, {"state": "finished"}, {"createdAt": {"$gte": "2026-01-10T00:00:00Z"}}]}
    assert loaded_runs(store_path) == {"r1"} and "(all matching runs)" in result.stdout

    sync(lambda: api, "team/proj", "--db", str(store_path), "--state", "failed", "--state", "crashed")
    assert api.calls[1]["filters"] == {"$and": [{"state": {"$in": ["failed", "crashed"]}}]}
    assert loaded_runs(store_path) == {"r1", "r2"}


def test_a_run_that_fails_is_listed_and_the_exit_code_is_2(store_path):
    api = small_project()
    broken = api.add(FakeRun("broken", created_at="2026-01-12T11:00:00", fail_on="config",
                             failure=FakeCommError("run config could not be read")))
    result = sync(lambda: api, "team/proj", "--db", str(store_path))
    assert result.exit_code == 2
    assert messages(result.stderr) == [
        "sprintboard: rejected: wandb://team/proj/broken: FakeCommError: run config could not be read"]
    assert "4 loaded, 1 rejected" in result.stdout
    assert loaded_runs(store_path) == {"r1", "r2", "r3", "r4"} and broken.config_reads == 1


def test_no_api_key_is_one_line_naming_the_project_and_exit_1(store_path):
    def no_key():
        raise UsageError("No API key configured. Use `wandb login` to log in.")

    result = sync(no_key, "team/proj", "--db", str(store_path))
    assert result.exit_code == 1
    assert result.stderr == f"sprintboard: error: team/proj: no usable W&B API key found; {KEY_ADVICE}\n"
    assert result.stdout == "" and not store_path.exists()
    debug = sync(no_key, "team/proj", "--db", str(store_path), "--debug")
    assert debug.exit_code != 0 and isinstance(debug.exception.__cause__, UsageError)


def test_the_real_wandb_api_without_a_key_gives_the_same_line(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {name: value for name, value in os.environ.items() if not name.startswith("WANDB_")}
    env.update(HOME=str(home), NETRC=str(home / "netrc"), WANDB_CONFIG_DIR=str(home / "wandb"),
               WANDB_DIR=str(home))
    result = subprocess.run([SPRINTBOARD, "sync", "team/proj", "--db", str(tmp_path / "s.duckdb")],
                            capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL)
    assert result.returncode == 1
    assert result.stderr == f"sprintboard: error: team/proj: no usable W&B API key found; {KEY_ADVICE}\n"


def test_a_listing_failure_is_one_line(store_path):
    api = FakeApi(list_error=FakeCommError("Permission denied on team/proj"))
    result = sync(lambda: api, "team/proj", "--db", str(store_path))
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("sprintboard: error: team/proj: cannot list the project's runs "
                                    "(FakeCommError: Permission denied on team/proj)")


def test_the_api_key_never_reaches_any_output_or_the_store(store_path, monkeypatch):
    key = "f" * 8 + "0123456789abcdef0123456789abcdef"
    basic = base64.b64encode(f"api:{key}".encode()).decode()
    monkeypatch.setenv("WANDB_API_KEY", key)
    leaky = FakeCommError(f"POST /graphql failed: 401 headers={{'Authorization': 'Basic {basic}'}} api_key={key}")
    api = small_project()
    api.api_key = key
    api.add(FakeRun("leaks", created_at="2026-01-12T12:00:00", fail_on="history", failure=leaky)).log({"x": 1})
    api.all_runs[-1].log({"x": 2})
    api.add(FakeRun("logged-env", created_at="2026-01-12T13:00:00", config={"env": {"WANDB_API_KEY": key}}))

    outputs = []
    for fmt in ("text", "json", "csv"):
        result = sync(lambda: api, "team/proj", "--db", str(store_path), "--full", "--format", fmt)
        assert result.exit_code == 2
        outputs += [result.stdout, result.stderr]
    assert "[redacted]" in outputs[1]

    def fails_with_key():
        raise FakeCommError(f"invalid key {key}")

    def lists_with_key():
        return FakeApi(api_key=key, list_error=FakeCommError(f"bad auth Bearer {key}"))

    for factory in (fails_with_key, lists_with_key):
        result = sync(factory, "team/proj", "--db", str(store_path))
        assert result.exit_code == 1
        outputs += [result.stdout, result.stderr]
    for text in outputs:
        assert key not in text and basic not in text

    con = duckdb.connect(str(store_path), read_only=True)
    try:
        columns = con.execute("""SELECT table_name, column_name FROM information_schema.columns
                                 WHERE data_type IN ('VARCHAR', 'VARCHAR[]')""").fetchall()
        assert len(columns) > 40
        for table, column in columns:
            (hits,) = con.execute(
                f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" AS VARCHAR) LIKE ? '  # noqa: S608
                f'OR CAST("{column}" AS VARCHAR) LIKE ?', [f"%{key}%", f"%{basic}%"]).fetchone()
            assert hits == 0, (table, column)
        (config,) = con.execute("SELECT value_json FROM run_config WHERE run_id = 'logged-env'").fetchone()
        assert config == '"[redacted]"'
    finally:
        con.close()
