"""Pages keep working while another process ingests, and never see a half-loaded run."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sprintboard.ingest.driver import ingest_paths
from sprintboard.store import read_connection
from tests.pages.conftest import APP

INGEST_ONE_BY_ONE = """
import sys
from pathlib import Path
from sprintboard.ingest.driver import ingest_paths
store = Path(sys.argv[1])
for folder in sys.argv[2:]:
    report = ingest_paths(store, [Path(folder)])
    assert not report.rejected, report.rejected
"""


def _per_run(db: Path, table: str) -> dict[str, int]:
    with read_connection(db) as con:
        return dict(con.execute(f"SELECT run_id, count(*) FROM {table} GROUP BY run_id").fetchall())  # noqa: S608


def _check_consistent(db: Path, history: dict[str, int], config: dict[str, int]) -> int:
    """Every run the store shows has all of its history and config; returns how many runs it shows."""
    with read_connection(db) as con:
        runs = [r[0] for r in con.execute("SELECT run_id FROM runs").fetchall()]
        seen_history = dict(con.execute("SELECT run_id, count(*) FROM history GROUP BY run_id").fetchall())
        seen_config = dict(con.execute("SELECT run_id, count(*) FROM run_config GROUP BY run_id").fetchall())
        (logged,) = con.execute("SELECT count(*) FROM ingest_log WHERE format = 'wandb-run-folder'").fetchone()
    assert set(seen_history) == set(runs) and set(seen_config) == set(runs)
    for run_id in runs:
        assert seen_history[run_id] == history[run_id], run_id
        assert seen_config[run_id] == config[run_id], run_id
    assert logged == len(runs)
    return len(runs)


@pytest.mark.slow
def test_pages_and_queries_during_an_ingest_in_another_process(demo_build, tmp_path, use_store):
    store = tmp_path / "live.duckdb"
    inputs = demo_build["inputs"]
    ingest_paths(store, [inputs / "backlog.yaml"])
    folders = sorted(p for p in (inputs / "wandb").iterdir() if p.is_dir() and not p.is_symlink())
    history = _per_run(demo_build["db"], "history")
    config = _per_run(demo_build["db"], "run_config")
    use_store(store)

    writer = subprocess.Popen([sys.executable, "-c", INGEST_ONE_BY_ONE, str(store), *map(str, folders)],
                              stderr=subprocess.PIPE, text=True)
    run_counts_seen: set[int] = set()
    page_runs = 0
    deadline = time.monotonic() + 240
    while writer.poll() is None and time.monotonic() < deadline:
        run_counts_seen.add(_check_consistent(store, history, config))
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params["sprint"] = "S2"
        at.run()
        at.switch_page("pages/runs.py").run()
        assert not at.exception, [e.message for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        page_runs += 1
    assert writer.wait(timeout=60) == 0, writer.stderr.read()

    assert _check_consistent(store, history, config) == len(folders)
    assert page_runs >= 3
    assert len(run_counts_seen) >= 3, f"the reads did not overlap the ingest: {sorted(run_counts_seen)}"
