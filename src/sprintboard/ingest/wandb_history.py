"""A run's history and system-metric points as its log adds them, decoded in bulk at the end.

History records as wandb writes them are read a batch at a time (:func:`~sprintboard.ingest.wandb_rows.batch_rows`)
and reach this module as Arrow arrays (:meth:`HistoryLanes.add_rows`). Records read one by one (anything the bulk
path does not take) are kept as Python lanes, decoded when the next batch or the end comes; segments of both kinds
are kept in file order.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain, compress, repeat
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from wandb.proto import wandb_internal_pb2 as pb

from sprintboard.ingest.parsed import HistoryColumns, flatten, set_nested, split_value
from sprintboard.ingest.wandb_numbers import CHUNK, json_float, numbers
from sprintboard.ingest.wandb_values import MAX_VALUE_WARNINGS, ValueWarnings

if TYPE_CHECKING:
    from sprintboard.ingest.wandb_rows import BatchRows

SYSTEM_PREFIX = "system/"
# The steps the store holds (BIGINT): a row whose step lies outside is skipped with a warning.
STEP_MIN, STEP_MAX = -(2**63), 2**63 - 1


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
        self.skipped_rows = 0  # rows whose step is out of range
        self.segments: list[pa.Table] = []
        self.longest_runtime: float | None = None  # of the points already in segments

    # -- reading records

    def add_rows(self, rows: BatchRows) -> None:
        """Add the rows :func:`batch_rows` read from a batch of history records, as a segment of their own."""
        if not len(rows.steps):
            return
        self._close_lanes()
        steps, times, runtimes = (np.repeat(lane, rows.counts) for lane in (rows.steps, rows.times, rows.runtimes))
        if rows.nums is None:  # not all numbers: decode value by value
            segment = self._decode(rows.keys.to_pylist(), rows.raws.to_pylist(), steps.tolist(), times.tolist(),
                                   runtimes.tolist())
        else:
            segment = pa.table([steps, times, runtimes, rows.keys, rows.nums, pa.nulls(len(rows.nums), pa.string())],
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
            step: int | None = int(raws[keys.index("_step", start)])
        except ValueError:  # no _step item, or not an integer: the slow way
            step_raw = _find(keys, raws, "_step", start)
            meta -= step_raw is None
            step = self._step(step_raw, history.step.num if history.HasField("step") else None)
        else:
            step = self._checked_step(step)
        if step is None:
            del keys[start:], raws[start:]
            return
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
        deep: list[tuple[list[str], str]] = []
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
                deep.append((parts, raw))
        step = self._step(meta.get("_step"), history.step.num if history.HasField("step") else None)
        if step is None:
            del keys[start:], raws[start:]
            return
        nested: dict[str, Any] = {}
        for parts, raw in deep:
            set_nested(nested, parts, self.warnings.decode(raw))
        if nested:
            # Reassembled dicts go back as JSON text; a table reference is recognised when values are decoded.
            for key, value in flatten(nested).items():
                keys.append(key)
                raws.append(json.dumps(value, allow_nan=True))
        self._span(len(keys) - start, step, as_float(meta.get("_timestamp")), as_float(meta.get("_runtime")), 0)

    def _step(self, raw: str | None, recorded: int | None) -> int | None:
        """The row's step: ``_step``, else the record's ``step.num``, else one past the previous row; ``None`` (with a
        warning) when that is outside the signed 64-bit range of the store's steps, and the row is to be skipped."""
        step = None
        if raw is not None:
            try:
                step = int(raw)
            except ValueError:
                number = as_float(raw)
                step = int(number) if number is not None and math.isfinite(number) else None
        if step is None:
            step = recorded if recorded is not None else (0 if self.last_step is None else self.last_step + 1)
        return self._checked_step(step)

    def _checked_step(self, step: int) -> int | None:
        """``step``, now the latest row's, if the store can hold it; else ``None``, with a warning naming it (a few
        times, then counted when the columns are built)."""
        if STEP_MIN <= step <= STEP_MAX:
            self.last_step = step
            return step
        self.skipped_rows += 1
        if self.skipped_rows <= MAX_VALUE_WARNINGS:
            self.warnings.append(f"history row at step {step} skipped: the step is outside the signed 64-bit range "
                                 "of steps")
        return None

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
        if self.skipped_rows > MAX_VALUE_WARNINGS:
            self.warnings.append(f"{self.skipped_rows} history rows in all were skipped for a step outside the "
                                 "signed 64-bit range")
            self.skipped_rows = MAX_VALUE_WARNINGS  # said once
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
        """Decode values in chunks: a chunk of numbers only (the bulk of a history) is converted at once, exactly as
        JSON reads numbers, ``NaN`` and ``±Infinity`` included (see :mod:`~sprintboard.ingest.wandb_numbers`); a
        chunk holding anything else is decoded value by value, which may also turn one point into several (see
        :meth:`_expand`)."""
        nums, slow = numbers(raws)
        if not slow:
            return _table(steps, times, runtimes, keys, nums, [None] * len(nums))
        out: dict[str, list] = {name: [] for name in HistoryColumns.NAMES}
        lanes = (keys, nums, steps, times, runtimes)
        begin = 0
        for start in slow:
            _copy_points(out, lanes, begin, start)
            self._decode_slowly(out, lanes, raws, start, min(start + CHUNK, len(raws)))
            begin = start + CHUNK
        _copy_points(out, lanes, begin, len(raws))
        return _table(*out.values())

    def _decode_slowly(self, out: dict[str, list], lanes: tuple[list, ...], raws: list[str], start: int,
                       stop: int) -> None:
        keys, _, steps, times, runtimes = lanes
        for index in range(start, stop):
            raw = raws[index]
            try:
                points = [(keys[index], json_float(raw))]
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
