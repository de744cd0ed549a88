"""A run's history and system-metric points as its log adds them, decoded in bulk at the end.

History records as wandb writes them are read a batch at a time (:func:`batch_rows`): for a long log, the work done
per record in Python -- a parse, finding the row's step, timestamp and runtime, extending lists -- is most of the
time, and over a merged batch it is array work: a batch's keys and values become Arrow arrays once, and everything
after -- finding each row's step, timestamp and runtime, dropping internal keys, converting numbers -- runs in Arrow
and numpy, so the batch reaches the loader as an Arrow table without its values becoming Python objects again.
Records read one by one (anything the bulk path does not take) are kept as Python lanes, decoded when the next batch
or the end comes; segments of both kinds are kept in file order.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, compress, repeat
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from wandb.proto import wandb_internal_pb2 as pb

from sprintboard.ingest.parsed import HistoryColumns, flatten, set_nested, split_value
from sprintboard.ingest.wandb_record_views import RECORD_END, merge_batch
from sprintboard.ingest.wandb_values import ValueWarnings

SYSTEM_PREFIX = "system/"
# Values converted per call of the bulk number conversion: a chunk holding a non-number is redone value by value,
# so chunks are small enough that one text metric does not slow down a whole run.
_CHUNK = 2048
# What a key is to a merged batch (see batch_rows): a point, a row's own step, timestamp or runtime,
# another internal key, or the end of a record.
_POINT, _STEP, _TIMESTAMP, _RUNTIME, _INTERNAL, _END = range(6)
_ROLES = {"_step": _STEP, "_timestamp": _TIMESTAMP, "_runtime": _RUNTIME, RECORD_END: _END}


class _Roles(dict):
    """The role of each key, worked out on first sight: a batch holds few distinct keys."""

    def __missing__(self, name: str) -> int:
        role = self[name] = _ROLES.get(name, _INTERNAL if name.startswith("_") else _POINT)
        return role


@dataclass(frozen=True)
class TableRef:
    """A table logged under ``key`` at ``step``; ``path`` is the table file relative to the run's ``files``."""

    key: str
    step: int | None
    path: str


class HistoryLanes:
    """History and system-metric points: decoded Arrow segments, and the points of the records read one by one
    since the last segment as parallel lanes of keys and JSON texts, plus one span per record.

    A span covers the lane entries one record added: their ``count``, the row's ``step``, ``timestamp`` and
    ``runtime``, and how many of the entries are the row's own ``_step``/``_timestamp``/``_runtime`` (``meta``).
    :meth:`columns` drops internal keys, expands spans and decodes values, all in bulk. Rows added by
    :meth:`add_rows` come without their internal keys; ``internal`` tells whether any others may hold some.
    """

    def __init__(self, warnings: ValueWarnings) -> None:
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
        self.internal = False
        self.segments: list[pa.Table] = []
        self.longest_runtime: float | None = None  # of the points already in segments

    # -- reading records

    def add_rows(self, rows: BatchRows) -> None:
        """Add the rows :func:`batch_rows` read from a batch of history records, as a segment of their own."""
        if not len(rows.steps):
            return
        self._close_lanes()
        steps, times, runtimes = (np.repeat(lane, rows.counts) for lane in (rows.steps, rows.times, rows.runtimes))
        try:
            nums = _double_array(rows.raws)
        except ValueError:  # not all numbers: decode value by value
            segment = self._decode(rows.keys.to_pylist(), rows.raws.to_pylist(), steps.tolist(), times.tolist(),
                                   runtimes.tolist())
        else:
            segment = pa.table([steps, times, runtimes, rows.keys, nums, pa.nulls(len(nums), pa.string())],
                               schema=HistoryColumns.SCHEMA)
        self.segments.append(segment)
        self._note_runtimes(rows.runtimes)
        self.last_step = int(rows.steps[-1])

    def _note_runtimes(self, runtimes: np.ndarray) -> None:
        finite = runtimes[np.isfinite(runtimes)]
        if len(finite):
            self.longest_runtime = max(float(finite.max()), self.longest_runtime or -math.inf)

    def add_paired(self, names: Iterable[str], values: Iterable[str], history: Any) -> None:
        """Add a ``History`` view whose items :func:`paired_keys` paired."""
        self.internal = True
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
        nested: dict[str, Any] = {}
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
                set_nested(nested, parts, self.warnings.decode(raw))
        if nested:
            # Reassembled dicts go back as JSON text; a table reference is recognised when values are decoded.
            for key, value in flatten(nested).items():
                keys.append(key)
                raws.append(json.dumps(value, allow_nan=True))
        step = self._step(meta.get("_step"), history.step.num if history.HasField("step") else None)
        self._span(len(keys) - start, step, as_float(meta.get("_timestamp")), as_float(meta.get("_runtime")), 0)

    def _step(self, raw: str | None, recorded: int | None) -> int:
        """The row's step: ``_step``, else the record's ``step.num``, else one past the previous row."""
        step = None
        if raw is not None:
            try:
                step = int(raw)
            except ValueError:
                number = as_float(raw)
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
        self._close_lanes()
        return self.longest_runtime

    # -- building columns

    def columns(self) -> HistoryColumns:
        """The points as :class:`HistoryColumns`, typed by the rule in :mod:`sprintboard.ingest.parsed`."""
        self._close_lanes()
        if not self.segments:
            return HistoryColumns()
        return HistoryColumns.from_arrow(pa.concat_tables(self.segments))

    def _close_lanes(self) -> None:
        """Decode the lanes into a segment and empty them."""
        if not self.counts:
            return
        self.segments.append(self._lanes_table())
        self._note_runtimes(np.array([math.nan if r is None else r for r in self.runtimes], np.float64))
        for lane in (self.keys, self.raws, self.counts, self.steps, self.times, self.runtimes, self.meta):
            lane.clear()
        self.internal = False

    def _lanes_table(self) -> pa.Table:
        """The lanes' points without internal keys, decoded."""
        keys, raws, counts = self.keys, self.raws, self.counts
        keep = {key: not key.startswith("_") for key in set(keys)} if self.internal else {}
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
                runtimes: list[float | None]) -> pa.Table:
        """Decode values in chunks: a chunk of numbers only (the bulk of a history) is one ``map(float)``, which
        reads exactly the JSON numbers, ``NaN`` and ``±Infinity`` included (see :func:`_numbers`); a chunk holding
        anything else is decoded value by value, which may also turn one point into several (see :meth:`_expand`)."""
        nums, slow = _numbers(raws)
        if not slow:
            return _table(steps, times, runtimes, keys, nums, [None] * len(nums))
        out: dict[str, list] = {name: [] for name in HistoryColumns.NAMES}
        lanes = (keys, nums, steps, times, runtimes)
        begin = 0
        for start in slow:
            _copy_points(out, lanes, begin, start)
            self._decode_slowly(out, lanes, raws, start, min(start + _CHUNK, len(raws)))
            begin = start + _CHUNK
        _copy_points(out, lanes, begin, len(raws))
        return _table(*out.values())

    def _decode_slowly(self, out: dict[str, list], lanes: tuple[list, ...], raws: list[str], start: int,
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
                out["step"].append(steps[index])
                out["timestamp"].append(times[index])
                out["runtime"].append(runtimes[index])
                out["key"].append(key)
                out["value_num"].append(num)
                out["value_text"].append(text)

    def _expand(self, key: str, value: Any, step: int) -> list[tuple[str, Any]]:
        """One decoded value as points: a plain dict (wandb <= 0.16 nesting) becomes one point per leaf; a table
        reference is noted for :func:`parse_run_folder`."""
        points = list(flatten({key: value}).items()) if isinstance(value, dict) else [(key, value)]
        for name, leaf in points:
            if isinstance(leaf, dict) and leaf.get("_type") == "table-file" and isinstance(leaf.get("path"), str):
                self.tables.append(TableRef(name, step, leaf["path"]))
        return points


class BatchRows(NamedTuple):
    """History rows read in bulk: their points' keys and JSON texts (meta keys left out), and per row the number
    of points, the step, the timestamp and the runtime."""

    keys: pa.Array
    raws: pa.Array
    counts: np.ndarray
    steps: np.ndarray
    times: np.ndarray
    runtimes: np.ndarray


def batch_rows(payloads: Sequence[bytes]) -> BatchRows | None:
    """The rows of serialized history records, read at once from their merged view (see
    :func:`~sprintboard.ingest.wandb_record_views.merge_batch`); ``None`` unless every record's items pair up (one
    key and one value each) and every row has exactly one integer ``_step`` and one numeric ``_timestamp`` and
    ``_runtime`` -- as wandb writes them. The caller then reads the records one by one, which handles anything else.

    The row ends, the three meta keys and the points are told apart by one role code per item -- worked out once
    per distinct key, over the dictionary of the batch's keys -- so that the per-row work (finding the meta keys,
    dropping internal keys, counting points) is array work.
    """
    history, records = merge_batch(payloads, "history"), len(payloads)
    if history is None:
        return None
    items = history.item
    nested, plain, values = items.nested_key, items.key, items.value_json
    if len(plain) == records:  # the end markers' only: keys are nested_key parts (wandb 0.17+)
        names, others = nested, plain
    elif len(nested) == records:  # wandb <= 0.16: plain keys
        names, others = plain, nested
    else:
        return None
    if len(values) != len(names) or list(others) != [RECORD_END] * records:  # (before any array is made)
        return None
    # Lists first: Arrow makes an array from a list of str far faster than from the protobuf container.
    keys, raws = pa.array(list(names), pa.string()), pa.array(list(values), pa.string())
    encoded = keys.dictionary_encode()
    roles = _Roles()
    role_of = np.fromiter((roles[name] for name in encoded.dictionary.to_pylist()), np.int8)
    codes = role_of[encoded.indices.to_numpy()]
    ends = np.flatnonzero(codes == _END)
    if len(ends) != records or not pc.all(pc.equal(raws.take(ends), RECORD_END)).as_py():
        return None
    row_numbers = np.arange(records)
    meta = []
    for role in (_STEP, _TIMESTAMP, _RUNTIME):
        at = np.flatnonzero(codes == role)  # exactly one per row: the i-th lies before the i-th end
        if len(at) != records or not np.array_equal(np.searchsorted(ends, at), row_numbers):
            return None
        texts = raws.take(at)
        try:
            lane = pc.cast(texts, pa.int64()) if role == _STEP else _double_array(texts)
        except ValueError:  # ArrowInvalid: not as int() and float() read them; the slow path decides
            return None
        meta.append(lane.to_numpy())
    points = codes == _POINT
    counts = np.diff(np.cumsum(points)[ends], prepend=0)
    return BatchRows(keys.filter(points), raws.filter(points), counts, *meta)


def _numbers(raws: list[str]) -> tuple[list[float | None], list[int]]:
    """``raws`` converted by ``float()``, chunk by chunk, and the starts of the chunks where that fails (their
    values are ``None`` here).

    The conversion runs in Arrow, which is several times faster than ``float()`` and gives the same value: both
    round correctly and read ``NaN``, ``±Infinity`` and their spellings alike. Arrow rejects some text ``float()``
    takes (spaces, ``_``, non-ASCII digits) -- a chunk it rejects goes to ``float()`` -- and takes one kind that
    ``float()`` rejects, ``nan(...)``, which :func:`_doubles` turns into a rejection.
    """
    try:
        texts = pa.array(raws, pa.string())
    except (pa.ArrowException, UnicodeError):
        texts = None
    if texts is not None:
        try:
            return _doubles(texts), []
        except ValueError:  # ArrowInvalid: not all numbers; find the chunks that are
            pass
    nums: list[float | None] = []
    slow: list[int] = []
    for start in range(0, len(raws), _CHUNK):
        chunk: list[Any] | None = None
        if texts is not None:
            try:
                chunk = _doubles(texts.slice(start, _CHUNK))
            except ValueError:
                pass
        if chunk is None:
            chunk = raws[start : start + _CHUNK]
            try:
                chunk = list(map(float, chunk))
            except ValueError:
                chunk = [None] * len(chunk)
                slow.append(start)
        nums.extend(chunk)
    return nums, slow


def _doubles(texts: pa.Array) -> list[float]:
    """:func:`_double_array` as a list."""
    return _double_array(texts).to_numpy(zero_copy_only=False).tolist()


def _double_array(texts: pa.Array) -> pa.Array:
    """Arrow's reading of ``texts`` as numbers; ``ValueError`` unless ``float()`` reads them all the same way."""
    doubles = pc.cast(texts, pa.float64())
    nan = pc.is_nan(doubles)
    if pc.any(nan).as_py() and pc.any(pc.match_substring(pc.filter(texts, nan), "(")).as_py():
        raise ValueError("Arrow read nan(...), which float() rejects")
    return doubles


def _copy_points(out: dict[str, list], lanes: tuple[list, ...], start: int, stop: int) -> None:
    """Append the already decoded numbers ``start:stop`` of ``lanes`` (keys, numbers, steps, times, runtimes)."""
    keys, nums, steps, times, runtimes = lanes
    out["step"].extend(steps[start:stop])
    out["timestamp"].extend(times[start:stop])
    out["runtime"].extend(runtimes[start:stop])
    out["key"].extend(keys[start:stop])
    out["value_num"].extend(nums[start:stop])
    out["value_text"].extend(repeat(None, len(nums[start:stop])))


def _table(*columns: list) -> pa.Table:
    """A history table of :attr:`HistoryColumns.SCHEMA` from its column lists, in that order."""
    schema = HistoryColumns.SCHEMA
    return pa.table([pa.array(values, field.type) for values, field in zip(columns, schema, strict=True)],
                    schema=schema)


def _split(value: Any) -> tuple[float | None, str | None]:
    try:
        return split_value(value)
    except OverflowError:  # an int too large for a float: keep its digits
        return None, str(value)


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


def as_float(raw: str | None) -> float | None:
    """A JSON number text as a float (``NaN``/``Infinity`` included); ``None`` for anything else."""
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        return None
