"""Record the SQL the app sends to DuckDB, to run the same statements again without the app around them.

While a :class:`SqlRecorder` is installed, ``duckdb.connect`` returns connections that record every ``execute``
and ``sql`` call -- the statement text and its parameters -- and forward it unchanged; ``cursor()`` returns a
recording cursor, ``close()`` is noted; everything else (``df()``, ``fetchall()``...) is the real connection's.
Patching ``duckdb.connect`` itself, rather than a Sprintboard function, keeps the recorder working however the store
layer opens its connections (a file opened read-only per query, an in-memory database that ATTACHes the file and
hands out cursors, a connection cached per store version): every DuckDB connection starts there.

:class:`Replayer` runs what a stretch of the app's work opened again bare, in the same shape: a connection the app
opened during the stretch is opened again (same database, ``read_only`` and config) and its statements run; a cursor
the app took from a connection opened before the stretch is taken from a twin of that connection, opened before the
timing and kept open across replays (as the app keeps its connection open); every result is fetched whole as an
Arrow table. So the replay's time is DuckDB's share of the work, with the same connection costs. A connection
that can write a database file (opened read-write on it, or attaching it without ``READ_ONLY``) is never replayed;
:func:`writes` counts them. A connection opened before the recorder was installed is not seen at all, nor are its
cursors: :mod:`bench.page_timing` stops when a page that reads the store ran no statement the recorder saw.
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import duckdb

_REAL_CONNECT = duckdb.connect
_MEMORY = ":memory:"


@dataclass(eq=False)
class RecordedConnection:
    """A connection (``parent`` None) or cursor the app opened: how it was opened, its statements in order, and
    whether the app closed it."""

    database: str
    read_only: bool
    config: dict | None
    parent: RecordedConnection | None = None
    calls: list[tuple[str, Any]] = field(default_factory=list)
    closed: bool = False

    @property
    def writes(self) -> bool:
        """Opened read-write on a database file, or an in-memory one that attached a file without ``READ_ONLY``."""
        root = self.parent or self
        if not root.read_only and root.database != _MEMORY:
            return True
        return any(query.lstrip().upper().startswith("ATTACH") and "READ_ONLY" not in query.upper()
                   for query, _ in root.calls)


class RecordingConnection:
    """A DuckDB connection that appends every statement it runs to ``record.calls``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, record: RecordedConnection) -> None:
        self._con = con
        self._record = record

    def execute(self, query: str, parameters: Any = None, *args: Any, **kwargs: Any) -> Any:
        self._record.calls.append((query, parameters))
        return self._con.execute(query, parameters, *args, **kwargs)

    def sql(self, query: str, *args: Any, params: Any = None, **kwargs: Any) -> Any:
        self._record.calls.append((query, params))
        return self._con.sql(query, *args, params=params, **kwargs)

    def cursor(self) -> RecordingConnection | duckdb.DuckDBPyConnection:
        """A cursor, recorded by the recorder installed now (a connection may outlive the recorder it was opened
        under: the store layer keeps databases open between queries); a plain one when none is."""
        record, cursor = self._record, self._con.cursor()
        if _installed is None:
            return cursor
        return _installed.wrap(cursor, RecordedConnection(record.database, record.read_only, record.config,
                                                          record.parent or record))

    def close(self) -> None:
        self._record.closed = True
        self._con.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def __enter__(self) -> RecordingConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class SqlRecorder:
    """Installs itself as ``duckdb.connect`` (``with SqlRecorder() as recorder:``); :meth:`reset` hands over what
    was opened since the last reset, in the order it was opened."""

    def __init__(self) -> None:
        self._opened: list[RecordedConnection] = []
        self._lock = threading.Lock()

    def wrap(self, con: duckdb.DuckDBPyConnection, record: RecordedConnection) -> RecordingConnection:
        with self._lock:
            self._opened.append(record)
        return RecordingConnection(con, record)

    def _connect(self, database: Any = _MEMORY, read_only: bool = False, config: dict | None = None,
                 **kwargs: Any) -> RecordingConnection:
        con = _REAL_CONNECT(database, read_only, config=config or {}, **kwargs)
        return self.wrap(con, RecordedConnection(str(database), bool(read_only), dict(config or {})))

    def reset(self) -> list[RecordedConnection]:
        """What was opened since the last reset; forgets it."""
        with self._lock:
            opened, self._opened = self._opened, []
        return opened

    def __enter__(self) -> SqlRecorder:
        global _installed
        if _installed is not None:
            raise RuntimeError("another SqlRecorder is installed")
        duckdb.connect, _installed = self._connect, self
        return self

    def __exit__(self, *exc_info: object) -> None:
        global _installed
        duckdb.connect, _installed = _REAL_CONNECT, None


_installed: SqlRecorder | None = None


def statements(opened: list[RecordedConnection]) -> int:
    return sum(len(record.calls) for record in opened)


def writes(opened: list[RecordedConnection]) -> int:
    return sum(record.writes and record.parent is None for record in opened)


_spill_names = count()


def _open_like(record: RecordedConnection) -> duckdb.DuckDBPyConnection:
    config = dict(record.config or {})
    if "temp_directory" in config:  # never share a spill folder with the app's database
        config["temp_directory"] = str(Path(tempfile.gettempdir()) / f"bench-replay-{next(_spill_names)}.tmp")
    return _REAL_CONNECT(record.database, record.read_only, config=config)


def _run(con: duckdb.DuckDBPyConnection, calls: list[tuple[str, Any]]) -> None:
    for query, parameters in calls:
        relation = con.sql(query, params=parameters)
        if relation is not None:
            relation.to_arrow_table()


class Replayer:
    """Replays stretches of recorded work (see the module docstring); :meth:`close` closes the twins."""

    def __init__(self) -> None:
        self._twins: dict[RecordedConnection, duckdb.DuckDBPyConnection] = {}

    def prepare(self, opened: list[RecordedConnection]) -> None:
        """Open, untimed, a twin of every connection opened before the stretch ``opened`` whose cursors it uses."""
        inside = set(opened)
        for record in opened:
            parent = record.parent
            if parent is not None and parent not in inside and parent not in self._twins and not parent.writes:
                twin = _open_like(parent)
                _run(twin, parent.calls)
                self._twins[parent] = twin

    def replay(self, opened: list[RecordedConnection]) -> None:
        """Run the stretch ``opened`` again bare; call :meth:`prepare` with it first."""
        fresh: dict[RecordedConnection, duckdb.DuckDBPyConnection] = {}
        try:
            for record in opened:
                if record.writes:
                    continue
                if record.parent is None:
                    con = fresh[record] = _open_like(record)
                else:
                    con = (fresh.get(record.parent) or self._twins[record.parent]).cursor()
                try:
                    _run(con, record.calls)
                finally:
                    if record.parent is not None:
                        con.close()
        finally:
            for record, con in fresh.items():
                if record.closed:
                    con.close()
                else:  # the app keeps it open: later stretches take cursors from it
                    self._twins[record] = con

    def close(self) -> None:
        for twin in self._twins.values():
            twin.close()
        self._twins.clear()
