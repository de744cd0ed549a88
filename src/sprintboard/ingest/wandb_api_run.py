"""One run read through the W&B public API (``wandb.apis.public.Run``) as a :class:`ParsedRun`.

What is read, and from where:

* the run's fields (id, name, state, times, notes, user, group, job type, tags, sweep, url) from the run object,
  whose snake_case attributes are the GraphQL fields (``created_at`` is ``createdAt``, an ISO 8601 time in UTC);
* host, program and git commit/remote from ``wandb-metadata.json`` (``run.metadata``), the commit falling back to
  the run's ``commit`` field;
* config from ``run.config``, which the API hands over unwrapped and without W&B's internal keys;
* summary from ``run.summary_metrics``, the plain JSON. ``run.summary`` is not used: it turns nested dicts into
  summary objects and downloads ``wandb.h5`` for tensors. Values whose data lives outside the JSON (tensors and data
  frames, see ``_HELD_ELSEWHERE``) and the internal ``_wandb`` key are skipped; table references are kept;
* every history row through ``run.scan_history`` (``run.history`` samples, so it is never used), from
  ``min_step`` on when the store already holds the earlier steps;
* logged tables: for each key, the newest ``table-file`` reference in the summary or the history, downloaded with
  ``run.file(path).download(...)``. A table that cannot be downloaded fails the run (so that a later sync retries it);
  a downloaded file that is not a table is skipped with a warning.
"""

from __future__ import annotations

import json
import math
from pathlib import Path, PurePosixPath
from typing import Any

from sprintboard.ingest.parsed import ParsedRun, ParsedTable, flatten, parse_utc
from sprintboard.ingest.wandb_side_files import table_step_from_name

TABLE_FILE = "table-file"
# W&B keeps these summary values in wandb.h5 or its data API; the summary JSON only holds a placeholder.
_HELD_ELSEWHERE = {"numpy.ndarray", "tensorflow.Tensor", "torch.Tensor", "data-frame"}
# media/table/<key>_<step>_<hash>.table.json


def _field(obj: Any, name: str) -> Any:
    """An attribute of an API object, ``None`` when the API did not send it (its objects raise AttributeError)."""
    try:
        return getattr(obj, name)
    except AttributeError:
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def is_table_ref(value: Any) -> bool:
    return isinstance(value, dict) and value.get("_type") == TABLE_FILE and isinstance(value.get("path"), str)


def parse_api_run(run: Any, workdir: Path, *, min_step: int = 0, page_size: int = 1000) -> ParsedRun:
    """Read ``run`` completely (history from ``min_step`` on); ``workdir`` is an empty folder for table downloads."""
    parsed = ParsedRun(
        run_id=run.id,
        project=_text(_field(run, "project")),
        entity=_text(_field(run, "entity")),
        name=_text(run.name),
        state=_text(run.state) or "unknown",
        created_at=parse_utc(_field(run, "created_at")),
        notes=_text(_field(run, "notes")),
        user=_user_name(run),
        group=_text(_field(run, "group")),
        job_type=_text(_field(run, "job_type")),
        tags=[str(tag) for tag in _field(run, "tags") or []],
        sweep_id=_text(_field(run, "sweep_name")),
        url=_text(_field(run, "url")),
    )
    parsed.config = flatten({key: value for key, value in dict(run.config).items() if key != "_wandb"})
    summary = dict(run.summary_metrics)
    parsed.runtime_s = _runtime(summary)
    parsed.summary = {
        key: value
        for key, value in flatten({k: v for k, v in summary.items() if k != "_wandb"}).items()
        if not (isinstance(value, dict) and value.get("_type") in _HELD_ELSEWHERE)
    }
    _merge_metadata(parsed, run)
    refs = _read_history(parsed, run, min_step, page_size)
    for key, value in parsed.summary.items():
        if is_table_ref(value) and refs.get(key, (None, None))[1] != value["path"]:
            refs[key] = (table_step_from_name(value["path"]), value["path"])
    parsed.tables = [table for key, (step, path) in sorted(refs.items())
                     if (table := _download_table(parsed, run, key, step, path, workdir)) is not None]
    return parsed


def _user_name(run: Any) -> str | None:
    user = _field(run, "user")
    if user is None:
        return None
    return _text(_field(user, "username")) or _text(_field(user, "name"))


def _runtime(summary: dict[str, Any]) -> float | None:
    runtime = _number(summary.get("_runtime"))
    internal = summary.get("_wandb")
    if runtime is None and isinstance(internal, dict):
        runtime = _number(internal.get("runtime"))
    return runtime


def _merge_metadata(parsed: ParsedRun, run: Any) -> None:
    meta = _field(run, "metadata")
    meta = meta if isinstance(meta, dict) else {}
    git = meta.get("git") if isinstance(meta.get("git"), dict) else {}
    parsed.host = _text(meta.get("host"))
    parsed.program = _text(meta.get("program")) or _text(meta.get("codePath"))
    parsed.git_commit = _text(git.get("commit")) or _text(_field(run, "commit"))
    parsed.git_remote = _text(git.get("remote"))


def _read_history(parsed: ParsedRun, run: Any, min_step: int, page_size: int) -> dict[str, tuple[int | None, str]]:
    """Append every history row from ``min_step`` on; returns the newest table reference per key (step, path)."""
    points = parsed.history
    refs: dict[str, tuple[int | None, str]] = {}
    last_step: int | None = None
    for row in run.scan_history(page_size=page_size, min_step=min_step):
        step = _step(row.get("_step"), last_step)
        last_step = step
        timestamp, runtime = _number(row.get("_timestamp")), _number(row.get("_runtime"))
        values = flatten({key: value for key, value in row.items() if not str(key).startswith("_")})
        for key, value in values.items():
            points.append(step, timestamp, runtime, key, value)
            if is_table_ref(value):
                refs[key] = (step, value["path"])
    return refs


def _step(raw: Any, previous: int | None) -> int:
    """A row's ``_step``; one past the previous row's when it has none (as the log reader does)."""
    number = _number(raw)
    if number is not None and math.isfinite(number):
        return int(number)
    return 0 if previous is None else previous + 1


def _download_table(parsed: ParsedRun, run: Any, key: str, step: int | None, path: str,
                    workdir: Path) -> ParsedTable | None:
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts:
        parsed.warnings.append(f"table {key} skipped: its file path {path!r} leaves the run's files")
        return None
    try:
        remote = run.file(path)
    except IndexError:  # the API's file list is empty for a name the run does not have
        raise ValueError(f"table {key}: the run has no file {path}") from None
    handle = remote.download(root=str(workdir), replace=True)
    with handle:
        try:
            document = json.load(handle)
        except ValueError as exc:
            parsed.warnings.append(f"table {key} skipped: {path} is not JSON ({' '.join(str(exc).split())[:120]})")
            return None
    table = ParsedTable.from_document(key, document, step, path)
    if table is None:
        parsed.warnings.append(f"table {key} skipped: {path} has no 'columns' and 'data' lists")
    return table
