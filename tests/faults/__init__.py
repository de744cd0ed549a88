"""What the fault tests share: real W&B run folders under new run ids, digests of what a store holds per run and per
input, and ``sprintboard`` commands started in a process that a test can kill at any moment.

Run folders come from ``tests/fixtures/wandb``: the log's records are copied as they are, except the run record,
whose run id is replaced, so several distinct runs can be made from the two real folders. ``keep`` cuts the log after
a share of its records, as a run still being written looks.

Commands run in processes forked from a server that has already imported the ``sprintboard`` command (Python's
``forkserver``), so a command starts in well under a second instead of several: a kill then lands inside the ingest,
not inside Python's imports. The process runs ``sprintboard.cli.main`` -- the ``sprintboard`` console script's entry
point -- with its output in files, and ends with the command's exit code (or ``-SIGKILL``).
"""

from __future__ import annotations

import functools
import hashlib
import multiprocessing
import os
import resource
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wandb.proto import wandb_internal_pb2 as pb

from sprintboard.ingest.wandb_log import WandbLog, encode_log
from sprintboard.store import read_connection

FIXTURE_RUNS = Path(__file__).resolve().parents[1] / "fixtures" / "wandb"
LARGE_RUN = FIXTURE_RUNS / "run-20241012_160630-jqe8zy9r"  # wandb 0.18, 5664 records, 45k history points
SMALL_RUN = FIXTURE_RUNS / "offline-run-20261123_091246-ira2n5hh"  # wandb 0.16, 50 history points and a table

# Tables holding a run's data, with the columns that differ between two loads of the same input left out.
RUN_TABLES = {
    "runs": "SELECT * EXCLUDE (loaded_at) FROM runs",
    "run_config": "SELECT * FROM run_config",
    "run_summary": "SELECT * FROM run_summary",
    "history": "SELECT * FROM history",
    "predictions": "SELECT * FROM predictions",
    "metric_keys": "SELECT * FROM metric_keys",
}
LOG_COLUMNS = "path, format, status, file_bytes, file_sha256, runs, history_rows, table_rows, backlog_rows, error"

_FORKSERVER = multiprocessing.get_context("forkserver")
_FORKSERVER.set_forkserver_preload(
    ["sprintboard.cli", "sprintboard.ingest.detect", "sprintboard.ingest.driver", "sprintboard.ingest.jira_settings",
     "sprintboard.ingest.wandb_run_file", "tests.faults"]
)


def copy_run_folder(source: Path, parent: Path, run_id: str, keep: float = 1.0) -> Path:
    """A copy of the run folder ``source`` under ``parent`` whose run is ``run_id``; the log cut after ``keep`` of its
    records. The ``logs`` folder (wandb's own debug logs, never read) is left out."""
    payloads = list(WandbLog(next(source.glob("run-*.wandb"))).payloads())
    payloads = payloads[: max(1, round(len(payloads) * keep))]
    renamed = []
    for payload in payloads:
        record = pb.Record()
        record.ParseFromString(payload)
        if record.HasField("run"):
            record.run.run_id = run_id
            payload = record.SerializeToString()
        renamed.append(payload)
    stamp = source.name.split("-")[-2]
    folder = parent / f"run-{stamp}-{run_id}"
    folder.mkdir(parents=True)
    (folder / f"run-{run_id}.wandb").write_bytes(encode_log(renamed))
    shutil.copytree(source / "files", folder / "files")
    return folder


def run_digests(store: Path) -> dict[str, dict[str, tuple[int, str]]]:
    """Per run id and table of :data:`RUN_TABLES`: the row count and an MD5 over every row (as text, sorted) -- the
    table's full content for that run, with NaN and infinities compared as what they are."""
    digests: dict[str, dict[str, tuple[int, str]]] = {}
    with read_connection(store) as con:
        for table, rows in RUN_TABLES.items():
            row = "CAST(t AS VARCHAR)"
            sql = f"SELECT run_id, count(*), md5(string_agg({row}, chr(10) ORDER BY {row})) FROM ({rows}) t GROUP BY 1"  # noqa: S608 - ours
            for run_id, count, digest in con.execute(sql).fetchall():
                digests.setdefault(run_id, {})[table] = (count, digest)
    return digests


def log_digests(store: Path) -> dict[str, tuple]:
    """Per input path: its ``ingest_log`` rows (times and ids left out), sorted."""
    with read_connection(store) as con:
        rows = con.execute(f"SELECT {LOG_COLUMNS} FROM ingest_log").fetchall()  # noqa: S608 - our column list
    logs: dict[str, list] = {}
    for row in rows:
        logs.setdefault(row[0], []).append(tuple("" if value is None else value for value in row))
    return {path: tuple(sorted(entries)) for path, entries in logs.items()}


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Command:
    """A ``sprintboard`` command running (or done) in a forked process; see the module docstring."""

    process: multiprocessing.process.BaseProcess
    stdout_path: Path
    stderr_path: Path

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code (``-9`` when killed), or ``None`` if still running after ``timeout`` seconds."""
        self.process.join(timeout)
        return self.process.exitcode

    def wait_for_publishes(self, store: Path, count: int, timeout: float = 120.0) -> int:
        """Wait until the live store at ``store`` has been replaced ``count`` times (each publish renames a new file
        over it, so its inode changes), the command has ended, or ``timeout`` seconds have passed; returns the number
        of publishes seen. Polled every 2 ms, far less than one unit and its publish (a checkpoint, an fsync and a
        copy of the store) take."""
        def identity() -> int | None:
            try:
                return store.stat().st_ino
            except FileNotFoundError:  # between the rename's two halves on some file systems
                return None

        seen, last, deadline = 0, identity(), time.monotonic() + timeout
        while seen < count and self.process.is_alive() and time.monotonic() < deadline:
            time.sleep(0.002)
            current = identity()
            if current is not None and current != last:
                seen, last = seen + 1, current
        return seen

    def kill(self) -> int:
        """SIGKILL the command (if it is still running) and return its exit code."""
        self.process.kill()
        self.process.join()
        return self.process.exitcode

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def start_command(args: list[str], output: Path, *, file_size_limit: int | None = None,
                  publish_every_unit: bool = False, settings: dict[str, object] | None = None) -> Command:
    """Start ``sprintboard ARGS`` with its stdout and stderr in ``output.out`` and ``output.err``.

    ``file_size_limit`` sets ``RLIMIT_FSIZE`` (with ``SIGXFSZ`` ignored, a write past it fails with ``EFBIG``, as on a
    full disk); ``publish_every_unit`` makes ``ingest`` publish after every unit instead of every 30 s;
    ``settings`` sets module attributes (``"module.NAME": value``) before the command runs.
    """
    out, err = output.with_suffix(".out"), output.with_suffix(".err")
    process = _FORKSERVER.Process(target=_command_main,
                                  args=(list(args), str(out), str(err), file_size_limit, publish_every_unit,
                                        dict(settings or {})),
                                  daemon=True)
    process.start()
    return Command(process, out, err)


def start_process(target: Callable[..., None], *args: object) -> multiprocessing.process.BaseProcess:
    """Start ``target(*args)`` in a process forked from the same server (``target`` must be importable by name)."""
    process = _FORKSERVER.Process(target=target, args=args, daemon=True)
    process.start()
    return process


def run_command(args: list[str], output: Path, timeout: float = 120.0, **options) -> tuple[int, str, str]:
    """Run ``sprintboard ARGS`` to the end (see :func:`start_command`): exit code, stdout, stderr."""
    command = start_command(args, output, **options)
    code = command.wait(timeout)
    if code is None:
        command.kill()
        raise AssertionError(f"sprintboard {' '.join(args)} still running after {timeout} s")
    return code, command.stdout, command.stderr


def _command_main(args: list[str], out: str, err: str, file_size_limit: int | None, publish_every_unit: bool,
                  settings: dict[str, object]) -> None:
    """The forked process: output to files, the limits and settings asked for, then the ``sprintboard`` command."""
    import importlib

    for fd, name in ((1, out), (2, err)):
        handle = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(handle, fd)
        os.close(handle)
    if file_size_limit is not None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))
    for dotted, value in settings.items():
        module, name = dotted.rsplit(".", 1)
        setattr(importlib.import_module(module), name, value)
    if publish_every_unit:
        from sprintboard.ingest import driver

        driver.ingest_paths = functools.partial(driver.ingest_paths, publish_every_s=0.0)
    from sprintboard.cli import main

    main(args, prog_name="sprintboard")
