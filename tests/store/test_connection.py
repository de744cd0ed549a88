"""Writes are all-or-nothing and readers never see them half-done."""

from __future__ import annotations

import os
import stat

import pytest

from sprintboard.store import StoreError, read_connection, resolve_db_path, store_version, write_session


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
