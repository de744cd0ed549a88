"""Running store queries from pages: read-only connections, results cached per store version.

Pages call ``query(some_function, *args)`` where ``some_function(con, *args)`` is a plain query or analytics
function. The cache key holds the function, its arguments, the store path and the store's version, so a finished
ingest (which replaces the store file) is seen on the next rerun without any manual cache clearing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from sprintboard.store import read_connection, resolve_db_path, store_version

T = TypeVar("T")


def db_path() -> Path:
    return resolve_db_path()


def current_version() -> str | None:
    return store_version(db_path())


def query(function: Callable[..., T], *args: Any) -> T:
    """``function(con, *args)`` against the live store, cached until the store changes."""
    path = db_path()
    return _cached_call(function.__module__, function.__qualname__, str(path), store_version(path), args)


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_call(module: str, name: str, path: str, version: str | None, args: tuple) -> Any:
    function = getattr(importlib.import_module(module), name)
    with read_connection(Path(path)) as con:
        return function(con, *args)
