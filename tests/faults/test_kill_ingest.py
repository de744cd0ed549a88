"""``sprintboard ingest`` killed with SIGKILL at random moments: the store still opens with the current schema, each
run in it is exactly as before its unit or exactly as after it, and the next ingest finishes the job.

The store already holds two runs: ``grows`` (its log cut at 40 %, as a run still being written) and ``steady``. The
interrupted ingest loads ``grows`` again (now complete), ``steady`` (unchanged), and three new runs. "Before" and
"after" are the full contents of every table holding a run's data, per run, in the starting store and in the store a
clean ingest of the same inputs leaves (:func:`tests.faults.run_digests`).

Trials run in chains: a chain starts from the starting store, and each later trial of the chain starts from the store
(and the working copy) the previous kill left behind, so it also checks that a killed writer's leftovers do not hurt
the next one. A chain ends when an ingest gets to finish (after four trials, one is left to), which must reach the
clean ingest's state; after the last trial the installed ``sprintboard`` command finishes the job. Even trials publish
once at the end, as ``sprintboard ingest`` does for a batch shorter than 30 s, and are killed after a delay uniform
between 0 and the duration of a clean ingest, measured first. Odd trials publish after every unit and are killed
after a seeded number of publishes (0 to 3, watched on the store file) and then a delay uniform within one unit's
share of that duration -- so kills land between two publishes however fast or slow the machine is.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from sprintboard.ingest.driver import ingest_paths
from sprintboard.store import read_connection
from sprintboard.store.connection import apply_migrations, schema_version_of
from sprintboard.store.schema import CURRENT_VERSION
from tests.faults import (
    LARGE_RUN,
    SMALL_RUN,
    copy_run_folder,
    log_digests,
    run_command,
    run_digests,
    start_command,
)

SEED = 20261123
TRIALS, CHAIN_LENGTH = 20, 4
SPRINTBOARD = shutil.which("sprintboard", path=str(Path(sys.executable).parent))
COLUMNS_SQL = "SELECT table_name, column_name, data_type FROM information_schema.columns ORDER BY ALL"


def _current_columns() -> list[tuple]:
    con = duckdb.connect(":memory:")
    try:
        apply_migrations(con, Path(":memory:"))
        return con.execute(COLUMNS_SQL).fetchall()
    finally:
        con.close()


class Expected:
    """The units of the interrupted ingest, and each one's run and log before and after it."""

    def __init__(self, units: list[tuple[Path, str]], base: Path, final: Path) -> None:
        self.units = units
        self.before_runs, self.before_logs = run_digests(base), log_digests(base)
        self.after_runs, self.after_logs = run_digests(final), log_digests(final)
        self.columns = _current_columns()

    @staticmethod
    def unchanged_row(new_rows: Counter) -> tuple:
        """The log row of an input offered again with nothing new: the unit's newest row (``new_rows``: what it
        logged in the interrupted ingest), with status unchanged and no counts."""
        (row,) = new_rows
        return (*row[:2], "unchanged", *row[3:5], 0, 0, 0, 0, "")

    def state_of(self, store: Path) -> list[str]:
        """``before`` or ``after`` per unit; fails when the store does not open, has another schema, holds a run
        partly, or holds a log that does not match its runs."""
        with read_connection(store) as con:
            assert schema_version_of(con, store) == CURRENT_VERSION
            assert con.execute(COLUMNS_SQL).fetchall() == self.columns
        runs, logs = run_digests(store), log_digests(store)
        assert set(runs) <= set(self.after_runs), f"unknown runs: {set(runs) - set(self.after_runs)}"
        assert set(logs) <= set(self.after_logs), f"unknown inputs in the log: {set(logs) - set(self.after_logs)}"
        states = []
        for folder, run_id in self.units:
            path = str(folder)
            run, log = runs.get(run_id), Counter(logs.get(path, ()))
            before, after = self.before_runs.get(run_id), self.after_runs[run_id]
            before_log = Counter(self.before_logs.get(path, ()))
            assert run in (before, after), f"{run_id} is partly loaded: {run} is neither {before} nor {after}"
            if log == before_log and run == before:
                states.append("before")
                continue
            # After: its new rows once, and one "unchanged" row for each later ingest that found nothing new.
            assert run == after, f"{run_id}: the log of {path} changed, its tables did not"
            extra = log - before_log
            new = Counter(self.after_logs[path]) - before_log
            assert not new - extra and not before_log - log, f"{path}: log {sorted(log)} is neither before nor after"
            assert set(extra - new) <= {self.unchanged_row(new)}, f"{path}: unexpected log rows {extra - new}"
            states.append("after")
        return states


def _inputs(root: Path, base: Path) -> list[tuple[Path, str]]:
    """Make the starting store at ``base`` and the inputs of the interrupted ingest; returns its units in order."""
    scratch = root / "scratch"
    grows = copy_run_folder(LARGE_RUN, root, "grows", keep=0.4)
    steady = copy_run_folder(SMALL_RUN, root, "steady")
    report = ingest_paths(base, [grows, steady])
    assert not report.rejected, report.rejected
    # The run went on: its log is now complete (same folder, so the same input path).
    complete = copy_run_folder(LARGE_RUN, scratch, "grows")
    shutil.copyfile(complete / "run-grows.wandb", grows / "run-grows.wandb")
    units = [(grows, "grows"), (steady, "steady")]
    for run_id, source, keep in (("new-small-1", SMALL_RUN, 1.0), ("new-large", LARGE_RUN, 0.5),
                                 ("new-small-2", SMALL_RUN, 1.0)):
        units.append((copy_run_folder(source, root, run_id, keep), run_id))
    shutil.rmtree(scratch)
    return units


def _leftovers(store: Path) -> list[str]:
    return sorted(path.name for path in store.parent.glob(f".{store.name}.writing-*"))


@pytest.mark.slow
def test_a_killed_ingest_leaves_each_run_as_before_or_after_and_the_next_ingest_finishes(tmp_path):
    base = tmp_path / "base.duckdb"
    units = _inputs(tmp_path / "inputs", base)
    before, after = ["before"] * len(units), ["after"] * len(units)

    def ingest(store: Path) -> list[str]:
        return ["ingest", "--db", str(store), *(str(folder) for folder, _ in units)]

    # A clean ingest of the same inputs: what "after" is, and how long an ingest takes (the command server warm).
    assert run_command(["--version"], tmp_path / "version")[0] == 0
    clean = tmp_path / "clean" / "store.duckdb"
    clean.parent.mkdir()
    shutil.copyfile(base, clean)
    started = time.perf_counter()
    code, _, err = run_command(ingest(clean), clean.parent / "ingest")
    duration = time.perf_counter() - started
    assert code == 0, err
    expected = Expected(units, base, clean)
    assert expected.before_runs["grows"] != expected.after_runs["grows"]
    assert expected.before_runs["steady"] == expected.after_runs["steady"]
    assert expected.state_of(base) == before and expected.state_of(clean) == after

    rng = random.Random(SEED)
    outcomes: list[dict] = []
    chain, previous, store, length = -1, after, clean, 0
    for trial in range(TRIALS):
        if previous != after and length == CHAIN_LENGTH:  # long enough: let an ingest finish this one
            code, _, err = run_command(ingest(store), store.parent / "finish")
            assert code == 0, err
            assert expected.state_of(store) == after and not _leftovers(store)
            previous = after
        if previous == after:  # nothing left to do: a new chain from the starting store
            chain, length = chain + 1, 0
            store = tmp_path / f"chain-{chain}" / "store.duckdb"
            store.parent.mkdir()
            shutil.copyfile(base, store)
            previous = before
        every_unit = trial % 2 == 1
        publishes = rng.randrange(len(units) - 1) if every_unit else 0
        delay = rng.uniform(0.0, duration / len(units) if every_unit else duration)
        found = _leftovers(store)
        command = start_command(ingest(store), store.parent / f"trial-{trial}", publish_every_unit=every_unit)
        seen = command.wait_for_publishes(store, publishes)
        time.sleep(delay)
        code = command.kill()
        assert code in (0, -9), command.stderr
        states = expected.state_of(store)
        done = states.count("after")
        assert states == after[:done] + before[done:], f"published out of order: {states}"
        if not every_unit:
            # Published once, at the end: the kill came before it (nothing new) or after it (everything).
            assert states in (previous, after), f"{previous} became {states}"
        if code == 0:
            assert states == after and not _leftovers(store)
        outcomes.append({"trial": trial, "chain": chain, "every_unit": every_unit, "publishes": (publishes, seen),
                         "delay": round(delay, 2),
                         "code": code, "found": found, "left": _leftovers(store), "moved": states != previous,
                         "states": "".join(state[0] for state in states)})
        previous, length = states, length + 1

    table = "\n".join(map(str, outcomes))
    killed = [outcome for outcome in outcomes if outcome["code"] == -9]
    assert len(killed) >= TRIALS // 4, f"too few kills landed inside the ingest ({duration:.1f} s):\n{table}"
    assert any(outcome["found"] for outcome in outcomes), f"no ingest started beside a killed one's copy:\n{table}"
    assert any(outcome["moved"] and "b" in outcome["states"] for outcome in killed), (
        f"no kill landed between two publishes:\n{table}")

    # The installed command finishes the job on the store the last kill left behind.
    result = subprocess.run([SPRINTBOARD, *ingest(store)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert run_digests(store) == expected.after_runs
    assert not _leftovers(store)
