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

Speed. A long run is millions of history and summary values, so the hot records are not decoded into wandb's
``Record`` classes item by item. They are parsed into *views* -- message classes built here from the field
numbers of wandb's own descriptors -- whose item fields are declared singular: protobuf merges a singular
message that occurs several times, so all items of a record land in one message whose repeated ``nested_key``
and ``value_json`` lists come out in one C call each, and pair up index by index when every item has one key
and one value. Values stay JSON text until the end, when numbers are converted in bulk. A record that does not
pair up (multi-part keys, removals) is read item by item through a view that keeps items apart, and one whose
items carry only typed values (no ``value_json``) through wandb's ``Record`` class.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain, compress, repeat
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from wandb.proto import wandb_internal_pb2 as pb

from sprintboard.ingest.parsed import HistoryColumns, ParsedRun, ParsedTable, flatten, split_value
from sprintboard.ingest.wandb_log import WandbLog, WandbLogError

SYSTEM_PREFIX = "system/"
_EPOCH = datetime(1970, 1, 1)
_LOG_NAME = re.compile(r"^run-(?P<id>[^/]+)\.wandb$")
# media/table/<key>_<step>_<hash>.table.json; <key> may hold "_", and a "/" in the key is a sub-folder.
_TABLE_NAME = re.compile(r"^(?P<key>.+)_(?P<step>\d+)_(?P<hash>[0-9a-f]+)\.table\.json$")
# Values converted per call of the bulk number conversion: a chunk holding a non-number is redone value by value,
# so chunks are small enough that one text metric does not slow down a whole run.
_CHUNK = 2048
_MAX_VALUE_WARNINGS = 5


@dataclass(frozen=True)
class TableRef:
    """A table logged under ``key`` at ``step``; ``path`` is the table file relative to the run's ``files``."""

    key: str
    step: int | None
    path: str


# ---------------------------------------------------------------------------------------------------------------
# Views: message classes that read the hot records in bulk (see the module docstring)


def _number(message: Any, field: str) -> int:
    return message.DESCRIPTOR.fields_by_name[field].number


def _build_views() -> dict[str, Any]:
    """Build the view classes in a private descriptor pool, with field numbers taken from wandb's descriptors."""
    F = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(name="sprintboard_wandb_views.proto", package="sbviews")
    file.syntax = "proto3"

    def message(name: str, fields: list[tuple[str, int, int, str | None]], oneof: str | None = None) -> None:
        msg = file.message_type.add(name=name)
        if oneof:
            msg.oneof_decl.add(name=oneof)
        for fname, number, ftype, type_name in fields:
            # A type name ending in "[]" is repeated. In "Record" the item message fields are singular on
            # purpose, so that the parser merges every item of a record into one (see the module docstring).
            repeated = bool(type_name) and type_name.endswith("[]")
            label = F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL
            field = msg.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name and type_name != "[]":
                field.type_name = f".sbviews.{type_name.removesuffix('[]')}"
            if oneof:
                field.oneof_index = 0

    item = pb.HistoryItem
    numbers = {name: _number(item, name) for name in ("key", "nested_key", "value_json")}
    for other in (pb.SummaryItem, pb.ConfigItem, pb.StatsItem):
        if any(_number(other, name) != number for name, number in numbers.items() if name in
               other.DESCRIPTOR.fields_by_name):
            raise RuntimeError(f"wandb's {other.DESCRIPTOR.name} no longer numbers its fields like HistoryItem")
    message("Items", [(name, number, F.TYPE_STRING, "[]") for name, number in numbers.items()])
    # One item as wandb's item classes have it, for records read item by item without wandb's Record class.
    message("Item", [(name, number, F.TYPE_STRING, "[]" if name == "nested_key" else None)
                     for name, number in numbers.items()])
    message("Step", [("num", _number(pb.HistoryStep, "num"), F.TYPE_INT64, None)])
    message("Stamp", [("seconds", 1, F.TYPE_INT64, None), ("nanos", 2, F.TYPE_INT32, None)])
    message("History", [("item", _number(pb.HistoryRecord, "item"), F.TYPE_MESSAGE, "Items"),
                        ("step", _number(pb.HistoryRecord, "step"), F.TYPE_MESSAGE, "Step")])
    message("Updates", [("update", _number(pb.SummaryRecord, "update"), F.TYPE_MESSAGE, "Items"),
                        ("remove", _number(pb.SummaryRecord, "remove"), F.TYPE_MESSAGE, "Items")])
    message("Stats", [("timestamp", _number(pb.StatsRecord, "timestamp"), F.TYPE_MESSAGE, "Stamp"),
                      ("item", _number(pb.StatsRecord, "item"), F.TYPE_MESSAGE, "Items")])
    hot = [("history", "History"), ("summary", "Updates"), ("config", "Updates"), ("stats", "Stats")]
    # Rare records are only recognised here (as opaque bytes) and decoded with wandb's Record class.
    rare = [name for name in ("run", "exit", "environment", "header") if name in pb.Record.DESCRIPTOR.fields_by_name]
    message("Record", [(name, _number(pb.Record, name), F.TYPE_MESSAGE, view) for name, view in hot]
            + [(name, _number(pb.Record, name), F.TYPE_BYTES, None) for name in rare], oneof="record_type")
    # The same records with items kept apart: for those whose merged items cannot be paired up.
    message("HistoryList", [("item", _number(pb.HistoryRecord, "item"), F.TYPE_MESSAGE, "Item[]"),
                            ("step", _number(pb.HistoryRecord, "step"), F.TYPE_MESSAGE, "Step")])
    message("UpdatesList", [("update", _number(pb.SummaryRecord, "update"), F.TYPE_MESSAGE, "Item[]"),
                            ("remove", _number(pb.SummaryRecord, "remove"), F.TYPE_MESSAGE, "Item[]")])
    listed = [("history", "HistoryList"), ("summary", "UpdatesList"), ("config", "UpdatesList")]
    message("RecordList", [(name, _number(pb.Record, name), F.TYPE_MESSAGE, view) for name, view in listed],
            oneof="record_type")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"sbviews.{name}"))
            for name in ("Record", "RecordList")}


_VIEWS = _build_views()
RecordView = _VIEWS["Record"]
RecordListView = _VIEWS["RecordList"]


def _paired_keys(items: Any) -> Any | None:
    """The key list of a merged ``Items`` view when every item has exactly one key and one ``value_json``
    (so the i-th key and the i-th value belong together), else ``None``."""
    count = len(items.value_json)
    nested, plain = items.nested_key, items.key
    if len(nested) == count and not plain:
        return nested
    if len(plain) == count and not nested:
        return plain
    return None


# ---------------------------------------------------------------------------------------------------------------
# Config and summary state


class _ValueTree:
    """A key/value state (config or summary) under updates and removals, values kept as JSON text.

    A path is a key (``"lr"``, ``"train/loss"``) or, for a nested key, a tuple (``("val", "auc")``). Setting a
    path replaces what was there, including a subtree below it or a leaf above it; removing a path removes its
    subtree. Paths under ``_wandb`` (W&B's internal state) are ignored. Re-setting existing keys, by far the
    most common update, is one ``dict.update`` (see :meth:`apply_merged`).
    """

    SKIP = "_wandb"

    def __init__(self) -> None:
        self.leaves: dict[str | tuple[str, ...], str] = {}
        # First parts of tuple paths. A plain key can only collide with a tuple path that starts with it, so
        # while this is empty (no nested keys yet) plain keys need no checks at all.
        self.heads: set[str] = set()

    def settle(self, keys: Iterable[str]) -> None:
        """After plain ``keys`` were set in bulk: drop the nested paths below them."""
        for key in keys:
            if key in self.heads:
                self._clear_below((key,))

    def set(self, path: tuple[str, ...], raw: str) -> None:
        if path[0] == self.SKIP:
            return
        key = path[0] if len(path) == 1 else path
        if key not in self.leaves:
            self._clear_below(path)
            for cut in range(1, len(path)):
                self.leaves.pop(path[0] if cut == 1 else path[:cut], None)
        if len(path) > 1:
            self.heads.add(path[0])
        self.leaves[key] = raw

    def remove(self, path: tuple[str, ...]) -> None:
        self.leaves.pop(path[0] if len(path) == 1 else path, None)
        self._clear_below(path)

    def _clear_below(self, path: tuple[str, ...]) -> None:
        if path[0] not in self.heads:
            return
        depth = len(path)
        for other in [p for p in self.leaves if isinstance(p, tuple) and len(p) > depth and p[:depth] == path]:
            del self.leaves[other]

    def apply_merged(self, updates: Any) -> bool:
        """Apply an ``Updates`` view in bulk; ``False`` when it needs :meth:`apply_items` instead.

        Bulk works when the merged lists pair up: every item has one ``nested_key`` part (wandb 0.17+) or one
        ``key`` (0.16), or -- what wandb 0.17+ writes every few seconds -- one item is the internal
        ``_wandb.runtime``, alone (0.18) or beside the plain key ``_runtime`` of the same value (0.31). That case
        is exact too: with one value more than plain keys, all nested parts belong to the one other item, which
        is ignored, and the plain keys' values are unambiguous when all values are the same.
        """
        if updates.HasField("remove"):
            return False
        items = updates.update
        nested, plain, values = items.nested_key, items.key, items.value_json
        count = len(values)
        if not plain and len(nested) == count:
            keys = nested
        elif not nested and len(plain) == count:
            keys = plain
        elif count == len(plain) + 1 and nested and nested[0] == self.SKIP and len(set(values)) == 1:
            keys, values = plain, values[: len(plain)]
        else:
            return False
        leaves = self.leaves
        before = len(leaves)
        leaves.update(zip(keys, values))  # noqa: B905 - paired: the lengths were compared above
        if self.heads and len(leaves) != before:
            self.settle(keys)
        return True

    def apply_items(self, updates: Iterable[Any], removals: Iterable[Any] = ()) -> None:
        """Apply the ``update`` and ``remove`` items of a ``ConfigRecord`` or ``SummaryRecord``, one by one."""
        for item in updates:
            self.set(_item_path(item), item.value_json or "null")
        for item in removals:
            self.remove(_item_path(item))

    def to_dict(self, warnings: _Warnings) -> dict[str, Any]:
        """The decoded state, flattened to dotted keys."""
        tree: dict[str, Any] = {}
        for path, raw in self.leaves.items():
            parts = (path,) if isinstance(path, str) else path
            if parts[0] == self.SKIP:
                continue
            node = tree
            for part in parts[:-1]:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
            node[parts[-1]] = warnings.decode(raw)
        return flatten(tree)


def _item_path(item: Any) -> tuple[str, ...]:
    nested = item.nested_key
    return tuple(nested) if nested else (item.key,)


class _Warnings(list):
    """The run's warning list, plus JSON decoding that warns (a few times, then counts) instead of raising."""

    bad_values = 0

    def decode(self, raw: str) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            self.bad_values += 1
            if self.bad_values <= _MAX_VALUE_WARNINGS:
                self.append(f"value {raw[:60]!r} is not valid JSON: kept as text")
            return raw

    def close(self) -> None:
        if self.bad_values > _MAX_VALUE_WARNINGS:
            self.append(f"{self.bad_values} values in all were not valid JSON and were kept as text")


# ---------------------------------------------------------------------------------------------------------------
# History


class _History:
    """History and system-metric points as parallel lanes of keys and JSON texts, plus one span per record.

    A span covers the lane entries one record added: their ``count``, the row's ``step``, ``timestamp`` and
    ``runtime``, and how many of the entries are the row's own ``_step``/``_timestamp``/``_runtime`` (``meta``).
    :meth:`columns` drops internal keys, expands spans and decodes values, all in bulk.
    """

    def __init__(self, warnings: _Warnings) -> None:
        self.warnings = warnings
        self.keys: list[str] = []
        self.raws: list[str] = []
        self.counts: list[int] = []
        self.steps: list[int] = []
        self.times: list[float | None] = []
        self.runtimes: list[float | None] = []
        self.meta: list[int] = []
        self.tables: list[TableRef] = []
        self.last_step: int | None = None

    # -- reading records

    def add_paired(self, names: Iterable[str], values: Iterable[str], history: Any) -> None:
        """Add a ``History`` view whose items :func:`_paired_keys` paired (the hot loop inlines this)."""
        start = len(self.keys)
        self.keys.extend(names)
        self.raws.extend(values)
        self.close_view_row(start, history)

    def close_view_row(self, start: int, history: Any) -> None:
        """Finish the row whose items were added from ``start`` on: find ``_step``, ``_timestamp``, ``_runtime``."""
        keys, raws = self.keys, self.raws
        meta = 3
        try:
            step = int(raws[keys.index("_step", start)])
            self.last_step = step
        except ValueError:  # no _step item, or not an integer: the slow way
            step_raw = _find(keys, raws, "_step", start)
            meta -= step_raw is None
            step = self._step(step_raw, history.step.num if history.HasField("step") else None)
        try:
            timestamp: float | None = float(raws[keys.index("_timestamp", start)])
        except ValueError:
            meta -= _find(keys, raws, "_timestamp", start) is None
            timestamp = None
        try:
            runtime: float | None = float(raws[keys.index("_runtime", start)])
        except ValueError:
            meta -= _find(keys, raws, "_runtime", start) is None
            runtime = None
        self._span(len(keys) - start, step, timestamp, runtime, meta)

    def _span(self, count: int, step: int, timestamp: float | None, runtime: float | None, meta: int) -> None:
        self.counts.append(count)
        self.steps.append(step)
        self.times.append(timestamp)
        self.runtimes.append(runtime)
        self.meta.append(meta)

    def add_record(self, history: pb.HistoryRecord) -> None:
        """Add a ``HistoryRecord`` item by item: multi-part nested keys, typed values, anything unusual."""
        keys, raws = self.keys, self.raws
        start = len(keys)
        meta: dict[str, str] = {}
        nested: dict[str, Any] | None = None
        for item in history.item:
            parts = list(item.nested_key) or [item.key]
            raw = item.value_json or _typed_json(item)
            if parts[0].startswith("_"):
                if len(parts) == 1:
                    meta[parts[0]] = raw
                continue
            if len(parts) == 1:
                keys.append(parts[0])
                raws.append(raw)
            else:
                nested = _set_nested(nested, parts, self.warnings.decode(raw))
        if nested:
            # Reassembled dicts go back as JSON text; a table reference is recognised when values are decoded.
            for key, value in flatten(nested).items():
                keys.append(key)
                raws.append(json.dumps(value, allow_nan=True))
        step = self._step(meta.get("_step"), history.step.num if history.HasField("step") else None)
        self._span(len(keys) - start, step, _as_float(meta.get("_timestamp")), _as_float(meta.get("_runtime")), 0)

    def _step(self, raw: str | None, recorded: int | None) -> int:
        """The row's step: ``_step``, else the record's ``step.num``, else one past the previous row."""
        step = None
        if raw is not None:
            try:
                step = int(raw)
            except ValueError:
                number = _as_float(raw)
                step = int(number) if number is not None and math.isfinite(number) else None
        if step is None:
            step = recorded if recorded is not None else (0 if self.last_step is None else self.last_step + 1)
        self.last_step = step
        return step

    def add_stats(self, keys: Iterable[str], raws: Iterable[str], timestamp: float | None,
                  start_time: float | None) -> None:
        """Add one stats record's system metrics at the step of the latest history row."""
        before = len(self.keys)
        self.keys.extend(map(SYSTEM_PREFIX.__add__, keys))
        self.raws.extend(raws)
        runtime = timestamp - start_time if timestamp is not None and start_time is not None else None
        step = self.last_step if self.last_step is not None else 0
        self._span(len(self.keys) - before, step, timestamp, runtime, 0)

    def max_runtime(self) -> float | None:
        """The longest time since the start the log shows: a history row's ``_runtime`` or a stats record's."""
        return max((r for r in self.runtimes if r is not None and math.isfinite(r)), default=None)

    # -- building columns

    def columns(self) -> HistoryColumns:
        """The points as :class:`HistoryColumns`, typed by the rule in :mod:`sprintboard.ingest.parsed`."""
        keys, raws, counts = self.keys, self.raws, self.counts
        keep = {key: not key.startswith("_") for key in set(keys)}
        if all(keep.values()):
            return self._decode(keys, raws, *self._expand_spans(counts))
        mask = list(map(keep.__getitem__, keys))
        kept_keys, kept_raws = list(compress(keys, mask)), list(compress(raws, mask))
        if len(keys) - len(kept_keys) == sum(self.meta):
            # The only internal keys are the rows' own _step/_timestamp/_runtime: fewer points per span.
            return self._decode(kept_keys, kept_raws, *self._expand_spans(list(map(operator.sub, counts, self.meta))))
        lanes = self._expand_spans(counts)
        return self._decode(kept_keys, kept_raws, *(list(compress(lane, mask)) for lane in lanes))

    def _expand_spans(self, counts: list[int]) -> tuple[list[int], list[float | None], list[float | None]]:
        """Per-point step, timestamp and runtime lanes: each span's value repeated ``count`` times."""
        return tuple(list(chain.from_iterable(map(repeat, lane, counts)))  # type: ignore[return-value]
                     for lane in (self.steps, self.times, self.runtimes))

    def _decode(self, keys: list[str], raws: list[str], steps: list[int], times: list[float | None],
                runtimes: list[float | None]) -> HistoryColumns:
        """Decode values in chunks: a chunk of numbers only (the bulk of a history) is one ``map(float)``, which
        reads exactly the JSON numbers, ``NaN`` and ``±Infinity`` included; a chunk holding anything else is
        decoded value by value, which may also turn one point into several (see :meth:`_expand`)."""
        nums: list[float | None] = []
        slow: list[int] = []
        for start in range(0, len(raws), _CHUNK):
            try:
                nums.extend(map(float, raws[start : start + _CHUNK]))
            except ValueError:
                del nums[start:]  # extend() kept what it converted before the failure
                nums.extend(repeat(None, min(_CHUNK, len(raws) - start)))
                slow.append(start)
        out = HistoryColumns()
        if not slow:
            out.key, out.step, out.timestamp, out.runtime = keys, steps, times, runtimes
            out.value_num, out.value_text = nums, [None] * len(nums)
            return out
        lanes = (keys, nums, steps, times, runtimes)
        begin = 0
        for start in slow:
            _copy_points(out, lanes, begin, start)
            self._decode_slowly(out, lanes, raws, start, min(start + _CHUNK, len(raws)))
            begin = start + _CHUNK
        _copy_points(out, lanes, begin, len(raws))
        return out

    def _decode_slowly(self, out: HistoryColumns, lanes: tuple[list, ...], raws: list[str], start: int,
                       stop: int) -> None:
        keys, _, steps, times, runtimes = lanes
        for index in range(start, stop):
            raw = raws[index]
            try:
                points = [(keys[index], float(raw))]
            except ValueError:
                points = self._expand(keys[index], self.warnings.decode(raw), steps[index])
            for key, value in points:
                num, text = _split(value)
                out.key.append(key)
                out.value_num.append(num)
                out.value_text.append(text)
                out.step.append(steps[index])
                out.timestamp.append(times[index])
                out.runtime.append(runtimes[index])

    def _expand(self, key: str, value: Any, step: int) -> list[tuple[str, Any]]:
        """One decoded value as points: a plain dict (wandb <= 0.16 nesting) becomes one point per leaf; a table
        reference is noted for :func:`parse_run_folder`."""
        points = list(flatten({key: value}).items()) if isinstance(value, dict) else [(key, value)]
        for name, leaf in points:
            if isinstance(leaf, dict) and leaf.get("_type") == "table-file" and isinstance(leaf.get("path"), str):
                self.tables.append(TableRef(name, step, leaf["path"]))
        return points


def _copy_points(out: HistoryColumns, lanes: tuple[list, ...], start: int, stop: int) -> None:
    """Append the already decoded numbers ``start:stop`` of ``lanes`` (keys, numbers, steps, times, runtimes)."""
    keys, nums, steps, times, runtimes = lanes
    out.key.extend(keys[start:stop])
    out.value_num.extend(nums[start:stop])
    out.value_text.extend(repeat(None, len(nums[start:stop])))
    out.step.extend(steps[start:stop])
    out.timestamp.extend(times[start:stop])
    out.runtime.extend(runtimes[start:stop])


def _split(value: Any) -> tuple[float | None, str | None]:
    try:
        return split_value(value)
    except OverflowError:  # an int too large for a float: keep its digits
        return None, str(value)


def _set_nested(tree: dict[str, Any] | None, parts: list[str], value: Any) -> dict[str, Any]:
    """Put ``value`` at ``parts`` in ``tree`` (made if ``None``), replacing a non-dict met on the way."""
    tree = {} if tree is None else tree
    node = tree
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value
    return tree


def _typed_json(item: pb.HistoryItem) -> str:
    """JSON text of an item that carries only a typed value (the ``HistoryItem.value`` oneof) and no
    ``value_json``; wandb 0.31 always writes ``value_json`` too, so this is for other writers."""
    which = item.WhichOneof("value")
    if which == "json":
        return item.json or "null"
    if which in ("boolean", "integer", "number", "text"):
        return json.dumps(getattr(item, which), allow_nan=True)
    return "null"


def _find(keys: list[str], raws: list[str], key: str, start: int) -> str | None:
    """The JSON text of ``key`` among the lane entries from ``start`` on, or ``None``."""
    try:
        return raws[keys.index(key, start)]
    except ValueError:
        return None


def _as_float(raw: str | None) -> float | None:
    """A JSON number text as a float (``NaN``/``Infinity`` included); ``None`` for anything else."""
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------------------------
# The log


class _RunBuilder:
    """Collects one run's records in file order and builds the :class:`ParsedRun` at the end."""

    def __init__(self, path: Path, warnings: _Warnings) -> None:
        self.path = path
        self.warnings = warnings
        self.fields: dict[str, Any] = {}
        self.stream_id: str | None = None
        self.start: float | None = None
        self.exit: pb.RunExitRecord | None = None
        self.config = _ValueTree()
        self.summary = _ValueTree()
        self.history = _History(warnings)

    def read(self, payloads: Iterable[bytes]) -> None:
        """Add every record, in file order.

        History and summary records are nearly all of a long log, so their fast path is written out here rather
        than behind per-record calls: a record whose merged items pair up (every item one key and one value)
        goes to the history lanes or the summary in bulk. Anything else goes through :meth:`_add_view`.
        """
        history, summary = self.history, self.summary
        keys, raws = history.keys, history.raws
        add_keys, add_raws, close_row = keys.extend, raws.extend, history.close_view_row
        view_class = RecordView
        for payload in payloads:
            view = view_class()
            try:
                view.ParseFromString(payload)
            except Exception:  # noqa: BLE001 - protobuf's DecodeError types vary by backend
                self._add_slowly(payload)
                continue
            kind = view.WhichOneof("record_type")
            if kind == "history":
                items = view.history.item
                names, values = items.nested_key, items.value_json
                if len(names) == len(values) and not items.key:
                    start = len(keys)
                    add_keys(names)
                    add_raws(values)
                    close_row(start, view.history)
                    continue
            elif kind == "summary":
                if summary.apply_merged(view.summary):
                    continue
            elif kind is None:
                continue  # a kind this parser does not use: console output, telemetry, files, requests...
            self._add_view(kind, view, payload)

    def _add_view(self, kind: str, view: Any, payload: bytes) -> None:
        """A record off the hot loop's fast path: the other pairings of the views, else wandb's ``Record``."""
        if kind == "history":
            names = _paired_keys(view.history.item)
            if names is not None:
                self.history.add_paired(names, view.history.item.value_json, view.history)
                return
        elif kind == "config" and self.config.apply_merged(view.config):
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


def _parse_log(path: Path) -> tuple[ParsedRun, list[TableRef]]:
    log = WandbLog(path)
    warnings = _Warnings()
    log.warnings = warnings  # the container's damage reports and the decoder's go to the same list, in order
    builder = _RunBuilder(path, warnings)
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


# ---------------------------------------------------------------------------------------------------------------
# The run folder


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
    files = folder / "files"
    _merge_config(run, _read_side_file(run, files / "config.yaml", _load_yaml))
    _merge_summary(run, _read_side_file(run, files / "wandb-summary.json", _load_json))
    _merge_metadata(run, _read_side_file(run, files / "wandb-metadata.json", _load_json))
    run.tables = _read_tables(run, files, table_refs)
    return run


class _ConfigLoader(yaml.SafeLoader):
    """YAML as W&B writes ``config.yaml``: PyYAML follows YAML 1.1, where ``6e-05`` (no dot) is a string, but
    W&B writes floats that way, so exponent-only numbers resolve to floats here."""


_ConfigLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9]+[eE][-+]?[0-9]+$"), list("-+0123456789")
)


def _load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_ConfigLoader)  # noqa: S506 - a SafeLoader


def _load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))  # accepts NaN and Infinity, as W&B writes them


def _read_side_file(run: ParsedRun, path: Path, load: Any) -> dict[str, Any]:
    """The mapping in a side file; ``{}`` when it is absent, and ``{}`` with a warning when it is unreadable."""
    if not path.is_file():
        return {}
    try:
        document = load(path)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, yaml.YAMLError) as exc:
        run.warnings.append(f"{path.name} skipped: {' '.join(str(exc).split())[:200]}")
        return {}
    if document is None:
        return {}
    if not isinstance(document, dict):
        run.warnings.append(f"{path.name} skipped: it does not hold a mapping")
        return {}
    return document


def _merge_config(run: ParsedRun, document: dict[str, Any]) -> None:
    """Fill config keys the log lacks from ``config.yaml``, whose values are wrapped as ``{"value": ...}``."""
    unwrapped = {
        key: value["value"] if isinstance(value, dict) and "value" in value else value
        for key, value in document.items()
        if key != "_wandb"
    }
    for key, value in flatten(unwrapped).items():
        run.config.setdefault(key, value)


def _merge_summary(run: ParsedRun, document: dict[str, Any]) -> None:
    """``wandb-summary.json`` is the final summary: its keys win over the log's, which are kept too."""
    run.summary.update(flatten({key: value for key, value in document.items() if key != "_wandb"}))


def _merge_metadata(run: ParsedRun, meta: dict[str, Any]) -> None:
    git = meta.get("git") if isinstance(meta.get("git"), dict) else {}
    for name, value in (("git_commit", git.get("commit")), ("git_remote", git.get("remote")),
                        ("program", meta.get("program")), ("host", meta.get("host"))):
        if getattr(run, name) is None and isinstance(value, str) and value:
            setattr(run, name, value)
    if run.created_at is None and isinstance(meta.get("startedAt"), str):
        run.created_at = _parse_started_at(meta["startedAt"])


def _parse_started_at(text: str) -> datetime | None:
    """``startedAt`` is ISO 8601 in UTC (``2024-10-12T23:06:30.971217Z``; wandb 0.16 leaves out the ``Z``)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = (moment - moment.utcoffset()).replace(tzinfo=None)
    return moment


def _read_tables(run: ParsedRun, files: Path, refs: list[TableRef]) -> list[ParsedTable]:
    table_dir = files / "media" / "table"
    if not table_dir.is_dir():
        return []
    by_path = {ref.path: ref for ref in refs}
    tables = []
    for path in sorted(table_dir.rglob("*.table.json")):
        relative = path.relative_to(files).as_posix()
        ref = by_path.get(relative) or _ref_from_name(path, table_dir, relative)
        if ref is None:
            run.warnings.append(f"{relative} skipped: the logged key cannot be told from its name")
            continue
        table = _load_table(run, path, ref)
        if table is not None:
            tables.append(table)
    return tables


def _ref_from_name(path: Path, table_dir: Path, relative: str) -> TableRef | None:
    """Key and step from ``media/table/<dirs>/<key>_<step>_<hash>.table.json``; sub-folders are ``/`` in the key."""
    match = _TABLE_NAME.match(path.name)
    if not match:
        return None
    folder = path.parent.relative_to(table_dir).as_posix()
    key = match.group("key") if folder == "." else f"{folder}/{match.group('key')}"
    return TableRef(key, int(match.group("step")), relative)


def _load_table(run: ParsedRun, path: Path, ref: TableRef) -> ParsedTable | None:
    document = _read_side_file(run, path, _load_json)
    columns, rows = document.get("columns"), document.get("data")
    if not isinstance(columns, list) or not isinstance(rows, list):
        if document:
            run.warnings.append(f"{ref.path} skipped: no 'columns' and 'data' lists")
        return None
    return ParsedTable(key=ref.key, columns=[str(c) for c in columns], rows=rows, step=ref.step,
                       source_path=str(path))
