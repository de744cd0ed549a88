"""A stand-in for the W&B public API (``wandb.Api``, ``wandb.apis.public.Run``, ``File``) for tests without network.

It copies the real classes (wandb 0.31) where Sprintboard touches them, so that code written against the fake works
against W&B:

* ``FakeApi.runs(path, filters, order, per_page, include_sweeps, lazy)`` evaluates the MongoDB-style ``filters``
  against each run's server-side record, with the fields ``Api.runs`` documents (``createdAt``, ``updatedAt``,
  ``heartbeatAt``, ``state``, ``tags``, ...). A field or operator the server does not know, or a time that is not
  ISO 8601 text, raises, so a wrong filter fails the test. Every call is kept in ``calls``.
* A run's fields are its GraphQL attributes read through the snake_case-to-camelCase lookup of
  ``wandb.apis.attrs.Attrs``: ``run.created_at`` is the ISO text of ``createdAt``, ``run.heartbeat_at`` that of
  ``heartbeatAt``, and a field the API does not send raises AttributeError -- as ``run.updated_at`` does on the
  real Run (``updatedAt`` is a filter field, not a Run field).
* ``id`` is the run id (GraphQL ``name``), ``name`` the display name, ``user`` a user object with ``username``;
  ``config`` is unwrapped, ``summary_metrics`` the plain summary JSON, ``summary`` a summary object whose nested
  dicts are not dicts (as ``HTTPSummary``'s are not); ``history()`` samples on the real API, so here it fails.
* ``scan_history(keys, page_size, min_step, max_step)`` yields every row with ``min_step <= _step < max_step``;
  ``file(name)`` raises IndexError for a name the run does not have (``Files(...)[0]`` does);
  ``File.download(root, replace)`` writes the file under ``root`` and returns it open for reading.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

_MISSING = object()
# Run fields Api.runs documents as filterable (api.py), plus the update times the run table keeps.
FILTER_FIELDS = {"createdAt", "updatedAt", "heartbeatAt", "displayName", "duration", "group", "host", "jobType",
                 "name", "state", "tags", "username"}
TIME_FIELDS = {"createdAt", "updatedAt", "heartbeatAt"}
ORDER_FIELDS = {"created_at": "createdAt", "heartbeat_at": "heartbeatAt"}


class FakeCommError(Exception):
    """What a failed API request raises (``wandb.errors.CommError`` carries the server's message)."""


def iso(moment: datetime) -> str:
    """A time as the API writes it: ISO 8601 in UTC, seconds, no zone (``2026-01-05T09:00:00``)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _parse_time(field: str, text: Any) -> datetime:
    if not isinstance(text, str):
        raise FakeCommError(f"filter on {field} takes ISO 8601 text, not {text!r}")
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- filters


def matches(record: dict[str, Any], query: dict[str, Any]) -> bool:
    """Whether a run's server-side ``record`` matches a MongoDB-style ``query``."""
    if not isinstance(query, dict):
        raise FakeCommError(f"a filter is an object, not {query!r}")
    for key, condition in query.items():
        if key in {"$and", "$or", "$nor"}:
            if not isinstance(condition, list) or not condition:
                raise FakeCommError(f"{key} takes a non-empty list")
            results = [matches(record, part) for part in condition]
            ok = all(results) if key == "$and" else any(results) if key == "$or" else not any(results)
        elif key.startswith("$"):
            raise FakeCommError(f"unknown operator {key}")
        else:
            ok = _field_matches(record, key, condition)
        if not ok:
            return False
    return True


def _field_value(record: dict[str, Any], key: str) -> Any:
    for prefix, section in (("config.", "config"), ("summary_metrics.", "summary")):
        if key.startswith(prefix):
            return record[section].get(key[len(prefix):], _MISSING)
    if key not in FILTER_FIELDS:
        raise FakeCommError(f"runs cannot be filtered on {key!r}")
    return record.get(key, _MISSING)


def _field_matches(record: dict[str, Any], key: str, condition: Any) -> bool:
    value = _field_value(record, key)
    if isinstance(condition, dict) and condition and all(op.startswith("$") for op in condition):
        return all(_apply(key, value, op, argument) for op, argument in condition.items())
    return _apply(key, value, "$eq", condition)


def _comparable(key: str, value: Any) -> Any:
    return _parse_time(key, value) if key in TIME_FIELDS else value


def _apply(key: str, value: Any, op: str, argument: Any) -> bool:
    if op == "$exists":
        return (value is not _MISSING and value is not None) == bool(argument)
    if op == "$ne":
        return not _apply(key, value, "$eq", argument)
    if op in {"$in", "$nin"}:
        if not isinstance(argument, list):
            raise FakeCommError(f"{op} takes a list")
        found = any(_apply(key, value, "$eq", item) for item in argument)
        return found if op == "$in" else not found
    if value is _MISSING or value is None:
        return False
    elements = value if isinstance(value, list) else [value]  # an array field matches when an element does
    if op == "$eq":
        return any(_comparable(key, element) == _comparable(key, argument) for element in elements)
    if op in {"$gt", "$gte", "$lt", "$lte"}:
        bound = _comparable(key, argument)
        compare = {"$gt": bound.__lt__, "$gte": bound.__le__, "$lt": bound.__gt__, "$lte": bound.__ge__}[op]
        return any(compare(_comparable(key, element)) for element in elements)
    if op == "$regex":
        return any(re.search(argument, str(element)) for element in elements)
    raise FakeCommError(f"unknown operator {op}")


# -- API objects


class FakeApi:
    """``wandb.Api()``: holds runs; ``api_key`` is what the real Api keeps after authenticating."""

    def __init__(self, runs: list[FakeRun] | None = None, api_key: str | None = None,
                 list_error: Exception | None = None) -> None:
        self.all_runs = list(runs or [])
        self.api_key = api_key
        self.list_error = list_error
        self.calls: list[dict[str, Any]] = []

    def add(self, run: FakeRun) -> FakeRun:
        self.all_runs.append(run)
        return run

    def runs(self, path: str | None = None, filters: dict[str, Any] | None = None, order: str = "+created_at",
             per_page: int = 50, include_sweeps: bool = False, lazy: bool = True) -> list[FakeRun]:
        self.calls.append({"path": path, "filters": json.loads(json.dumps(filters)), "order": order,
                           "per_page": per_page, "lazy": lazy})
        if self.list_error is not None:
            raise self.list_error
        entity, project = (path or "").split("/")
        direction, field = order[0], ORDER_FIELDS[order[1:]]
        if direction not in "+-":
            raise FakeCommError("order starts with + or -")
        selected = [run for run in self.all_runs if run.entity == entity and run.project == project
                    and matches(run.server_record(), filters or {})]
        selected.sort(key=lambda run: _parse_time(field, run._attrs[field]), reverse=direction == "-")
        return selected


class FakeUser:
    def __init__(self, username: str | None) -> None:
        self.username = username
        self.name = username


class FakeSummarySubDict:
    """What ``HTTPSummary`` hands out for a nested dict: dict-like, but not a dict."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def keys(self):
        return self._values.keys()

    def __getitem__(self, key: str) -> Any:
        value = self._values[key]
        return FakeSummarySubDict(value) if isinstance(value, dict) else value

    def items(self):
        return ((key, self[key]) for key in self.keys())


class FakeFile:
    def __init__(self, run: FakeRun, name: str) -> None:
        self.run = run
        self.name = name

    def download(self, root: str = ".", replace: bool = False, exist_ok: bool = False, api: Any = None):
        path = os.path.join(root, self.name)
        if os.path.exists(path) and not replace:
            if exist_ok:
                return open(path)  # noqa: SIM115 - returned open, as File.download does
            raise ValueError("File already exists, pass replace=True to overwrite")
        if self.run.fail_on == "file":
            raise self.run.failure
        self.run.downloads.append(self.name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(self.run.stored_files[self.name])
        return open(path)  # noqa: SIM115 - returned open, as File.download does


class FakeRun:
    """A run as the public API returns it; ``log`` and ``log_table`` make it grow as a live run does."""

    def __init__(self, run_id: str, *, entity: str = "team", project: str = "proj", name: str | None = None,
                 state: str = "finished", created_at: str = "2026-01-05T09:00:00", tags: list[str] | None = None,
                 notes: str | None = None, group: str | None = None, job_type: str | None = None,
                 sweep_name: str | None = None, username: str | None = "ada", commit: str | None = None,
                 config: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None,
                 fail_on: str | None = None, failure: Exception | None = None) -> None:
        self._attrs: dict[str, Any] = {
            "id": f"UnVuOnYx{run_id}", "name": run_id, "displayName": name or run_id, "state": state,
            "createdAt": created_at, "heartbeatAt": created_at, "tags": list(tags or []), "notes": notes,
            "description": notes, "group": group, "jobType": job_type, "sweepName": sweep_name, "commit": commit,
            "readOnly": False, "historyLineCount": 0, "user": {"name": username, "username": username},
            "config": dict(config or {}), "summaryMetrics": {}, "systemMetrics": {}, "historyKeys": {},
        }
        self._entity = entity
        self.project = project
        if username:  # without one, reading run.user raises AttributeError, as on the real Run
            self.user = FakeUser(username)
        self.updated_at_on_server = created_at  # updatedAt: filterable, but not a field of the Run object
        self._metadata = metadata
        self.stored_files: dict[str, str] = {}  # name -> content (the real Run has a files() method)
        self.rows: list[dict[str, Any]] = []
        self.fail_on = fail_on
        self.failure = failure or FakeCommError("server error")
        self.scan_calls: list[dict[str, Any]] = []
        self.downloads: list[str] = []
        self.config_reads = 0

    def __getattr__(self, name: str) -> Any:  # wandb.apis.attrs.Attrs.__getattr__
        attrs = object.__getattribute__(self, "_attrs")
        camel = "".join(part.title() for part in name.split("_"))
        key = camel[0].lower() + camel[1:]
        if key == "user":
            raise AttributeError(name)
        if key in attrs:
            return attrs[key]
        if name in attrs:
            return attrs[name]
        raise AttributeError(f"run has no attribute {name!r}")

    # -- the Run API

    @property
    def id(self) -> str:
        return self._attrs["name"]

    @property
    def name(self) -> str | None:
        return self._attrs.get("displayName")

    @property
    def state(self) -> str:
        return self._attrs["state"]

    @property
    def entity(self) -> str:
        return self._entity

    @property
    def config(self) -> dict[str, Any]:
        self.config_reads += 1
        if self.fail_on == "config":
            raise self.failure
        return self._attrs["config"]

    @property
    def summary_metrics(self) -> dict[str, Any]:
        return self._attrs["summaryMetrics"]

    @property
    def summary(self) -> Mapping[str, Any]:
        return FakeSummarySubDict(self._attrs["summaryMetrics"])  # type: ignore[return-value]

    @property
    def sweep_name(self) -> str | None:
        return self._attrs.get("sweepName")

    @property
    def url(self) -> str:
        return f"https://wandb.ai/{self.entity}/{self.project}/runs/{self.id}"

    @property
    def metadata(self) -> dict[str, Any] | None:
        return self._metadata

    @property
    def lastHistoryStep(self) -> int:  # noqa: N802 - the real name
        return max((row["_step"] for row in self.rows), default=-1)

    def history(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("run.history() samples; use scan_history")

    def scan_history(self, keys: list[str] | None = None, page_size: int = 1000, min_step: int = 0,
                     max_step: int | None = None, use_cache: bool = True) -> Iterator[dict[str, Any]]:
        self.scan_calls.append({"keys": keys, "page_size": page_size, "min_step": min_step, "max_step": max_step})
        last = self.lastHistoryStep
        stop = last + 1 if max_step is None or max_step > last else max_step
        return self._scan(keys, min_step, stop)

    def _scan(self, keys: list[str] | None, start: int, stop: int) -> Iterator[dict[str, Any]]:
        for row in self.rows:
            if self.fail_on == "history" and row["_step"] >= 1:
                raise self.failure
            if start <= row["_step"] < stop and (not keys or all(key in row for key in keys)):
                yield json.loads(json.dumps(row))  # rows arrive as decoded JSON

    def file(self, name: str) -> FakeFile:
        if name not in self.stored_files:
            raise IndexError("list index out of range")
        return FakeFile(self, name)

    # -- test helpers

    def server_record(self) -> dict[str, Any]:
        """The run as the server's filter sees it."""
        return {
            "name": self.id, "displayName": self.name, "state": self.state, "createdAt": self._attrs["createdAt"],
            "updatedAt": self.updated_at_on_server, "heartbeatAt": self._attrs["heartbeatAt"],
            "tags": self._attrs["tags"], "group": self._attrs["group"], "jobType": self._attrs["jobType"],
            "username": self._attrs["user"]["username"], "config": self._attrs["config"],
            "summary": self._attrs["summaryMetrics"], "host": (self._metadata or {}).get("host"),
        }

    def touch(self, at: str, heartbeat: bool = True) -> None:
        """The run changed at ``at``; a running run's heartbeat moves too, an edit only moves ``updatedAt``."""
        self.updated_at_on_server = at
        if heartbeat:
            self._attrs["heartbeatAt"] = at

    def log(self, values: dict[str, Any], *, step: int | None = None, at: str | None = None) -> dict[str, Any]:
        """Append one history row (with ``_step``, ``_runtime``, ``_timestamp``) and update the summary."""
        step = self.lastHistoryStep + 1 if step is None else step
        moment = _parse_time("at", at or self._attrs["heartbeatAt"])
        started = _parse_time("createdAt", self._attrs["createdAt"])
        row = {**values, "_step": step, "_runtime": (moment - started).total_seconds(),
               "_timestamp": moment.timestamp()}
        self.rows.append(row)
        self._attrs["historyLineCount"] = len(self.rows)
        self._attrs["summaryMetrics"].update(row)
        self._attrs["summaryMetrics"]["_wandb"] = {"runtime": int(row["_runtime"])}
        if at:
            self.touch(at)
        return row

    def log_table(self, key: str, columns: list[str], data: list[list[Any]], *, step: int | None = None,
                  at: str | None = None) -> str:
        """Log a table as ``wandb.Table`` does: a table file, and a ``table-file`` reference under ``key``."""
        document = {"_type": "table", "columns": columns, "data": data, "ncols": len(columns), "nrows": len(data)}
        text = json.dumps(document)
        digest = hashlib.sha256(text.encode()).hexdigest()[:20]
        step = self.lastHistoryStep + 1 if step is None else step
        path = f"media/table/{key}_{step}_{digest}.table.json"
        self.stored_files[path] = text
        reference = {"_type": "table-file", "path": path, "sha256": digest, "size": len(text),
                     "ncols": len(columns), "nrows": len(data)}
        self.log({key: reference}, step=step, at=at)
        return path

    def set_summary(self, values: dict[str, Any]) -> None:
        self._attrs["summaryMetrics"].update(values)
