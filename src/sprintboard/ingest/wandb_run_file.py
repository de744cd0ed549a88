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
first bytes, so they are gathered into batches and each batch is parsed and applied at once (see
:meth:`_RunBuilder.read`). A batch that holds anything the bulk path does not take is read record by record, as
every other record is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import compress
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from wandb.proto import wandb_internal_pb2 as pb

from sprintboard.ingest.parsed import ParsedRun
from sprintboard.ingest.wandb_history import BatchRows, HistoryLanes, TableRef, batch_rows
from sprintboard.ingest.wandb_log import WandbLog, WandbLogError
from sprintboard.ingest.wandb_record_views import RecordListView, RecordView, paired_keys
from sprintboard.ingest.wandb_side_files import merge_side_files
from sprintboard.ingest.wandb_values import (
    RUNTIME_ITEM,
    RUNTIME_ITEM_AT,
    RUNTIME_MAX_LEN,
    ValueTree,
    ValueWarnings,
    summary_updates,
)

_EPOCH = datetime(1970, 1, 1)
_LOG_NAME = re.compile(r"^run-(?P<id>[^/]+)\.wandb$")


def _tag(field: str) -> int:
    """The first byte of a ``Record`` field holding a message: its key (field number, wire type 2), one byte."""
    number = pb.Record.DESCRIPTOR.fields_by_name[field].number
    if number >= 16:
        raise RuntimeError(f"wandb's Record.{field} is field {number}, whose key takes two bytes")
    return number << 3 | 2


_NUM_TAG = pb.Record.DESCRIPTOR.fields_by_name["num"].number << 3  # a varint
_HISTORY_TAG, _SUMMARY_TAG = _tag("history"), _tag("summary")
# History and summary records per batch: large enough that per-batch work does not count, small enough that one
# record the bulk path does not take (a table, a nested key) sends only its batch record by record, and that the
# batch's payloads are still in the processor's cache.
_BATCH = 1536
_HISTORY, _ROW, _RUNTIME = 1, 2, 3  # a pending record: history, a summary row, a summary runtime record


def _selector(kind: int) -> bytes:
    """A ``bytes.translate`` table turning the pending kinds into ``compress`` selectors for ``kind``."""
    return bytes(int(code == kind) for code in range(256))


_HISTORY_ONLY, _ROWS_ONLY = _selector(_HISTORY), _selector(_ROW)
_NO_ROWS = BatchRows(pa.array([], pa.string()), pa.array([], pa.string()), *(np.array([]),) * 4)


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
        # History and summary records waiting to be applied (see read()), in file order; what each is (_HISTORY, _ROW,
        # _RUNTIME); and the runtime records among them without their record numbers.
        self.pending: list[bytes] = []
        self.pending_kinds = bytearray()
        self.pending_runtime: list[bytes] = []

    def read(self, payloads: Iterable[bytes]) -> None:
        """Add every record, in file order.

        A record's kind shows in its first bytes: the varint field ``num`` (absent when 0), then the key of the
        field holding the record. History and summary records are set aside as they come and applied in batches
        (:meth:`flush`). Batches wait only while nothing else is applied: any other record that matters (stats take
        the latest history row's step, a run record carries a summary) and any damage report of the container (see
        :func:`_parse_log`) comes after a flush, so that everything is applied, and every warning given, in file
        order.
        """
        pending, kinds, runtime = self.pending, self.pending_kinds, self.pending_runtime
        for payload in payloads:
            try:
                at = 0
                if payload[0] == _NUM_TAG:
                    at = 2
                    while payload[at - 1] > 0x7F:  # a varint's last byte is the first below 0x80
                        at += 1
                tag = payload[at]
            except IndexError:
                tag = None
            if tag == _HISTORY_TAG:
                kinds.append(_HISTORY)
            elif tag == _SUMMARY_TAG:
                if len(payload) < RUNTIME_MAX_LEN and payload.startswith(RUNTIME_ITEM, at + RUNTIME_ITEM_AT):
                    kinds.append(_RUNTIME)
                    runtime.append(payload[at:])
                else:
                    kinds.append(_ROW)
            else:
                view = RecordView()
                try:
                    view.ParseFromString(payload)
                except Exception:  # noqa: BLE001 - protobuf's DecodeError types vary by backend
                    self.flush()
                    self._add_slowly(payload)
                    continue
                kind = view.WhichOneof("record_type")
                if kind is None:
                    continue  # a kind this parser does not use: console output, telemetry, files, requests...
                self.flush()
                self._add_view(kind, view, payload)
                continue
            pending.append(payload)
            if len(pending) == _BATCH:
                self.flush()
        self.flush()

    def flush(self) -> None:
        """Apply the pending history and summary records: in bulk, or else -- when the bulk path does not take all
        of them -- one by one, all of them, in file order: a record may turn out to be of another kind than its
        first bytes said (wandb keeps the last of several kinds' fields), and warnings keep the file order too."""
        pending, kinds = self.pending, bytes(self.pending_kinds)
        if not pending:
            return
        history = list(compress(pending, kinds.translate(_HISTORY_ONLY)))
        rows = list(compress(pending, kinds.translate(_ROWS_ONLY)))
        codes = np.frombuffer(kinds, np.uint8)
        rows_before = np.cumsum(codes == _ROW)[codes == _RUNTIME].tolist()  # rows before each runtime record
        history_rows = batch_rows(history) if history else _NO_ROWS
        updates = summary_updates(rows, self.pending_runtime, rows_before) if history_rows is not None else None
        if updates is None:
            for payload in pending:
                self._add_record(payload)
        else:
            self.history.add_rows(history_rows)
            self.summary.apply_updates(updates)
        pending.clear()
        self.pending_kinds.clear()
        self.pending_runtime.clear()

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
            self._set("created_at", _utc(run.start_time.seconds, run.start_time.nanos))
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
            self._set("created_at", _utc(env.started_at.seconds, env.started_at.nanos), overwrite=False)

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


class _DamageReports(list):
    """The container's damage reports, added to the run's warnings after the records before the damage are applied:
    the container's and the decoder's warnings go to the same list, in file order."""

    def __init__(self, builder: _RunBuilder) -> None:
        super().__init__()
        self.builder = builder

    def append(self, line: str) -> None:
        self.builder.flush()
        self.builder.warnings.append(line)


def _parse_log(path: Path) -> tuple[ParsedRun, list[TableRef]]:
    log = WandbLog(path)
    warnings = ValueWarnings()
    builder = _RunBuilder(path, warnings)
    log.warnings = _DamageReports(builder)
    builder.read(log.payloads())
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
