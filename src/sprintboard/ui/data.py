"""Running store queries from pages: each on a read-only cursor of its own, results cached per store version.

Pages call ``query(some_function, *args)`` where ``some_function(con, *args)`` is a plain query or analytics
function. The cache key holds the function, its arguments, the store path and the store's version, so a finished
ingest (which replaces the store file) is seen on the next rerun without any manual cache clearing.

A result is always computed from the version it is cached under: the query runs on a snapshot of the live store
(:func:`sprintboard.store.read_snapshot`), and if that is not the version the key was made with (a write was
published in between), nothing is cached and the key is made again with the version the snapshot has. The
snapshot's database stays open while its version is live (see :mod:`sprintboard.store.readers`), so queries after
the first on a version find DuckDB's buffer pool warm.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from sprintboard.store import read_snapshot, resolve_db_path, store_version

T = TypeVar("T")

# Keys made again after a publish landed between reading the version and opening it; past this (a store published
# again and again), the result is returned uncached.
_KEY_ATTEMPTS = 3


class _VersionMoved(Exception):
    """The live store is not the version a cache key was made with; ``version`` is the one that is."""

    def __init__(self, version: str) -> None:
        super().__init__(version)
        self.version = version


def db_path() -> Path:
    return resolve_db_path()


def current_version() -> str | None:
    return store_version(db_path())


def query(function: Callable[..., T], *args: Any) -> T:
    """``function(con, *args)`` against the live store, cached until the store changes."""
    path = db_path()
    version = store_version(path)
    for _ in range(_KEY_ATTEMPTS):
        try:
            return _cached_call(function.__module__, function.__qualname__, str(path), version, args)
        except _VersionMoved as moved:
            version = moved.version
    with read_snapshot(path) as snapshot:
        return function(snapshot.con, *args)


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_call(module: str, name: str, path: str, version: str | None, args: tuple) -> Any:
    function = getattr(importlib.import_module(module), name)
    with read_snapshot(Path(path)) as snapshot:
        if snapshot.version != version:  # raising keeps the result out of the cache under the wrong version
            raise _VersionMoved(snapshot.version)
        return function(snapshot.con, *args)
