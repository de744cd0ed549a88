"""The DuckDB store: where it lives, its schema, and the queries every part of Sprintboard shares."""

from sprintboard.store.connection import read_connection, resolve_db_path, store_version, write_session
from sprintboard.store.errors import InputError, StoreError

__all__ = ["InputError", "StoreError", "read_connection", "resolve_db_path", "store_version", "write_session"]
