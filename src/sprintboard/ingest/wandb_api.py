"""``sprintboard sync ENTITY/PROJECT``: the runs of a W&B project, read live through the public API (``wandb.Api()``).

Each run is read completely (see :mod:`sprintboard.ingest.wandb_api_run`) and loaded in its own transaction with
its ``ingest_log`` row (path ``wandb://ENTITY/PROJECT/RUN_ID``, format ``wandb-api``), as ``sprintboard ingest``
loads a file: a run that fails to be read is logged as rejected with its reason, and the others load.

Incremental: after a sync of the whole project (no tag, state or creation-date filter) in which no run was
rejected, the time it started is kept in ``store_meta`` under ``wandb_sync:ENTITY/PROJECT``. The next sync asks
only for runs updated (``updatedAt``) or heartbeating (``heartbeatAt``) since then, less ``SYNC_OVERLAP`` in case the
local clock and W&B's differ (reading a run again is harmless). A run the store already holds from this project has
its history read from its last stored step on: the loader replaces history over the step range the new rows cover,
so the earlier steps stay. ``full=True`` reads every run, and all of its history, again.

The API key is wandb's business: ``wandb.Api()`` finds it in ``WANDB_API_KEY`` or in what ``wandb login`` saved.
It is never taken, stored or printed here; messages from failed API calls are stripped of it, and of anything that
looks like an auth header, before they are shown or logged.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from sprintboard.ingest.driver import IngestReport, ProgressCallback, UnitOutcome, load_parsed
from sprintboard.ingest.parsed import ParsedRun, naive_utc, parse_utc, to_json
from sprintboard.ingest.wandb_api_run import parse_api_run
from sprintboard.store.connection import write_session
from sprintboard.store.errors import InputError

FORMAT = "wandb-api"
SYNC_META_PREFIX = "wandb_sync:"
SYNC_OVERLAP = timedelta(minutes=10)
KEY_ADVICE = "run `wandb login` or set WANDB_API_KEY"

_SECRET_FIELD = re.compile(
    r"(?i)\b(authorization|api[_-]?key|x-api-key|password|access[_-]?token)(['\"]?\s*[:=]\s*['\"]?)"
    r"(?:(?:basic|bearer)\s+)?[^\s'\",;}]+"
)
_AUTH_SCHEME = re.compile(r"(?i)\b(basic|bearer)\s+[A-Za-z0-9+/=._~-]{8,}")


class SyncError(InputError):
    """A W&B project cannot be read at all (no key, no access, no network); ``str()`` is ``"<project>: <problem>"``."""


@dataclass
class SyncReport(IngestReport):
    project: str = ""
    updated_since: datetime | None = None  # only runs updated since this were asked for; None: all that match
    remembered: datetime | None = None  # the sync time kept for the next incremental sync; None: not kept


class _Redactor:
    """Strips the API key (as it is and as HTTP basic auth) and auth-header-like fields from text."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, key: Any) -> None:
        if isinstance(key, str) and len(key) >= 8:
            self._secrets.add(key)
            self._secrets.add(base64.b64encode(f"api:{key}".encode()).decode())

    def found_in(self, text: str) -> bool:
        return any(secret in text for secret in self._secrets)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "[redacted]")
        text = _SECRET_FIELD.sub(lambda match: f"{match.group(1)}{match.group(2)}[redacted]", text)
        return _AUTH_SCHEME.sub(lambda match: f"{match.group(1)} [redacted]", text)


def split_project(path: str) -> tuple[str, str]:
    entity, _, project = path.strip().strip("/").partition("/")
    if not entity or not project or "/" in project:
        raise SyncError(path, "expected ENTITY/PROJECT, for example my-team/my-project")
    return entity, project


def source_path(entity: str, project: str, run_id: str) -> str:
    return f"wandb://{entity}/{project}/{run_id}"


def api_time(moment: datetime) -> str:
    """ISO 8601 in UTC, as the API's run filters take times (``2024-10-12T23:06:30Z``); naive means UTC."""
    return naive_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_filters(tags: Iterable[str] = (), states: Iterable[str] = (), since: datetime | None = None,
                updated_since: datetime | None = None) -> dict[str, Any]:
    """The ``filters`` argument of ``Api.runs``: runs with any of ``tags``, in any of ``states``, created on or
    after ``since``, updated or heartbeating on or after ``updated_since``; ``{}`` selects every run."""
    tags, states = list(tags), list(states)
    parts: list[dict[str, Any]] = []
    if tags:
        parts.append({"tags": {"$in": tags}})
    if states:
        parts.append({"state": states[0] if len(states) == 1 else {"$in": states}})
    if since is not None:
        parts.append({"createdAt": {"$gte": api_time(since)}})
    if updated_since is not None:
        moment = api_time(updated_since)
        parts.append({"$or": [{"updatedAt": {"$gte": moment}}, {"heartbeatAt": {"$gte": moment}}]})
    return {"$and": parts} if parts else {}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    message = lines[0] if lines else ""
    if isinstance(exc, ValueError) and message:
        return message
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _cause(exc: BaseException, redact: _Redactor) -> BaseException | None:
    """``exc`` to chain for ``--debug`` tracebacks, unless its message held something secret."""
    text = str(exc)
    return exc if redact(text) == text else None


def _default_api_factory() -> Callable[[], Any]:
    # Silent wandb never prompts for a key (it raises instead) and prints nothing between Sprintboard's lines.
    os.environ["WANDB_SILENT"] = "true"
    import wandb

    return wandb.Api


def _open_api(api_factory: Callable[[], Any] | None, target: str, redact: _Redactor) -> Any:
    factory = api_factory or _default_api_factory()
    try:
        return factory()
    except Exception as exc:  # noqa: BLE001 - wandb raises many kinds; each becomes the one-line error below
        message = str(exc).lower()
        if type(exc).__name__ in {"UsageError", "AuthenticationError"} or "api key" in message or "login" in message:
            problem = f"no usable W&B API key found; {KEY_ADVICE}"
        else:
            problem = f"cannot connect to W&B ({redact(_one_line(exc))}); check the network, or {KEY_ADVICE}"
        raise SyncError(target, problem) from _cause(exc, redact)


def _list_runs(api: Any, target: str, filters: dict[str, Any], per_page: int, redact: _Redactor) -> list[Any]:
    try:
        return list(api.runs(target, filters=filters, order="+created_at", per_page=per_page, lazy=False))
    except Exception as exc:  # noqa: BLE001 - any failure to list means nothing can be synced
        problem = (f"cannot list the project's runs ({redact(_one_line(exc))}); check its name and your access "
                   f"to it, or {KEY_ADVICE}")
        raise SyncError(target, problem) from _cause(exc, redact)


def _last_sync(con: duckdb.DuckDBPyConnection, target: str) -> datetime | None:
    row = con.execute("SELECT value FROM store_meta WHERE key = ?", [SYNC_META_PREFIX + target]).fetchone()
    return parse_utc(row[0]) if row else None


def _remember_sync(con: duckdb.DuckDBPyConnection, target: str, moment: datetime) -> None:
    con.execute("INSERT OR REPLACE INTO store_meta VALUES (?, ?)", [SYNC_META_PREFIX + target, api_time(moment)])


def _resume_step(con: duckdb.DuckDBPyConnection, entity: str, project: str, run_id: str) -> int:
    """The last history step stored for this run of this project (read again, it may have grown); 0 if none."""
    (step,) = con.execute(
        """SELECT max(step) FROM history WHERE run_id = ?
             AND EXISTS (SELECT 1 FROM runs WHERE run_id = ? AND entity = ? AND project = ?)""",
        [run_id, run_id, entity, project],
    ).fetchone()
    return int(step) if step is not None else 0


def _scrub(parsed: ParsedRun, redact: _Redactor) -> None:
    """Keep the API key out of the store even when a run logged it in its config or summary."""
    for values in (parsed.config, parsed.summary):
        for key, value in values.items():
            if isinstance(value, str | dict | list) and redact.found_in(to_json(value)):
                values[key] = "[redacted]"
                parsed.warnings.append(f"{key}: the value held the W&B API key and was not stored")


def _sync_run(con: duckdb.DuckDBPyConnection, run: Any, entity: str, project: str, workdir: Path, *,
              full: bool, page_size: int, redact: _Redactor) -> UnitOutcome:
    run_id = str(run.id)
    source = source_path(entity, project, run_id)
    min_step = 0 if full else _resume_step(con, entity, project, run_id)

    def fetch() -> list[ParsedRun]:
        folder = Path(tempfile.mkdtemp(dir=workdir))
        try:
            parsed = parse_api_run(run, folder, min_step=min_step, page_size=page_size)
        except Exception as exc:  # noqa: BLE001 - rejects this run only; the message is shown, so it is cleaned
            raise SyncError(source, redact(_one_line(exc))) from None
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        _scrub(parsed, redact)
        return [parsed]

    return load_parsed(con, source, FORMAT, fetch, _now())


def sync_project(
    db_path: Path,
    project_path: str,
    *,
    tags: Iterable[str] = (),
    states: Iterable[str] = (),
    since: datetime | None = None,
    full: bool = False,
    api_factory: Callable[[], Any] | None = None,
    progress: ProgressCallback | None = None,
    page_size: int = 1000,
    per_page: int = 50,
    publish_every_s: float = 30.0,
) -> SyncReport:
    """Load the runs of ``project_path`` (``ENTITY/PROJECT``) into the store at ``db_path``; see the module docstring.

    ``api_factory`` makes the API object (default ``wandb.Api``); raises :class:`SyncError` when the project cannot
    be read at all, in which case the store is unchanged.
    """
    clock = time.perf_counter()
    entity, project = split_project(project_path)
    target = f"{entity}/{project}"
    tags, states = list(tags), list(states)
    redact = _Redactor()
    redact.add(os.environ.get("WANDB_API_KEY"))
    api = _open_api(api_factory, target, redact)
    redact.add(getattr(api, "api_key", None))
    report = SyncReport(project=target)
    with write_session(db_path) as writer:
        last = None if full else _last_sync(writer.con, target)
        report.updated_since = last - SYNC_OVERLAP if last is not None else None
        started = _now().replace(microsecond=0)  # as stored: whole seconds, rounded down
        runs = _list_runs(api, target, run_filters(tags, states, since, report.updated_since), per_page, redact)
        last_publish = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="sprintboard-sync-") as workdir:
            for index, run in enumerate(runs):
                if progress:
                    progress(index, len(runs), str(run.id))
                report.outcomes.append(_sync_run(writer.con, run, entity, project, Path(workdir), full=full,
                                                 page_size=page_size, redact=redact))
                if time.perf_counter() - last_publish > publish_every_s and index + 1 < len(runs):
                    writer.publish()
                    last_publish = time.perf_counter()
        if progress:
            progress(len(runs), len(runs), "")
        if not (tags or states or since) and not report.rejected:
            _remember_sync(writer.con, target, started)
            report.remembered = started
    report.seconds = time.perf_counter() - clock
    return report
