"""``sprintboard demo``: regenerate the demo inputs and build a fresh store from them.

The store is built beside the target and swapped in whole, so the app never sees a half-built demo and an existing
store is only replaced once the new one is complete.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from sprintboard.demo.backlog import write_backlog
from sprintboard.demo.experiments import RUNS, log_all_runs
from sprintboard.demo.plan import SPRINTS
from sprintboard.ingest.driver import ingest_paths
from sprintboard.store.connection import replace_store, write_session
from sprintboard.store.errors import InputError, StoreError
from sprintboard.store.queries import mark_demo_store


def build_demo_store(db_path: Path, adult_csv: Path, workdir: Path, progress=None) -> dict:
    """Write ``workdir/backlog.yaml`` and ``workdir/wandb/``, load both into a new store, and make it ``db_path``."""
    started = time.perf_counter()
    workdir.mkdir(parents=True, exist_ok=True)
    backlog = write_backlog(workdir / "backlog.yaml")
    runs_dir = workdir / "wandb"
    shutil.rmtree(runs_dir, ignore_errors=True)
    total = 2 * len(RUNS) + 1

    def runs_progress(done: int, _total: int, label: str) -> None:
        if progress:
            progress(done, total, label)

    def ingest_progress(done: int, _total: int, label: str) -> None:
        if progress:
            progress(len(RUNS) + done, total, label)

    log_all_runs(adult_csv, workdir, progress=runs_progress)

    staging = db_path.with_name(f".{db_path.name}.demo-build")
    staging.unlink(missing_ok=True)
    report = ingest_paths(staging, [backlog, runs_dir], progress=ingest_progress)
    if report.rejected:
        first = report.rejected[0]
        staging.unlink(missing_ok=True)
        raise InputError(first.path, f"demo input was rejected: {first.error}")
    with write_session(staging) as writer:
        mark_demo_store(writer.con)
    try:
        replace_store(db_path, staging)
    except StoreError:
        staging.unlink(missing_ok=True)
        raise
    totals = report.totals()
    return {"runs": totals.runs, "history_rows": totals.history_rows, "sprints": len(SPRINTS),
            "seconds": time.perf_counter() - started}
