"""The DuckDB store: where it lives, its schema, and the queries every part of Sprintboard shares."""

from sprintboard.store.connection import read_connection, read_snapshot, resolve_db_path, write_session
from sprintboard.store.errors import InputError, StoreError
from sprintboard.store.readers import Snapshot, store_version

__all__ = ["InputError", "Snapshot", "StoreError", "read_connection", "read_snapshot", "resolve_db_path",
           "store_version", "write_session"]
