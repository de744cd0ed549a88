"""Read-only databases, one per store version: opened for exactly the version live at the time, kept warm while it is
live, closed once a newer version is live and no query uses the old one.

DuckDB's Python client keeps one database instance per path and process, and ``duckdb.connect(path,
read_only=True)`` joins the instance already open on that path -- which, after a write was published (the store file
renamed over, see :mod:`sprintboard.store.connection`), still has the replaced file open. Readers therefore never use
it. Each store *version* (:func:`store_version`) is opened as a database instance of its own: an in-memory DuckDB
that ATTACHes the file ``READ_ONLY`` (ATTACH does not go through that per-path cache) and makes it the default catalog
with ``USE``, so queries name tables unqualified as usual.

Definitions and edge cases:

* :func:`lease` hands out a *snapshot*: a cursor of its own on the database of the version live when the lease
  starts, the version it is, and that version's schema number. Cursors of one database run in parallel from several
  threads (as Streamlit runs sessions); the database and its buffer pool stay open between leases, so a query that
  follows another one on the same version reads cached blocks instead of the file.
* A version is *opened* only if the live file is that version both before and after the ATTACH (its identity is
  read twice); if a publish lands in between, the open is retried on the newer file. The snapshot's version is the
  one actually opened.
* A version database is *retired* when a lease finds a newer version live, and closed when the last lease on it ends
  -- never under a running query. A lease that started before the publish keeps reading the version it started with.
* Idle databases of stores not read for a while are closed once more than :data:`_STORES_KEPT` stores have one open
  (a process that reads many stores -- the tests, a script -- keeps a bounded number of them).
* Each database bounds its memory (:data:`_MEMORY_SHARE` of the machine's memory, see :func:`_reader_config`): an
  old version stays open only while queries that started on it run, so a store has one database open and, around a
  publish, briefly two -- about half the machine's memory at most, where DuckDB's default (80 % per database) would
  let two ask for more than there is. The thread count is DuckDB's default (one per core): only the live version's
  database starts new queries, so the process still runs about one DuckDB thread per core.
* A process forked from one holding databases starts with none (DuckDB instances do not survive a fork).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

import duckdb

from sprintboard.store.errors import StoreError

NO_STORE = "no store here yet; run `sprintboard demo` or `sprintboard ingest PATH`"
# The store file is attached under the name ``store``, made the default catalog with USE.
_ATTACH = "ATTACH ? AS store (READ_ONLY)"
_USE = "USE store"

# A foreign process holding a read-write connection blocks readers; wait this long before saying so.
_READ_RETRY_SECONDS = 3.0
# Opening retries while publishes keep replacing the file between the two reads of its identity.
_OPEN_ATTEMPTS = 5
_STORES_KEPT = 4
_MEMORY_SHARE = 0.25
_MIN_MEMORY_BYTES = 256 * 1024 * 1024


def store_version(path: Path) -> str | None:
    """An identity of the live store file that changes whenever a write is published; ``None`` if there is none."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return f"{stat.st_ino}-{stat.st_mtime_ns}-{stat.st_size}"


def schema_version_of(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """The store's schema version; 0 for an empty database; :class:`StoreError` if it is some other database."""
    tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if not tables:
        return 0
    if "schema_version" not in tables:
        raise StoreError(path, "is a DuckDB database but not a Sprintboard store (no schema_version table)")
    (version,) = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(version)


def describe_open_failure(message: str) -> str:
    """What a DuckDB error raised while opening a store means, in a few words."""
    lowered = message.lower()
    if "lock" in lowered:
        return "store is locked by another process that opened it for writing; close that process and retry"
    if "not a valid duckdb" in lowered or "invalid" in lowered or "magic" in lowered:
        return "not a DuckDB database file"
    if "permission" in lowered:
        return "no permission to read the store file"
    return f"cannot open the store ({message.splitlines()[0]})"


@dataclass(frozen=True)
class Snapshot:
    """One version of a store, read-only: ``con`` is a cursor of its own, ``version`` the :func:`store_version` of
    the file it reads, ``schema`` that file's schema version."""

    con: duckdb.DuckDBPyConnection
    version: str
    schema: int


@dataclass(eq=False)
class _VersionDatabase:
    """The open database of one version of one store, and the leases using it."""

    path: Path
    version: str
    schema: int
    con: duckdb.DuckDBPyConnection
    users: int = 0
    retired: bool = False
    last_used: float = field(default_factory=time.monotonic)


_temp_names = count()


def _reader_config(path: Path) -> dict[str, str]:
    """Settings of a reader database: a bounded buffer pool, and a spill folder of its own.

    DuckDB's default memory limit is 80 % of the machine's memory *per database*; with a database per version, two
    versions at that limit could ask for more memory than there is. A quarter leaves room for an old and a new
    version and for the app itself, and still holds a gigabyte-sized store's working set on an 8 GB machine (the
    Model metrics page keeps about 270 MB of a 1.08 GB store cached, see docs/performance.md). The spill folder
    (created by DuckDB only when a query needs it, removed when the database closes) lies beside the store, as
    DuckDB's own default does, so spilled data has the store folder's permissions; it is one per database, so two
    databases never share temporary files.
    """
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        physical = 4 * 1024**3
    limit_mb = max(int(physical * _MEMORY_SHARE), _MIN_MEMORY_BYTES) // (1024 * 1024)
    spill = path.with_name(f".{path.name}.reading-{os.getpid()}-{next(_temp_names)}.tmp")
    return {"memory_limit": f"{limit_mb}MB", "temp_directory": str(spill)}


def _attach(path: Path) -> duckdb.DuckDBPyConnection:
    """A new in-memory database with the store file at ``path`` attached read-only as the default catalog."""
    deadline = time.monotonic() + _READ_RETRY_SECONDS
    while True:
        con = duckdb.connect(":memory:", config=_reader_config(path))
        try:
            con.execute(_ATTACH, [str(path)])
            con.execute(_USE)
            return con
        except duckdb.Error as exc:
            con.close()
            message = str(exc)
            if "does not exist" in message:
                raise StoreError(path, NO_STORE) from exc
            if isinstance(exc, duckdb.IOException) and "lock" in message.lower() and time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            raise StoreError(path, describe_open_failure(message)) from exc


def _cursor(database: _VersionDatabase) -> duckdb.DuckDBPyConnection:
    cursor = database.con.cursor()
    cursor.execute(_USE)  # a cursor starts on the in-memory catalog
    return cursor


def open_version(path: Path) -> _VersionDatabase:
    """A database of its own on the version of ``path`` live now (see the module docstring), checked to be a
    Sprintboard store (any schema version, 0 for an empty DuckDB file)."""
    for _ in range(_OPEN_ATTEMPTS):
        before = store_version(path)
        if before is None:
            raise StoreError(path, NO_STORE)
        con = _attach(path)
        if store_version(path) != before:  # replaced while it was being opened: which file was opened is unknown
            con.close()
            continue
        try:
            schema = schema_version_of(con, path)
        except BaseException:
            con.close()
            raise
        return _VersionDatabase(path, before, schema, con)
    raise StoreError(path, "the store was replaced again and again while being opened; retry")


class _Readers:
    """The process's version databases, one live one per store path (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards the dict below and every database's users, retired and last_used
        self._live: dict[str, _VersionDatabase] = {}
        self._opening: dict[str, threading.Lock] = {}  # one open at a time per store

    def _checkout(self, database: _VersionDatabase) -> tuple[_VersionDatabase, Snapshot]:
        # Under self._lock: creating a cursor registers it with the database's connection.
        cursor = _cursor(database)
        database.users += 1
        database.last_used = time.monotonic()
        return database, Snapshot(cursor, database.version, database.schema)

    def _live_checkout(self, key: str, version: str | None) -> tuple[_VersionDatabase, Snapshot] | None:
        with self._lock:
            database = self._live.get(key)
            if database is not None and version is not None and database.version == version:
                return self._checkout(database)
            return None

    def acquire(self, path: Path) -> tuple[_VersionDatabase, Snapshot]:
        key = os.path.abspath(path)
        checked_out = self._live_checkout(key, store_version(path))
        if checked_out is not None:
            return checked_out
        with self._lock:
            opening = self._opening.setdefault(key, threading.Lock())
        with opening:
            # Another thread may have opened the live version while this one waited.
            checked_out = self._live_checkout(key, store_version(path))
            if checked_out is not None:
                return checked_out
            database = open_version(path)
            with self._lock:
                previous = self._live.get(key)
                self._live[key] = database
                checked_out = self._checkout(database)
                closing = self._idle_beyond_bound(key)
                if previous is not None:
                    previous.retired = True
                    if previous.users == 0:
                        closing.append(previous)
        for old in closing:
            old.con.close()
        return checked_out

    def _idle_beyond_bound(self, keep: str) -> list[_VersionDatabase]:
        """Under self._lock: take the least recently used idle live databases beyond :data:`_STORES_KEPT` stores out
        of the live ones, to be closed outside the lock."""
        idle = sorted((database.last_used, key) for key, database in self._live.items()
                      if key != keep and database.users == 0)
        closing = []
        while len(self._live) > _STORES_KEPT and idle:
            _, key = idle.pop(0)
            closing.append(self._live.pop(key))
        return closing

    def release(self, database: _VersionDatabase, snapshot: Snapshot) -> None:
        snapshot.con.close()
        with self._lock:
            database.users -= 1
            database.last_used = time.monotonic()
            close = database.retired and database.users == 0
        if close:
            database.con.close()

    def close_idle(self) -> None:
        """Close every database no lease uses (the next lease opens the live version again)."""
        with self._lock:
            closing = [database for database in self._live.values() if database.users == 0]
            self._live = {key: database for key, database in self._live.items() if database.users}
        for database in closing:
            database.con.close()


_readers = _Readers()
# DuckDB instances (and their threads) do not survive a fork; a child keeps the parent's objects untouched, unused.
_abandoned: list[_Readers] = []


def _forget_after_fork() -> None:
    global _readers
    _abandoned.append(_readers)
    _readers = _Readers()


os.register_at_fork(after_in_child=_forget_after_fork)


@contextmanager
def lease(path: Path) -> Iterator[Snapshot]:
    """A :class:`Snapshot` of the store version live at ``path`` now, on the process's shared database of that version
    (opened if it is not open yet); the cursor is closed on exit. :class:`StoreError` for a missing file, a file that
    is not a DuckDB database or not a Sprintboard store, or one held by a foreign writer. No migration happens here."""
    database, snapshot = _readers.acquire(Path(path))
    try:
        yield snapshot
    finally:
        _readers.release(database, snapshot)


def close_idle() -> None:
    """Close every version database that no query uses (each is opened again when next needed)."""
    _readers.close_idle()
