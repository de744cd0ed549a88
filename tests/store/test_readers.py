"""Readers see the version live when they start, share one open database per version, and old versions are closed
once nobody reads them -- never under a running query."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import duckdb
import pytest

from sprintboard.store import read_connection, read_snapshot, readers, store_version, write_session


def _put(store: Path, key: str, value: str) -> None:
    with write_session(store) as writer:
        writer.con.execute("INSERT INTO store_meta VALUES (?, ?)", [key, value])


def _keys(con) -> list[str]:
    return [row[0] for row in con.execute("SELECT key FROM store_meta ORDER BY key").fetchall()]


def _replaced_files_held(store: Path) -> list[str]:
    """Files of this store's folder that the process holds open although they were renamed over (old versions)."""
    held = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(store.parent)) and target.endswith(" (deleted)"):
            held.append(target)
    return held


@pytest.fixture
def store(store_path: Path) -> Path:
    _put(store_path, "a", "1")
    return store_path


def test_a_snapshot_says_which_version_it_reads(store):
    with read_snapshot(store) as snapshot:
        assert snapshot.version == store_version(store)
        assert _keys(snapshot.con) == ["a"]


def _open_files(prefix: Path) -> list[str]:
    """The files whose path starts with ``prefix`` that the process holds open, once per open descriptor."""
    files = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(prefix)):
            files.append(target)
    return files


def test_readers_of_one_version_share_its_open_database_each_on_a_cursor_of_its_own(store):
    with read_connection(store) as first, read_connection(store) as second:
        assert first is not second
        assert _keys(first) == _keys(second) == ["a"]
        assert _open_files(store) == [str(store)]  # the file is open once, for both
    assert _open_files(store) == [str(store)]  # and stays open for the next reader, warm


def test_the_old_version_is_closed_once_a_newer_one_is_read_and_its_last_reader_is_done(store):
    with read_connection(store) as old_reader:
        _put(store, "b", "2")
        with read_connection(store) as new_reader:
            assert _keys(new_reader) == ["a", "b"]
        assert _keys(old_reader) == ["a"]
        assert len(_replaced_files_held(store)) == 1  # the old file stays open under its reader
    assert _replaced_files_held(store) == []


def test_an_old_version_no_one_reads_is_closed_when_the_new_one_is_opened(store):
    with read_connection(store) as con:
        assert _keys(con) == ["a"]
    _put(store, "b", "2")
    assert len(_replaced_files_held(store)) == 1  # kept warm until someone reads the store again
    with read_connection(store) as con:
        assert _keys(con) == ["a", "b"]
    assert _replaced_files_held(store) == []


def test_a_query_on_the_old_version_runs_to_its_end_while_newer_versions_are_opened(store):
    opened, published, results, errors = threading.Event(), threading.Event(), [], []

    def old_session() -> None:
        try:
            with read_connection(store) as con:
                opened.set()
                published.wait(30)
                # A query of a second or so on the old version while the main thread opens newer ones.
                (total,) = con.execute("SELECT count(*) FROM range(30000000) t(i) WHERE hash(i) % 7 = 0").fetchone()
                results.append((_keys(con), total))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))

    reader = threading.Thread(target=old_session)
    reader.start()
    opened.wait(30)
    _put(store, "b", "2")
    published.set()
    for key in ("c", "d"):
        _put(store, key, "3")
        with read_connection(store) as con:
            assert _keys(con)[-1] == key
    reader.join(120)
    assert errors == []
    assert results[0][0] == ["a"] and results[0][1] > 4_000_000
    assert _replaced_files_held(store) == []


def test_sessions_in_threads_read_the_store_together(store):
    seen, errors = [], []

    def session() -> None:
        try:
            for _ in range(20):
                with read_connection(store) as con:
                    seen.append(tuple(_keys(con)))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))

    sessions = [threading.Thread(target=session) for _ in range(8)]
    for thread in sessions:
        thread.start()
    for thread in sessions:
        thread.join(60)
    assert errors == [] and seen == [("a",)] * 160


def test_a_publish_while_a_version_is_being_opened_gives_the_newer_version(store, monkeypatch):
    readers.close_idle()
    attach = readers._attach
    calls = []

    def attach_after_a_publish(path):
        if not calls:  # the first open: another process publishes between reading the identity and opening
            work = path.with_name("published.duckdb")
            shutil.copyfile(path, work)
            con = duckdb.connect(str(work))
            con.execute("INSERT INTO store_meta VALUES ('b', '2')")
            con.close()
            os.replace(work, path)
        calls.append(path)
        return attach(path)

    monkeypatch.setattr(readers, "_attach", attach_after_a_publish)
    with read_snapshot(store) as snapshot:
        assert _keys(snapshot.con) == ["a", "b"]
        assert snapshot.version == store_version(store)
    assert len(calls) == 2


def test_only_a_few_stores_keep_an_idle_database_open(tmp_path):
    stores = []
    for index in range(readers._STORES_KEPT + 3):
        stores.append(tmp_path / f"store-{index}.duckdb")
        _put(stores[-1], "a", "1")
        with read_connection(stores[-1]) as con:
            assert _keys(con) == ["a"]
    assert sorted(_open_files(tmp_path / "store-")) == sorted(map(str, stores[-readers._STORES_KEPT:]))
