"""The ingest driver: paths in, store updated, one outcome per unit out.

Each unit (see :mod:`sprintboard.ingest.detect`) is parsed, then loaded in its own transaction together with its
``ingest_log`` row: it loads completely or not at all, and a bad unit never touches what is stored. A unit whose
files are byte-for-byte what was last loaded from the same path is recorded as ``unchanged`` and not parsed again.
Everything becomes visible to readers when the batch ends (and every ``publish_every_s`` during a long batch).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from sprintboard.ingest.detect import IngestOptions, Unit, units_for
from sprintboard.ingest.loader import LoadCounts, load_backlog, load_runs
from sprintboard.ingest.parsed import ParsedBacklog, ParsedRun
from sprintboard.store.connection import write_session
from sprintboard.store.errors import InputError

ProgressCallback = Callable[[int, int, str], None]


@dataclass
class UnitOutcome:
    path: str
    format: str | None
    status: str  # loaded | unchanged | rejected
    counts: LoadCounts = field(default_factory=LoadCounts)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    outcomes: list[UnitOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rejected(self) -> list[UnitOutcome]:
        return [o for o in self.outcomes if o.status == "rejected"]

    def totals(self) -> LoadCounts:
        total = LoadCounts()
        for outcome in self.outcomes:
            total.add(outcome.counts)
        return total


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def fingerprint(files: Iterable[Path], root: Path, options_used: str = "") -> tuple[int, str]:
    """Total bytes and a SHA-256 over the relative names and contents of ``files`` (and the options the unit was
    parsed with, when it used any)."""
    digest = hashlib.sha256()
    if options_used:
        digest.update(options_used.encode() + b"\0")
    total = 0
    for file in files:
        name = file.relative_to(root) if file != root else Path(file.name)
        digest.update(str(name).encode() + b"\0")
        with open(file, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                total += len(chunk)
    return total, digest.hexdigest()


def _already_loaded(con: duckdb.DuckDBPyConnection, path: str, sha: str) -> bool:
    row = con.execute(
        """SELECT file_sha256 FROM ingest_log WHERE path = ? AND status = 'loaded'
           ORDER BY ingest_id DESC LIMIT 1""",
        [path],
    ).fetchone()
    return row is not None and row[0] == sha


def _log(con, outcome: UnitOutcome, started: datetime, size: int | None, sha: str | None) -> None:
    counts = outcome.counts
    con.execute(
        """INSERT INTO ingest_log (path, format, status, started_at, finished_at, file_bytes, file_sha256, runs,
                                   history_rows, table_rows, backlog_rows, error, warnings)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [outcome.path, outcome.format, outcome.status, started, _now(), size, sha, counts.runs,
         counts.history_rows, counts.table_rows, counts.backlog_rows, outcome.error, outcome.warnings],
    )


def _load_unit(con: duckdb.DuckDBPyConnection, unit: Unit) -> UnitOutcome:
    source = str(unit.path)
    started = _now()
    size, sha = fingerprint(unit.files, unit.path, unit.options_used)
    if _already_loaded(con, source, sha):
        outcome = UnitOutcome(source, unit.format, "unchanged")
        _log(con, outcome, started, size, sha)
        return outcome
    return load_parsed(con, source, unit.format, unit.parse, started, size, sha)


def load_parsed(
    con: duckdb.DuckDBPyConnection,
    source: str,
    fmt: str,
    parse: Callable[[], list[ParsedRun] | ParsedBacklog],
    started: datetime,
    size: int | None = None,
    sha: str | None = None,
) -> UnitOutcome:
    """Parse one unit and load it in one transaction together with its ``ingest_log`` row; if parsing or loading
    fails, nothing of it is stored and the unit is logged as ``rejected`` with the reason."""
    in_transaction = False
    try:
        parsed = parse()
        outcome = UnitOutcome(source, fmt, "loaded")
        con.execute("BEGIN TRANSACTION")
        in_transaction = True
        if isinstance(parsed, ParsedBacklog):
            outcome.counts = load_backlog(con, parsed, source)
        else:
            outcome.counts = load_runs(con, parsed, source)
            for run in parsed:
                # a caveat about the whole file is repeated on each of its runs; the outcome lists it once
                outcome.warnings.extend(w for w in run.warnings if w not in outcome.warnings)
        _log(con, outcome, started, size, sha)
        con.execute("COMMIT")
        return outcome
    except Exception as exc:  # noqa: BLE001 - any failure rejects this unit only, with its reason
        if in_transaction:
            con.execute("ROLLBACK")
        outcome = UnitOutcome(source, fmt, "rejected", error=_reason(exc, source))
        _log(con, outcome, started, size, sha)
        return outcome


def _reason(exc: Exception, path: str | Path) -> str:
    """One line saying what is wrong; the path is reported beside it, so a message that repeats it is trimmed."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    prefix = f"{path}: "
    if message.startswith(prefix):
        message = message[len(prefix) :]
    if isinstance(exc, InputError | ValueError):
        return message
    return f"{type(exc).__name__}: {message}"


def ingest_paths(
    db_path: Path,
    paths: Iterable[Path],
    progress: ProgressCallback | None = None,
    publish_every_s: float = 30.0,
    options: IngestOptions | None = None,
) -> IngestReport:
    """Load every unit under ``paths`` into the store at ``db_path``; see the module docstring. ``options`` carries
    what the user said about inputs whose content cannot say it (``--summary-from``, ``--run``)."""
    started = time.perf_counter()
    report = IngestReport()
    units: list[Unit] = []
    for path in paths:
        try:
            units.extend(units_for(Path(path), options))
        except InputError as exc:
            report.outcomes.append(UnitOutcome(exc.path, None, "rejected", error=exc.problem))
    with write_session(db_path) as writer:
        for outcome in report.outcomes:  # paths rejected before parsing still belong in the log
            _log(writer.con, outcome, _now(), None, None)
        last_publish = time.perf_counter()
        for index, unit in enumerate(units):
            if progress:
                progress(index, len(units), str(unit.path))
            report.outcomes.append(_load_unit(writer.con, unit))
            if time.perf_counter() - last_publish > publish_every_s and index + 1 < len(units):
                writer.publish()
                last_publish = time.perf_counter()
        if progress:
            progress(len(units), len(units), "")
    report.seconds = time.perf_counter() - started
    return report
