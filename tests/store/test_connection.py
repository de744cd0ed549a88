"""Writes are all-or-nothing and readers never see them half-done."""

from __future__ import annotations

import errno
import logging
import os
import stat
import subprocess
import sys

import duckdb
import pytest

from sprintboard.store import StoreError, connection, read_connection, resolve_db_path, store_version, write_session


def _meta(path, key):
    with read_connection(path) as con:
        row = con.execute("SELECT value FROM store_meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def _put(writer, key, value):
    writer.con.execute("INSERT INTO store_meta VALUES (?, ?)", [key, value])


def test_db_path_comes_from_the_flag_then_the_environment_then_the_default(monkeypatch, tmp_path):
    monkeypatch.delenv("SPRINTBOARD_DB", raising=False)
    assert str(resolve_db_path()) == "data/sprintboard.duckdb"
    monkeypatch.setenv("SPRINTBOARD_DB", str(tmp_path / "env.duckdb"))
    assert resolve_db_path() == tmp_path / "env.duckdb"
    assert resolve_db_path(tmp_path / "flag.duckdb") == tmp_path / "flag.duckdb"


def test_a_write_becomes_visible_only_when_the_session_ends(store_path):
    with write_session(store_path) as writer:
        _put(writer, "first", "1")
    with write_session(store_path) as writer:
        _put(writer, "second", "2")
        assert _meta(store_path, "second") is None  # still on the working copy
    assert _meta(store_path, "second") == "2"


def test_a_failed_write_leaves_the_store_as_it_was(store_path):
    with write_session(store_path) as writer:
        _put(writer, "kept", "yes")
    before = store_version(store_path)
    with pytest.raises(RuntimeError):
        with write_session(store_path) as writer:
            _put(writer, "lost", "no")
            raise RuntimeError("the ingest died")
    assert store_version(store_path) == before
    assert _meta(store_path, "kept") == "yes" and _meta(store_path, "lost") is None
    assert not list(store_path.parent.glob(".store.duckdb.writing-*"))


def test_a_reader_keeps_the_state_it_opened_while_a_write_is_published(store_path):
    with write_session(store_path) as writer:
        _put(writer, "k", "old")
    with read_connection(store_path) as reader:
        with write_session(store_path) as writer:
            writer.con.execute("UPDATE store_meta SET value = 'new' WHERE key = 'k'")
        assert reader.execute("SELECT value FROM store_meta WHERE key = 'k'").fetchone()[0] == "old"
    assert _meta(store_path, "k") == "new"


def test_publish_makes_committed_work_visible_mid_session(store_path):
    with write_session(store_path) as writer:
        _put(writer, "a", "1")
        writer.publish()
        assert _meta(store_path, "a") == "1"
        _put(writer, "b", "2")
        assert _meta(store_path, "b") is None
    assert _meta(store_path, "b") == "2"


def test_a_copy_left_by_a_killed_writer_is_cleaned_up(store_path):
    with write_session(store_path):
        pass
    abandoned = store_path.with_name(f".{store_path.name}.writing-999999")
    abandoned.write_bytes(b"half a store")
    with write_session(store_path):
        pass
    assert not abandoned.exists()


def test_a_read_only_store_is_reported_and_left_alone(store_path):
    with write_session(store_path) as writer:
        _put(writer, "k", "v")
    before = store_version(store_path)
    os.chmod(store_path, stat.S_IRUSR)
    try:
        with pytest.raises(StoreError, match="read-only"):
            with write_session(store_path) as writer:
                _put(writer, "k2", "never")
        assert store_version(store_path) == before
    finally:
        os.chmod(store_path, stat.S_IRUSR | stat.S_IWUSR)


def test_missing_and_garbage_stores_get_one_line_messages_naming_the_file(tmp_path):
    missing = tmp_path / "nope.duckdb"
    with pytest.raises(StoreError) as error:
        with read_connection(missing):
            pass
    assert str(error.value).startswith(str(missing)) and "\n" not in str(error.value)
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(os.urandom(5000))
    with pytest.raises(StoreError, match="not a DuckDB database file"):
        with read_connection(garbage):
            pass


@pytest.mark.parametrize(("error", "said"), [
    (duckdb.IOException('IO Error: Could not write file "x": No space left on device'),
     ": the disk is full (No space left on device)"),
    (duckdb.TransactionException('TransactionContext Error: Failed to commit: Could not write file "x.wal": '
                                 "File too large"), ": the file size limit is reached (File too large)"),
    (duckdb.FatalException('FATAL Error: Failed to create checkpoint because of error: Could not write file "x": '
                           "No space left on device"), ": the disk is full (No space left on device)"),
    (OSError(errno.ENOSPC, "No space left on device"), ": the disk is full (No space left on device)"),
])
def test_a_disk_that_fills_during_a_write_is_one_line_and_changes_nothing(store_path, error, said):
    with write_session(store_path) as writer:
        _put(writer, "kept", "yes")
    before = store_version(store_path)
    with pytest.raises(StoreError) as failed:
        with write_session(store_path) as writer:
            _put(writer, "lost", "no")
            raise error
    message = str(failed.value)
    assert message.startswith(f"{store_path}: cannot write the store: ") and "\n" not in message
    assert said in message and message.endswith("; the store is unchanged")
    assert store_version(store_path) == before and _meta(store_path, "lost") is None
    assert not list(store_path.parent.glob(".store.duckdb.writing-*"))


def test_a_disk_that_fills_after_a_publish_says_what_the_store_holds(store_path):
    with pytest.raises(StoreError, match="the store holds what was published before this failure"):
        with write_session(store_path) as writer:
            _put(writer, "published", "yes")
            writer.publish()
            raise duckdb.IOException('IO Error: Could not write file "x": No space left on device')
    assert _meta(store_path, "published") == "yes"


def test_other_duckdb_errors_in_a_write_are_not_taken_for_a_full_disk(store_path):
    with pytest.raises(duckdb.CatalogException):
        with write_session(store_path) as writer:
            writer.con.execute("SELECT * FROM no_such_table")


def test_a_folder_without_write_permission_is_protected_even_for_root(store_path):
    with write_session(store_path) as writer:
        _put(writer, "k", "v")
    before = store_version(store_path)
    os.chmod(store_path.parent, stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(StoreError, match="is not writable, so the store cannot be updated"):
            with write_session(store_path) as writer:
                _put(writer, "k2", "never")
    finally:
        os.chmod(store_path.parent, stat.S_IRWXU)
    assert store_version(store_path) == before and _meta(store_path, "k2") is None


HOLD_AS_WRITER = """
import sys
from pathlib import Path
from sprintboard.store.connection import _writer_lock
with _writer_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_writer_says_once_which_process_it_waits_for(store_path, monkeypatch, caplog):
    with write_session(store_path) as writer:
        _put(writer, "k", "v")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_AS_WRITER, str(store_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert store_path.with_name("store.duckdb.lock").read_text() == f"{holder.pid}\n"
        monkeypatch.setattr(connection, "_WRITER_LOCK_TIMEOUT_SECONDS", 0.5)
        with caplog.at_level(logging.WARNING, logger="sprintboard.store"):
            with pytest.raises(StoreError) as failed:
                with write_session(store_path):
                    pass
    finally:
        holder.stdin.close()
        holder.wait(30)
    assert [record.getMessage() for record in caplog.records] == [
        f"{store_path}: the store is locked: another process (pid {holder.pid}) is writing it; waiting up to 0.5 s "
        "for it to finish"]
    assert str(failed.value) == (f"{store_path}: another sprintboard process (pid {holder.pid}) has held the store's "
                                 "write lock for more than 0.5 s; nothing was changed, try later")
    assert store_path.with_name("store.duckdb.lock").read_text() == ""  # the holder's pid goes with its lock
