"""Opening the store: where it is, read-only snapshots of it, and writes that readers never see half-done.

DuckDB lets one process write a database file or many processes read it, not both at once. Sprintboard's app reads
while ``sprintboard ingest`` writes, so writes never touch the live file:

1. the writer takes an exclusive lock on ``<store>.lock`` (one writer at a time, waiting for the previous one, and
   saying once on stderr that it waits when the lock is taken); it writes its process id into the lock file so the
   next writer can say which process it waits for;
2. it copies the live file to ``.<store>.writing-<pid>`` while holding the live file open read-only (so no foreign
   read-write process can change it during the copy), and applies its changes to the copy;
3. it checkpoints and closes the copy and renames it over the live file (``os.replace``: atomic on POSIX).

A reader that opened the old file keeps reading the old, complete state; the next reader opens the new one -- also
in a process where other readers still have the old file open (see :mod:`sprintboard.store.readers`, which opens
each version as a database of its own and keeps it open while it is live). A writer killed at any moment leaves the
live file as it was; the abandoned copy is removed by the next writer. A write that fails (a full disk, a read-only
file or folder) leaves the live file as it was and says so in one :class:`StoreError` line.

The store's *version* (:func:`~sprintboard.store.readers.store_version`) is the identity of the live file, which
changes on every write: the app keys its caches on it, and :func:`read_snapshot` says which version it read.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from sprintboard.store.errors import StoreError
from sprintboard.store.readers import Snapshot, describe_open_failure, lease, schema_version_of
from sprintboard.store.schema import CURRENT_VERSION, MIGRATIONS

DEFAULT_DB = Path("data") / "sprintboard.duckdb"
DB_ENV_VAR = "SPRINTBOARD_DB"

_WRITER_LOCK_TIMEOUT_SECONDS = 600.0

# Says that a writer waits for another one (the ``sprintboard`` command shows it as a line on stderr).
log = logging.getLogger(__name__)


def resolve_db_path(explicit: str | os.PathLike | None = None) -> Path:
    """The store file: ``explicit`` (``--db``) if given, else ``$SPRINTBOARD_DB``, else ``data/sprintboard.duckdb``."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(DB_ENV_VAR)
    return Path(from_env) if from_env else DEFAULT_DB


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


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


@contextmanager
def read_snapshot(path: Path) -> Iterator[Snapshot]:
    """A :class:`~sprintboard.store.readers.Snapshot` of the live store: a read-only cursor of its own on the version
    live now, and which version that is; the cursor is closed on exit (the version's database stays open for the
    next reader, see :mod:`sprintboard.store.readers`).

    A store written by an older Sprintboard is migrated first (through a normal write); a newer one is refused with a
    :class:`StoreError`, as is a missing file, a file that is not a Sprintboard store, or one held by a foreign writer.
    """
    path = Path(path)
    migrated = False
    while True:
        with lease(path) as snapshot:
            _refuse_newer(snapshot.schema, path)
            if snapshot.schema >= CURRENT_VERSION or migrated:
                yield snapshot
                return
        with write_session(path):
            pass
        migrated = True


@contextmanager
def read_connection(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the store version live now (see :func:`read_snapshot`), closed on exit."""
    with read_snapshot(path) as snapshot:
        yield snapshot.con


class StoreWriter:
    """A connection to the working copy of the store; see the module docstring for how writes are published."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.work_path = path.with_name(f".{path.name}.writing-{os.getpid()}")
        self.con: duckdb.DuckDBPyConnection | None = None
        self.published = False  # whether publish() has made part of the session live already

    def _open(self) -> None:
        if self.path.exists():
            # The live version open read-only during the copy keeps foreign read-write processes out of it.
            with lease(self.path) as live:
                _refuse_newer(live.schema, self.path)
                _copy(self.path, self.work_path)
        try:
            self.con = duckdb.connect(str(self.work_path))
        except duckdb.Error as exc:
            raise StoreError(self.path, describe_open_failure(str(exc))) from exc
        apply_migrations(self.con, self.path)

    def publish(self) -> None:
        """Make everything committed so far the live store, and keep writing on a fresh copy of it."""
        self._swap_in()
        self.published = True
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
            # After a fatal error (a checkpoint that failed) DuckDB may refuse even this; the copy goes anyway.
            with contextlib.suppress(duckdb.Error):
                self.con.close()
            self.con = None
        for leftover in (self.work_path, Path(f"{self.work_path}.wal")):
            leftover.unlink(missing_ok=True)


def _copy(source: Path, target: Path) -> None:
    try:
        shutil.copyfile(source, target)
    except OSError as exc:
        target.unlink(missing_ok=True)
        problem = _disk_problem(exc.errno, exc.strerror or str(exc)) or f" ({exc.strerror or exc})"
        raise StoreError(source, f"cannot copy the store for writing{problem}; the store is unchanged") from exc


# What a write that failed for want of space says, by errno and by the text DuckDB quotes from the operating system
# in its errors (IOException from an insert that writes blocks, TransactionException from a commit that writes the
# WAL, FatalException from a checkpoint).
_DISK_FULL = (
    (errno.ENOSPC, "No space left on device", "the disk is full"),
    (errno.EDQUOT, "Disk quota exceeded", "the disk quota is used up"),
    (errno.EFBIG, "File too large", "the file size limit is reached"),
)


def _disk_problem(code: int | None, message: str) -> str | None:
    """``": <what happened> (<the system's words>)"`` for an error that says the disk (or the file size limit) is
    full, else ``None``."""
    for number, text, explanation in _DISK_FULL:
        if code == number or text.lower() in message.lower():
            return f": {explanation} ({text})"
    return None


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
    # Mode bits count even for root, who may write anything: a store or folder chmod-ed read-only was protected on
    # purpose.
    if not os.access(directory, os.W_OK) or not directory.stat().st_mode & 0o222:
        raise StoreError(path, f"folder {directory} is not writable, so the store cannot be updated")
    if path.exists() and (not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222):
        raise StoreError(path, "store file is read-only; nothing was changed")


def _remove_abandoned_copies(path: Path) -> None:
    # Only the lock holder writes copies, so any copy present now was left by a writer that died.
    for leftover in path.parent.glob(f".{path.name}.writing-*"):
        leftover.unlink(missing_ok=True)


def _lock_holder(lock_path: Path) -> int | None:
    """The process id a writer wrote into the lock file, if that process still exists."""
    try:
        pid = int(lock_path.read_text().strip() or 0)
    except (OSError, ValueError):
        return None
    if pid <= 0 or pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # it exists, owned by another user
        pass
    return pid


@contextmanager
def _writer_lock(path: Path) -> Iterator[None]:
    """Hold ``<store>.lock`` (see the module docstring): wait for another writer up to
    :data:`_WRITER_LOCK_TIMEOUT_SECONDS`, logging once that it waits, and write this process's id into the file while
    holding it."""
    lock_path = path.with_name(f"{path.name}.lock")
    handle = open(lock_path, "a")  # noqa: SIM115 - held for the whole with-block
    try:
        deadline = time.monotonic() + _WRITER_LOCK_TIMEOUT_SECONDS
        holder: int | None = None
        waiting = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waiting:
                    holder = _lock_holder(lock_path)
                    by = f"another process (pid {holder})" if holder else "another process"
                    log.warning("%s: the store is locked: %s is writing it; waiting up to %g s for it to finish",
                                path, by, _WRITER_LOCK_TIMEOUT_SECONDS)
                    waiting = True
                if time.monotonic() > deadline:
                    by = f" (pid {holder})" if holder else ""
                    message = (f"another sprintboard process{by} has held the store's write lock for more than "
                               f"{_WRITER_LOCK_TIMEOUT_SECONDS:g} s; nothing was changed, try later")
                    raise StoreError(path, message) from None
                time.sleep(0.1)
        _write_holder(handle, f"{os.getpid()}\n")
        try:
            yield
        finally:
            _write_holder(handle, "")  # so no later waiter names this process
    finally:
        handle.close()


def _write_holder(handle, text: str) -> None:
    # Best effort: the pid only makes a waiting writer's message more precise (a full disk may refuse even this).
    with contextlib.suppress(OSError):
        handle.truncate(0)
        handle.write(text)
        handle.flush()


@contextmanager
def write_session(path: Path) -> Iterator[StoreWriter]:
    """Write to the store; everything committed in the block becomes live at once when the block ends.

    If the block raises, nothing of it becomes live (except what an explicit :meth:`StoreWriter.publish` already
    published). Disk-full and permission problems, from the operating system or from DuckDB, surface as one
    :class:`StoreError` line saying what happened and that the store is unchanged (or holds what was published).
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
            problem = _disk_problem(exc.errno, exc.strerror or str(exc)) or f" ({exc.strerror or exc})"
            raise StoreError(path, f"cannot write the store{problem}; {_what_is_live(writer)}") from exc
        except duckdb.Error as exc:
            writer.discard()
            problem = _disk_problem(None, str(exc))
            if problem is None:
                raise
            raise StoreError(path, f"cannot write the store{problem}; {_what_is_live(writer)}") from exc
        except BaseException:
            writer.discard()
            raise


def _what_is_live(writer: StoreWriter) -> str:
    if writer.published:
        return "the store holds what was published before this failure"
    return "the store is unchanged"


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
