"""Turning one W&B run -- its ``run-<id>.wandb`` log, and the run folder around it -- into a :class:`ParsedRun`.

What the log holds (records are ``wandb_internal_pb2.Record``; :mod:`sprintboard.ingest.wandb_log` reads the
container):

* the **run** record: id, entity, project, display name, group, job type, notes, tags, sweep id, host, start
  time, git remote and commit, and the initial config as plain ``key``/``value_json`` pairs (``config.yaml``'s
  ``{"value": ..., "desc": ...}`` wrapping is not in the log);
* **config** records: later ``run.config`` updates and removals;
* **history** records, one per logged row. An item names its key as ``key`` (wandb <= 0.16: a nested dict is one
  item whose ``value_json`` is a JSON object) or as ``nested_key`` (0.17+: ``["val", "auc"]`` for ``{"val":
  {"auc": ...}}``; even a table reference is split into ``["preds", "_type"]``, ``["preds", "path"]``...). Both
  end as dotted keys via :func:`flatten`, which keeps a dict with a ``_type`` whole and leaves a key containing
  ``/`` or ``.`` as it is. ``_step``, ``_timestamp`` and ``_runtime`` give a row's step, epoch time and seconds
  since the start; other keys starting with ``_`` are internal and left out;
* **summary** records: updates and removals of the summary, later wins. wandb 0.17+ writes one after every
  history row; wandb 0.16 writes one at the end;
* **stats** records: system metrics, kept in history as ``system/<key>`` at the step of the latest history row (0
  before the first), with the record's own timestamp;
* the **exit** record: exit code and runtime; without one the run was still running or was killed;
* the **environment** record (wandb 0.19+; ``files/wandb-metadata.json`` before): program, host, git.

The record views (:mod:`sprintboard.ingest.wandb_record_views`) read the hot records in bulk; the values and
history they yield are kept by :mod:`sprintboard.ingest.wandb_values` and :mod:`sprintboard.ingest.wandb_history`,
and the run folder's side files are read by :mod:`sprintboard.ingest.wandb_side_files`.

History and summary records -- nearly all of a long log -- are not parsed one by one: their kind shows in their
first bytes (:mod:`sprintboard.ingest.wandb_record_kinds`), so they are gathered into batches and each batch is read
and applied at once (see :meth:`_RunBuilder.read`, :mod:`sprintboard.ingest.wandb_rows` and
:func:`~sprintboard.ingest.wandb_values.summary_updates`). Of a batch that holds anything the bulk path does not
take, the part around it is read record by record, as every other record is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from wandb.proto import wandb_internal_pb2 as pb

from sprintboard.ingest.parsed import ParsedRun
from sprintboard.ingest.wandb_history import HistoryLanes, TableRef
from sprintboard.ingest.wandb_log import WandbLog, WandbLogError
from sprintboard.ingest.wandb_record_kinds import HISTORY, OTHER, ROW, RUNTIME, Records
from sprintboard.ingest.wandb_record_views import RecordListView, RecordView, paired_keys
from sprintboard.ingest.wandb_rows import BatchRows, batch_rows
from sprintboard.ingest.wandb_side_files import merge_side_files
from sprintboard.ingest.wandb_values import ValueTree, ValueWarnings, summary_updates

_EPOCH = datetime(1970, 1, 1)
_LOG_NAME = re.compile(r"^run-(?P<id>[^/]+)\.wandb$")


# History and summary records per batch: large enough that the work per batch (a few hundred array operations)
# does not count, small enough that a batch's bytes stay a few megabytes.
_BATCH = 16384
# The fewest records applied one by one when a batch the bulk path does not take is cut in halves (see _apply).
_SMALLEST = 64
_NO_ROWS = BatchRows(pa.array([], pa.string()), pa.array([], pa.string()), None, *(np.array([]),) * 4)


class _RunBuilder:
    """Collects one run's records in file order and builds the :class:`ParsedRun` at the end."""

    def __init__(self, path: Path, warnings: ValueWarnings) -> None:
        self.path = path
        self.warnings = warnings
        self.fields: dict[str, Any] = {}
        self.stream_id: str | None = None
        self.start: float | None = None
        self.exit: pb.RunExitRecord | None = None
        self.config = ValueTree()
        self.summary = ValueTree()
        self.history = HistoryLanes(warnings)

    def read(self, batches: Iterable[list[bytes]]) -> None:
        """Add every record of the lists of serialized records ``batches``, in file order.

        History and summary records -- told apart by their first bytes (:class:`Records`) -- are applied in bulk, a
        stretch of a list at a time (:meth:`_apply`): every other record that matters (stats take the latest history
        row's step, a run record carries a summary) ends a stretch and is applied after it, so that everything is
        applied, and every warning given, in file order. The container's damage reports come between lists (see
        :meth:`WandbLog.batches`), so after every record before the damage.
        """
        for batch in batches:
            records = Records(batch)
            kinds = records.kinds
            begin = 0
            for index in [*np.flatnonzero(kinds == OTHER).tolist(), len(batch)]:
                add = self._other(batch[index]) if index < len(batch) else None
                if add is None and index < len(batch):
                    continue  # console output, telemetry, files, requests...: left out of the stretch below
                stretch = np.arange(begin, index)
                stretch = stretch[kinds[stretch] != OTHER]
                for piece in range(0, len(stretch), _BATCH):
                    self._apply(records, stretch[piece : piece + _BATCH])
                if add is not None:
                    add()
                begin = index + 1

    def _other(self, payload: bytes) -> Callable[[], None] | None:
        """How to add a record that is neither history nor summary (by its first bytes); ``None`` if it is of a kind
        this parser does not use."""
        view = RecordView()
        try:
            view.ParseFromString(payload)
        except Exception:  # noqa: BLE001 - protobuf's DecodeError types vary by backend
            return lambda: self._add_slowly(payload)
        kind = view.WhichOneof("record_type")
        if kind is None:
            return None
        return lambda: self._add_view(kind, view, payload)

    def _apply(self, records: Records, indices: np.ndarray) -> None:
        """Apply the history and summary records ``indices`` of ``records`` in bulk; when the bulk path does not take
        them all, apply each half so, down to _SMALLEST records, which are applied one by one, in file order: a
        record may turn out to be of another kind than its first bytes said (wandb keeps the last of several kinds'
        fields), and warnings keep the file order too. One record the bulk path does not take (a table, a nested key)
        costs little that way."""
        kinds = records.kinds[indices]
        history = indices[kinds == HISTORY]
        rows_before = np.cumsum(kinds == ROW)[kinds == RUNTIME].tolist()  # rows before each runtime record
        history_rows = batch_rows(records, history) if len(history) else _NO_ROWS
        updates = (summary_updates(records, indices[kinds == ROW], indices[kinds == RUNTIME], rows_before)
                   if history_rows is not None else None)
        if updates is not None:
            self.history.add_rows(history_rows)
            self.summary.apply_updates(updates)
        elif len(indices) > _SMALLEST:
            half = len(indices) // 2
            self._apply(records, indices[:half])
            self._apply(records, indices[half:])
        else:
            for index in indices.tolist():
                self._add_record(records.payloads[index])

    def _add_record(self, payload: bytes) -> None:
        """Add one serialized record of a batch the bulk path did not take."""
        view = RecordView()
        try:
            view.ParseFromString(payload)
        except Exception:  # noqa: BLE001 - protobuf's DecodeError types vary by backend
            self._add_slowly(payload)
            return
        kind = view.WhichOneof("record_type")
        if kind is not None:
            self._add_view(kind, view, payload)

    def _add_view(self, kind: str, view: Any, payload: bytes) -> None:
        """One record, parsed into a view: its merged items where they pair up (every item one key and one value),
        else item by item (:meth:`_add_listed`), else through wandb's ``Record``."""
        if kind == "history":
            names = paired_keys(view.history.item)
            if names is not None:
                self.history.add_paired(names, view.history.item.value_json, view.history)
                return
        elif kind in ("summary", "config") and getattr(self, kind).apply_merged(getattr(view, kind)):
            return
        elif kind == "stats" and self._stats_view(view.stats):
            return
        if kind in ("history", "summary", "config") and self._add_listed(kind, view, payload):
            return
        self._add_slowly(payload)

    def _add_listed(self, kind: str, view: Any, payload: bytes) -> bool:
        """Read a history, summary or config record item by item through ``RecordList``; ``False`` when it needs
        wandb's ``Record`` class (an item without ``value_json``, which only the typed encoding writes)."""
        listed = RecordListView()
        try:
            listed.ParseFromString(payload)
        except Exception:  # noqa: BLE001 - protobuf's DecodeError types vary by backend
            return False
        if kind == "history":
            if len(listed.history.item) != len(view.history.item.value_json):
                return False
            self.history.add_record(listed.history)
        else:
            updates = getattr(listed, kind)
            (self.summary if kind == "summary" else self.config).apply_items(updates.update, updates.remove)
        return True

    def _add_slowly(self, payload: bytes) -> None:
        record = pb.Record()
        try:
            record.ParseFromString(payload)
        except Exception:  # noqa: BLE001 - protobuf's DecodeError types vary by backend
            self.warnings.append(f"a record of {len(payload)} bytes is not a valid W&B Record: skipped")
            return
        self.add_record(record)

    def add_record(self, record: pb.Record) -> None:
        """Add one decoded ``Record``, item by item."""
        kind = record.WhichOneof("record_type")
        if kind == "history":
            self.history.add_record(record.history)
        elif kind == "summary":
            self.summary.apply_items(record.summary.update, record.summary.remove)
        elif kind == "config":
            self.config.apply_items(record.config.update, record.config.remove)
        elif kind == "stats":
            stats = record.stats
            keys = [item.key for item in stats.item]
            raws = [item.value_json or "null" for item in stats.item]
            stamp = stats.timestamp.seconds + stats.timestamp.nanos / 1e9 if stats.HasField("timestamp") else None
            self.history.add_stats(keys, raws, stamp, self.start)
        elif kind == "run":
            self._run(record.run)
        elif kind == "exit":
            self.exit = record.exit
        elif kind == "environment":
            self._environment(record.environment)
        elif kind == "header" and record.HasField("_info"):
            self.stream_id = record._info.stream_id or None

    def _stats_view(self, stats: Any) -> bool:
        items = stats.item
        if len(items.key) != len(items.value_json) or items.nested_key:
            return False
        stamp = stats.timestamp.seconds + stats.timestamp.nanos / 1e9 if stats.HasField("timestamp") else None
        self.history.add_stats(items.key, items.value_json, stamp, self.start)
        return True

    def _set(self, name: str, value: Any, overwrite: bool = True) -> None:
        """Record a run field; empty values (``""``, ``[]``) mean "not given" in protobuf and are ignored."""
        if value is None or value == "" or value == []:
            return
        if overwrite or self.fields.get(name) is None:
            self.fields[name] = value

    def _run(self, run: pb.RunRecord) -> None:
        """A ``RunRecord``; a later one (a rename, a resume) updates what it gives."""
        for name, attr in (("run_id", "run_id"), ("entity", "entity"), ("project", "project"),
                           ("name", "display_name"), ("group", "run_group"), ("job_type", "job_type"),
                           ("notes", "notes"), ("sweep_id", "sweep_id"), ("host", "host")):
            self._set(name, getattr(run, attr))
        self._set("tags", list(run.tags))
        if run.HasField("start_time"):
            self.start = run.start_time.seconds + run.start_time.nanos / 1e9
            self._set("created_at", self._moment("run record's start time", run.start_time))
        if run.HasField("git"):
            self._set("git_commit", run.git.commit)
            self._set("git_remote", run.git.remote_url)
        if run.HasField("config"):
            self.config.apply_items(run.config.update, run.config.remove)
        if run.HasField("summary"):
            self.summary.apply_items(run.summary.update, run.summary.remove)

    def _environment(self, env: pb.EnvironmentRecord) -> None:
        """An ``EnvironmentRecord`` (wandb 0.19+): what ``wandb-metadata.json`` held before. The run record wins."""
        self._set("program", env.program, overwrite=False)
        self._set("host", env.host, overwrite=False)
        if env.HasField("git"):
            self._set("git_commit", env.git.commit, overwrite=False)
            self._set("git_remote", env.git.remote_url, overwrite=False)
        if env.HasField("started_at"):
            self._set("created_at", self._moment("environment record's start time", env.started_at), overwrite=False)

    def _moment(self, what: str, stamp: Any) -> datetime | None:
        """A protobuf ``Timestamp`` as naive UTC; ``None``, with a warning, beyond the years a datetime holds."""
        try:
            return _utc(stamp.seconds, stamp.nanos)
        except OverflowError:
            self.warnings.append(f"the {what}, {stamp.seconds} seconds since 1970, is out of range: ignored")
            return None

    def build(self) -> ParsedRun:
        run_id = self.fields.pop("run_id", None) or self.stream_id or _id_from_name(self.path)
        if not run_id:
            raise WandbLogError(self.path, "holds no run record, and its name is not run-<id>.wandb")
        run = ParsedRun(run_id=run_id, **self.fields)
        if self.exit is not None:
            run.exit_code = self.exit.exit_code
            run.state = "finished" if self.exit.exit_code == 0 else "failed"
        else:
            run.state = "running/killed"
        # The exit record's runtime is whole seconds and stays 0 (unset) for short runs; then the last _runtime.
        if self.exit is not None and self.exit.runtime > 0:
            run.runtime_s = float(self.exit.runtime)
        else:
            run.runtime_s = self.history.max_runtime()
        run.config = self.config.to_dict(self.warnings)
        run.summary = self.summary.to_dict(self.warnings)
        run.history = self.history.columns()
        self.warnings.close()
        run.warnings = list(self.warnings)
        return run


def _utc(seconds: int, nanos: int) -> datetime:
    """A naive UTC datetime from epoch seconds and nanoseconds (no local-time conversion on the way)."""
    return _EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)


def _id_from_name(path: Path) -> str | None:
    match = _LOG_NAME.match(path.name)
    return match.group("id") if match else None


def _parse_log(path: Path) -> tuple[ParsedRun, list[TableRef]]:
    log = WandbLog(path)
    warnings = ValueWarnings()
    builder = _RunBuilder(path, warnings)
    log.warnings = warnings  # the container's damage reports and the decoder's warnings, in file order (see read)
    builder.read(log.batches())
    run = builder.build()
    return run, builder.history.tables


def parse_run_file(path: Path | str) -> ParsedRun:
    """Parse one ``run-<id>.wandb`` log into a :class:`ParsedRun`.

    Raises :class:`WandbLogError` if the file is not a W&B log. A damaged log (torn tail, corrupt block) yields
    what can be read, with the damage described in ``ParsedRun.warnings``.
    """
    run, _ = _parse_log(Path(path))
    return run


def find_run_log(folder: Path) -> Path:
    """The folder's ``run-<id>.wandb``: the one whose id ends the folder name (``run-<date>-<id>``), else the
    only one. Raises :class:`WandbLogError` when there is none or the choice is ambiguous."""
    logs = sorted(folder.glob("run-*.wandb"))
    if not logs:
        raise WandbLogError(folder, "holds no run-*.wandb log")
    for log in logs:
        run_id = _id_from_name(log)
        if run_id and folder.name.endswith(f"-{run_id}"):
            return log
    if len(logs) > 1:
        raise WandbLogError(folder, f"holds {len(logs)} run-*.wandb logs and its name matches none of them")
    return logs[0]


def parse_run_folder(folder: Path | str) -> ParsedRun:
    """Parse a run folder (``wandb/run-<date>-<id>`` or ``wandb/offline-run-...``) into a :class:`ParsedRun`.

    The log is read as :func:`parse_run_file` does; then the side files fill in what the log lacks -- the log
    wins where both have a value -- except ``wandb-summary.json``, the final summary, whose keys win:

    * ``files/config.yaml``: config keys (values unwrapped from ``{"value": ..., "desc": ...}``);
    * ``files/wandb-summary.json``: summary keys (offline runs write little more than ``_wandb`` there);
    * ``files/wandb-metadata.json``: git commit and remote, program, host, start time;
    * ``files/media/table/**/*.table.json``: tables, keyed and stepped by the history row that logged them, or by
      the file name ``<key>_<step>_<hash>.table.json`` when no row names the file.

    A side file that cannot be read is skipped with a warning.
    """
    folder = Path(folder)
    run, table_refs = _parse_log(find_run_log(folder))
    merge_side_files(run, folder / "files", table_refs)
    return run
