"""The store under stress and faults: eight sessions reading while a long ingest publishes, and ``sprintboard ingest``
against a full disk, a read-only store file or folder, and a store another process holds.

The concurrency test extends ``tests/store/test_concurrent_ingest.py`` (one reader running pages while runs load one
ingest at a time) to eight sessions -- threads of one process, as Streamlit runs them, and processes of their own --
calling the analytics functions the pages call, each view through its own ``read_connection`` as ``ui.data.query``
does, while one ``sprintboard ingest`` publishes after every unit.

A full disk is simulated with ``RLIMIT_FSIZE`` set in the ingest's process (with ``SIGXFSZ`` ignored): a write past
the limit fails with ``EFBIG`` ("File too large") where a full disk fails with ``ENOSPC``; both are ``OSError`` to
Python and I/O errors to DuckDB. A size-limited filesystem (tmpfs, a loop device) needs mount privileges these tests
do not assume.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sprintboard.analytics import bias_data, history, hypothesis_data, run_comparison
from sprintboard.analytics import metric_curves as curves
from sprintboard.ingest.driver import ingest_paths
from sprintboard.store import queries, read_connection
from tests.faults import (
    LARGE_RUN,
    SMALL_RUN,
    copy_run_folder,
    file_digest,
    run_command,
    start_command,
    start_process,
)

SESSIONS, PROCESS_SESSIONS = 8, 4
HOLD_WRITER_LOCK = """
import fcntl, sys
handle = open(sys.argv[1], "a")
fcntl.flock(handle, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""
HOLD_STORE_AS_WRITER = """
import sys
from pathlib import Path
from sprintboard.store.connection import _writer_lock
with _writer_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""
HOLD_READ_WRITE_CONNECTION = """
import sys
import duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
sys.stdin.read()
"""


# --- eight sessions during a long ingest


def _consistency(con) -> tuple[int, int, int]:
    """Check that the store on ``con`` holds whole runs; returns its runs, history points and log rows.

    Every run has history, and its ``metric_keys`` (kept by the loader with each history write) are exactly the numeric
    keys and point counts of its history; its history has as many points as the log row of its load says.
    """
    runs = {row[0] for row in con.execute("SELECT run_id FROM runs").fetchall()}
    keys = set(con.execute("SELECT run_id, key, points FROM metric_keys").fetchall())
    counted = set(con.execute(
        "SELECT run_id, key, count(*) FROM history WHERE value_num IS NOT NULL GROUP BY ALL").fetchall())
    assert keys == counted, f"metric_keys and history disagree: {sorted(keys ^ counted)[:5]}"
    points = dict(con.execute("SELECT run_id, count(*) FROM history GROUP BY run_id").fetchall())
    logged = dict(con.execute(
        """SELECT r.run_id, arg_max(l.history_rows, l.ingest_id) FROM runs r
           JOIN ingest_log l ON l.path = r.source_path AND l.status = 'loaded' GROUP BY r.run_id""").fetchall())
    assert set(points) == runs == {run_id for run_id, _, _ in keys}, "a run without its history"
    assert points == logged, f"history differs from what the log says was loaded: {points} vs {logged}"
    counts = _counts(con)
    assert counts[:2] == (len(runs), sum(points.values()))
    return counts


def _counts(con) -> tuple[int, int, int]:
    """Runs, history points and log rows."""
    return con.execute("SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM history), "
                       "(SELECT count(*) FROM ingest_log)").fetchone()


def _page_queries(con, page: int, seen: list[str]) -> list:
    """What one page asks (Overview and Data sources, Runs, Model metrics, Bias checks, Hypotheses, in turn by
    ``page``), for runs seen before."""
    run = seen[0] if seen else "none"
    runs = tuple(seen[:20]) or ("none",)
    query = curves.CurveQuery(runs, ("loss", "train/loss"))
    pages = (
        lambda: [queries.store_status(con), queries.table_counts(con), queries.ingest_history(con, 200),
                 queries.source_formats(con), queries.sprint_list(con)],
        lambda: [history.metric_keys(con, run), history.metric_series(con, run, "loss", 2000),
                 history.run_key_values(con, run, "run_config"), history.run_key_values(con, run, "run_summary")],
        lambda: [curves.metric_catalog(con), queries.metric_goals(con), queries.config_keys(con),
                 queries.config_values(con, "lr"), curves.metric_lines(con, query),
                 curves.group_lines(con, query, "group"), curves.x_extent(con, query),
                 run_comparison.compare_runs(con, list(runs[:5])),
                 run_comparison.config_and_metric(con, list(runs), "best")],
        lambda: [bias_data.prediction_tables(con), bias_data.fairness_policy(con),
                 bias_data.prediction_frame(con, run, "eval/preds")],
        lambda: [hypothesis_data.sprint_hypotheses(con, None, datetime.now(UTC).replace(tzinfo=None))],
    )
    return pages[page % len(pages)]()


def _session(store: Path, writing: threading.Event, views: list, errors: list, index: int) -> None:
    """One reader: page after page until the ingest is over, each view on a connection of its own; what it sees never
    shrinks. Appends ``(session, during the ingest, runs seen)`` per view to ``views``."""
    last = (0, 0, 0)
    seen: list[str] = []
    done = 0
    try:
        while writing.is_set() or done < 3:
            during = writing.is_set()
            with read_connection(store) as con:
                counts = _consistency(con)
                _page_queries(con, index + done, seen)
                runs = queries.runs_table(con, None)
                assert _counts(con) == counts
            assert all(now >= before for now, before in zip(counts, last, strict=True)), f"{last} -> {counts}"
            assert len(runs) == counts[0]  # runs_table saw the same store
            seen, last, done = list(runs["run_id"]), counts, done + 1
            views.append((index, during, counts[0]))
    except Exception as error:  # noqa: BLE001 - reported by the test
        errors.append((index, done, repr(error)))


class _UntilFile:
    """``is_set()`` until the file ``path`` exists: the end of the ingest, told to a session in another process."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def is_set(self) -> bool:
        return not self.path.exists()


def _session_process(store: str, stop: str, report: str, index: int) -> None:
    """:func:`_session` in a process of its own, its views and errors written as JSON to ``report``."""
    views: list = []
    errors: list = []
    _session(Path(store), _UntilFile(stop), views, errors, index)
    Path(report).write_text(json.dumps({"views": views, "errors": errors}))


@pytest.mark.slow
@pytest.mark.parametrize("sessions_in", ["threads", "processes"])
def test_sessions_see_whole_runs_while_a_long_ingest_publishes(sessions_in, tmp_path):
    """Eight sessions as threads of one process, as Streamlit runs them, and four as processes of their own (several
    app processes on one store; fewer, as each takes a core's share from the ingest). Each view reads the version live
    when it starts, also while other threads of its process still read an older one, so both must see the ingest's
    progress."""
    store = tmp_path / "store.duckdb"
    inputs = tmp_path / "inputs"
    base = [copy_run_folder(SMALL_RUN, inputs / "base", "base-small"),
            copy_run_folder(LARGE_RUN, inputs / "base", "base-large", keep=0.3)]
    assert not ingest_paths(store, base).rejected
    folders = [copy_run_folder(LARGE_RUN if index % 8 == 3 else SMALL_RUN, inputs / "new", f"run-{index:02d}")
               for index in range(8)]

    writing, stop = threading.Event(), tmp_path / "ingest-over"
    writing.set()
    views: list = []
    errors: list = []
    command = start_command(["ingest", "--db", str(store), *map(str, folders)], tmp_path / "ingest",
                            publish_every_unit=True)
    if sessions_in == "threads":
        sessions = [threading.Thread(target=_session, args=(store, writing, views, errors, index))
                    for index in range(SESSIONS)]
        for session in sessions:
            session.start()
    else:
        sessions = [start_process(_session_process, str(store), str(stop), str(tmp_path / f"session-{index}.json"),
                                  index) for index in range(PROCESS_SESSIONS)]
    code = command.wait(240)
    writing.clear()
    stop.touch()
    for session in sessions:
        session.join(120)
    if sessions_in == "processes":
        for index in range(PROCESS_SESSIONS):
            report = json.loads((tmp_path / f"session-{index}.json").read_text())
            views += [tuple(view) for view in report["views"]]
            errors += report["errors"]
    assert code == 0, command.stderr
    assert not errors, errors
    assert {index for index, during, _ in views if during} == set(range(len(sessions))), "a session missed the ingest"
    with read_connection(store) as con:
        assert _consistency(con)[0] == len(base) + len(folders)
    seen = sorted({runs for _, during, runs in views if during})
    assert len(seen) >= 3, f"the sessions did not see the ingest progress: {seen}"


def _two_stores(tmp_path: Path) -> tuple[Path, Path]:
    """A store holding one run, and a second run folder to ingest."""
    store = tmp_path / "store.duckdb"
    assert not ingest_paths(store, [copy_run_folder(SMALL_RUN, tmp_path / "inputs", "first")]).rejected
    return store, copy_run_folder(SMALL_RUN, tmp_path / "inputs", "second")


def test_a_reader_opened_after_a_publish_sees_it_while_another_session_reads(tmp_path):
    store, second = _two_stores(tmp_path)
    with read_connection(store) as other_session:
        assert not ingest_paths(store, [second]).rejected
        with read_connection(store) as con:
            runs = queries.table_counts(con)["runs"]
        assert other_session.execute("SELECT count(*) FROM runs").fetchone() == (1,)  # it keeps what it opened
    assert runs == 2


def test_a_page_query_after_a_publish_is_not_stuck_on_the_old_store(tmp_path, use_store):
    from sprintboard.ui.data import query

    store, second = _two_stores(tmp_path)
    use_store(store)
    assert query(queries.table_counts)["runs"] == 1
    with read_connection(store):  # another session, mid-query, while the ingest publishes and this page reruns
        assert not ingest_paths(store, [second]).rejected
        assert query(queries.table_counts)["runs"] == 2
    assert query(queries.table_counts)["runs"] == 2


# --- faults: one clear line, the store unchanged


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store holding one run, in a folder of its own."""
    path = tmp_path / "db" / "store.duckdb"
    path.parent.mkdir()
    assert not ingest_paths(path, [copy_run_folder(SMALL_RUN, tmp_path / "inputs", "held")]).rejected
    return path


def _state(store: Path) -> tuple[str, list[str]]:
    """The store's bytes and what lies beside it (the lock file, which writers create and keep, left out)."""
    return file_digest(store), sorted(p.name for p in store.parent.iterdir() if p.name != f"{store.name}.lock")


def _the_one_error_line(stderr: str, store: Path) -> str:
    """The single error line of a failed command (besides the progress bar's label), which names the store."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip() and line.strip() != "Ingesting"]
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"sprintboard: error: {store}: "), lines[0]
    return lines[0]


def _ingest(store: Path, tmp_path: Path, source: Path = SMALL_RUN, **options) -> tuple[int, str]:
    folder = copy_run_folder(source, tmp_path / "more", "more")
    code, _, err = run_command(["ingest", "--db", str(store), str(folder)], tmp_path / "ingest", **options)
    return code, err


@pytest.mark.slow
def test_a_disk_too_full_to_copy_the_store_is_one_line_and_changes_nothing(store, tmp_path):
    before = _state(store)
    code, err = _ingest(store, tmp_path, file_size_limit=store.stat().st_size // 2)
    assert code != 0
    line = _the_one_error_line(err, store)
    assert "File too large" in line and "the store is unchanged" in line
    assert _state(store) == before


@pytest.mark.slow
def test_a_disk_that_fills_during_the_ingest_is_one_line_and_changes_nothing(store, tmp_path):
    before = _state(store)
    code, err = _ingest(store, tmp_path, LARGE_RUN, file_size_limit=store.stat().st_size + 512 * 1024)
    assert code != 0
    assert _state(store) == before
    line = _the_one_error_line(err, store)
    assert "File too large" in line


@pytest.mark.slow
def test_a_read_only_store_file_is_one_line_and_changes_nothing(store, tmp_path):
    os.chmod(store, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        before = _state(store)
        code, err = _ingest(store, tmp_path)
        assert code != 0
        assert "read-only" in _the_one_error_line(err, store)
        assert _state(store) == before
    finally:
        os.chmod(store, stat.S_IRUSR | stat.S_IWUSR)


@pytest.mark.slow
def test_a_read_only_store_folder_is_one_line_and_changes_nothing(store, tmp_path):
    before = _state(store)
    os.chmod(store.parent, stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    try:
        code, err = _ingest(store, tmp_path)
        after = _state(store)
    finally:
        os.chmod(store.parent, stat.S_IRWXU)
    assert code != 0, "the ingest wrote into a read-only folder"
    assert "not writable" in _the_one_error_line(err, store)
    assert after == before


def _holding(script: str, path: Path) -> subprocess.Popen:
    """A second process running ``script`` on ``path``, once it says it holds it; ends when its stdin closes."""
    holder = subprocess.Popen([sys.executable, "-c", script, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def _release(holder: subprocess.Popen) -> None:
    holder.stdin.close()
    holder.wait(30)


@pytest.mark.slow
def test_a_store_another_process_opened_for_writing_is_one_line_and_changes_nothing(store, tmp_path):
    holder = _holding(HOLD_READ_WRITE_CONNECTION, store)
    try:
        before = _state(store)
        code, err = _ingest(store, tmp_path)
        assert code != 0
        assert "locked by another process" in _the_one_error_line(err, store)
        assert _state(store) == before
    finally:
        _release(holder)


def _notice_and_error(stderr: str) -> list[str]:
    """The lines of a command's stderr besides the progress bar's label."""
    assert "Traceback" not in stderr, stderr
    return [line for line in stderr.splitlines() if line.strip() and line.strip() != "Ingesting"]


@pytest.mark.slow
def test_a_writer_lock_held_too_long_is_one_line_and_changes_nothing(store, tmp_path):
    """A process that is no ``sprintboard`` writer (it wrote no pid) holds the lock past the wait (shortened here from
    600 s to 1 s): the ingest says once that it waits, then fails with one line."""
    holder = _holding(HOLD_WRITER_LOCK, store.with_name(f"{store.name}.lock"))
    try:
        before = _state(store)
        code, err = _ingest(store, tmp_path,
                            settings={"sprintboard.store.connection._WRITER_LOCK_TIMEOUT_SECONDS": 1.0})
        assert code != 0
        notice, error = _notice_and_error(err)
        assert notice == (f"sprintboard: {store}: the store is locked: another process is writing it; waiting up to "
                          "1 s for it to finish")
        assert error == (f"sprintboard: error: {store}: another sprintboard process has held the store's write lock "
                         "for more than 1 s; nothing was changed, try later")
        assert _state(store) == before
    finally:
        _release(holder)


def _stderr_within(command, seconds: float) -> str:
    """The command's stderr once it has a line, waiting up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while not (command.stderr_path.exists() and command.stderr.strip()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return command.stderr


@pytest.mark.slow
def test_a_store_locked_by_another_writer_is_reported_promptly_and_loaded_when_free(store, tmp_path):
    """Another ``sprintboard`` writer holds the store: the ingest says so within seconds, once, naming that process;
    it keeps waiting, and loads once the other writer is done."""
    holder = _holding(HOLD_STORE_AS_WRITER, store)
    command = None
    try:
        before = _state(store)
        folder = copy_run_folder(SMALL_RUN, tmp_path / "more", "more")
        command = start_command(["ingest", "--db", str(store), str(folder)], tmp_path / "ingest")
        said = _stderr_within(command, 5)
        assert command.wait(1) is None, command.stderr  # still waiting
        assert _state(store) == before
    finally:
        _release(holder)
        if command is not None and command.wait(60) is None:
            command.kill()
    notice = (f"sprintboard: {store}: the store is locked: another process (pid {holder.pid}) is writing it; waiting "
              "up to 600 s for it to finish")
    assert _notice_and_error(said) == [notice]
    assert command.wait() == 0, command.stderr
    assert _notice_and_error(command.stderr) == [notice]
    with read_connection(store) as con:
        assert queries.table_counts(con)["runs"] == 2
