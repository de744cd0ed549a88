"""Opening the store: where it is, short-lived read-only connections, and writes that readers never see half-done.

DuckDB lets one process write a database file or many processes read it, not both at once. Sprintboard's app reads
while ``sprintboard ingest`` writes, so writes never touch the live file:

1. the writer takes an exclusive lock on ``<store>.lock`` (one writer at a time, waiting for the previous one);
2. it copies the live file to ``.<store>.writing-<pid>`` while holding a read-only connection to the live file (so
   no foreign read-write process can change it during the copy), and applies its changes to the copy;
3. it checkpoints and closes the copy and renames it over the live file (``os.replace``: atomic on POSIX).

A reader that opened the old file keeps reading the old, complete state; the next reader opens the new one. A writer
killed at any moment leaves the live file as it was; the abandoned copy is removed by the next writer.

The store's *version* (:func:`store_version`) is the identity of the live file, which changes on every write: the
app keys its caches on it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from sprintboard.store.errors import StoreError
from sprintboard.store.schema import CURRENT_VERSION, MIGRATIONS

DEFAULT_DB = Path("data") / "sprintboard.duckdb"
DB_ENV_VAR = "SPRINTBOARD_DB"

# A foreign process holding a read-write connection blocks readers; wait this long before saying so.
_READ_RETRY_SECONDS = 3.0
_WRITER_LOCK_TIMEOUT_SECONDS = 600.0


def resolve_db_path(explicit: str | os.PathLike | None = None) -> Path:
    """The store file: ``explicit`` (``--db``) if given, else ``$SPRINTBOARD_DB``, else ``data/sprintboard.duckdb``."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(DB_ENV_VAR)
    return Path(from_env) if from_env else DEFAULT_DB


def store_version(path: Path) -> str | None:
    """An identity of the live store file that changes whenever a write is published; ``None`` if there is none."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return f"{stat.st_ino}-{stat.st_mtime_ns}-{stat.st_size}"


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def schema_version_of(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """The store's schema version; 0 for an empty database; :class:`StoreError` if it is some other database."""
    tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if not tables:
        return 0
    if "schema_version" not in tables:
        raise StoreError(path, "is a DuckDB database but not a Sprintboard store (no schema_version table)")
    (version,) = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(version)


def _refuse_newer(version: int, path: Path, newest: int = CURRENT_VERSION) -> None:
    if version > newest:
        raise StoreError(
            path,
            f"store schema version {version} is newer than this Sprintboard understands ({newest}); "
            "upgrade Sprintboard to open it",
        )


def apply_migrations(con: duckdb.DuckDBPyConnection, path: Path, migrations=MIGRATIONS) -> int:
    """Bring the database on ``con`` to the newest version in ``migrations``; returns the version it started at.

    Each migration runs in its own transaction together with its ``schema_version`` row, so a failure leaves the
    store at the previous version.
    """
    start = schema_version_of(con, path)
    _refuse_newer(start, path, migrations[-1].version)
    for migration in migrations:
        if migration.version <= start:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            for statement in migration.statements:
                con.execute(statement)
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)",
                [migration.version, migration.description, _utc_now()],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return start


def _connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.exists():
        raise StoreError(path, "no store here yet; run `sprintboard demo` or `sprintboard ingest PATH`")
    deadline = time.monotonic() + _READ_RETRY_SECONDS
    while True:
        try:
            return duckdb.connect(str(path), read_only=True)
        except duckdb.IOException as exc:
            message = str(exc)
            if "lock" in message.lower() and time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            raise StoreError(path, _describe_open_failure(message)) from exc
        except duckdb.Error as exc:
            raise StoreError(path, _describe_open_failure(str(exc))) from exc


def _describe_open_failure(message: str) -> str:
    lowered = message.lower()
    if "lock" in lowered:
        return "store is locked by another process that opened it for writing; close that process and retry"
    if "not a valid duckdb" in lowered or "invalid" in lowered or "magic" in lowered:
        return "not a DuckDB database file"
    if "permission" in lowered:
        return "no permission to read the store file"
    return f"cannot open the store ({message.splitlines()[0]})"


@contextmanager
def read_connection(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the live store, closed on exit.

    A store written by an older Sprintboard is migrated first (through a normal write); a newer one is refused with a
    :class:`StoreError`, as is a missing file, a file that is not a Sprintboard store, or one held by a foreign writer.
    """
    path = Path(path)
    con = _connect_read_only(path)
    try:
        version = schema_version_of(con, path)
        _refuse_newer(version, path)
        if version < CURRENT_VERSION:
            con.close()
            with write_session(path):
                pass
            con = _connect_read_only(path)
        yield con
    finally:
        con.close()


class StoreWriter:
    """A connection to the working copy of the store; see the module docstring for how writes are published."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.work_path = path.with_name(f".{path.name}.writing-{os.getpid()}")
        self.con: duckdb.DuckDBPyConnection | None = None

    def _open(self) -> None:
        if self.path.exists():
            # Holding a read-only connection during the copy keeps foreign read-write processes out of it.
            live = _connect_read_only(self.path)
            try:
                _refuse_newer(schema_version_of(live, self.path), self.path)
                _copy(self.path, self.work_path)
            finally:
                live.close()
        try:
            self.con = duckdb.connect(str(self.work_path))
        except duckdb.Error as exc:
            raise StoreError(self.path, _describe_open_failure(str(exc))) from exc
        apply_migrations(self.con, self.path)

    def publish(self) -> None:
        """Make everything committed so far the live store, and keep writing on a fresh copy of it."""
        self._swap_in()
        self._open()

    def _swap_in(self) -> None:
        assert self.con is not None
        self.con.execute("CHECKPOINT")
        self.con.close()
        self.con = None
        with open(self.work_path, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(self.work_path, self.path)
        _fsync_dir(self.path.parent)

    def discard(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None
        for leftover in (self.work_path, Path(f"{self.work_path}.wal")):
            leftover.unlink(missing_ok=True)


def _copy(source: Path, target: Path) -> None:
    try:
        shutil.copyfile(source, target)
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise StoreError(source, f"cannot copy the store for writing ({exc.strerror}); the store is unchanged") from exc


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_writable(path: Path) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.exists():
        raise StoreError(path, f"folder {directory} does not exist")
    if not os.access(directory, os.W_OK):
        raise StoreError(path, f"folder {directory} is not writable, so the store cannot be updated")
    # Mode bits count even for root, who may write anything: a store chmod-ed read-only was protected on purpose.
    if path.exists() and (not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222):
        raise StoreError(path, "store file is read-only; nothing was changed")


def _remove_abandoned_copies(path: Path) -> None:
    # Only the lock holder writes copies, so any copy present now was left by a writer that died.
    for leftover in path.parent.glob(f".{path.name}.writing-*"):
        leftover.unlink(missing_ok=True)


@contextmanager
def _writer_lock(path: Path) -> Iterator[None]:
    lock_path = path.with_name(f"{path.name}.lock")
    handle = open(lock_path, "a")  # noqa: SIM115 - held for the whole with-block
    try:
        deadline = time.monotonic() + _WRITER_LOCK_TIMEOUT_SECONDS
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    message = "another sprintboard process has been writing for too long; try later"
                    raise StoreError(path, message) from None
                time.sleep(0.1)
        yield
    finally:
        handle.close()


@contextmanager
def write_session(path: Path) -> Iterator[StoreWriter]:
    """Write to the store; everything committed in the block becomes live at once when the block ends.

    If the block raises, nothing of it becomes live (except what an explicit :meth:`StoreWriter.publish` already
    published). Disk-full and permission problems surface as :class:`StoreError` with the store unchanged.
    """
    path = Path(path)
    _check_writable(path)
    with _writer_lock(path):
        _remove_abandoned_copies(path)
        writer = StoreWriter(path)
        try:
            writer._open()
            yield writer
            writer._swap_in()
        except OSError as exc:
            writer.discard()
            raise StoreError(path, f"cannot write the store ({exc.strerror or exc}); the store is unchanged") from exc
        except BaseException:
            writer.discard()
            raise


def replace_store(path: Path, new_store: Path) -> None:
    """Make the complete store file ``new_store`` the live store at ``path`` in one atomic rename."""
    path = Path(path)
    _check_writable(path)
    with _writer_lock(path):
        try:
            with open(new_store, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(new_store, path)
            _fsync_dir(path.parent)
        except OSError as exc:
            raise StoreError(path, f"cannot replace the store ({exc.strerror or exc}); it is unchanged") from exc
