"""Config and summary state of a run as its log updates it, values kept as JSON text until the end.

A long log holds two summary records per logged row; they are read a batch at a time (:func:`summary_updates`),
which needs only each key's last value, rather than applied one by one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from sprintboard.ingest.parsed import flatten, set_nested
from sprintboard.ingest.wandb_items import Items, Texts, read_items
from sprintboard.ingest.wandb_record_kinds import Records
from sprintboard.ingest.wandb_record_views import RECORD_END, RecordView, merge_batch, record_ends

MAX_VALUE_WARNINGS = 5


class ValueTree:
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
        pairs = merged_pairs(updates)
        if pairs is None:
            return False
        self._set_all(*pairs)
        return True

    def _set_all(self, keys: Iterable[str], values: Iterable[str]) -> None:
        """Set plain keys, paired with ``values``, as one ``dict.update``."""
        leaves = self.leaves
        before = len(leaves)
        leaves.update(zip(keys, values))  # noqa: B905 - paired by the caller
        if self.heads and len(leaves) != before:
            self.settle(keys)

    def apply_updates(self, updates: list[tuple[Sequence[str], Sequence[str]]]) -> None:
        """Apply what :func:`summary_updates` read from a batch of summary records: plain keys and their values."""
        for keys, values in updates:
            self._set_all(keys, values)

    def apply_items(self, updates: Iterable[Any], removals: Iterable[Any] = ()) -> None:
        """Apply the ``update`` and ``remove`` items of a ``ConfigRecord`` or ``SummaryRecord``, one by one."""
        for item in updates:
            self.set(item_path(item), item.value_json or "null")
        for item in removals:
            self.remove(item_path(item))

    def to_dict(self, warnings: ValueWarnings) -> dict[str, Any]:
        """The decoded state, flattened to dotted keys."""
        tree: dict[str, Any] = {}
        for path, raw in self.leaves.items():
            parts = (path,) if isinstance(path, str) else path
            if parts[0] == self.SKIP:
                continue
            set_nested(tree, parts, warnings.decode(raw))
        return flatten(tree)


def summary_updates(records: Records, rows: np.ndarray, runtime: np.ndarray, runtime_at: Sequence[int]
                    ) -> list[tuple[Sequence[str], Sequence[str]]] | None:
    """What the summary records of ``records`` set, read in bulk, for :meth:`ValueTree.apply_updates`: the rows
    ``rows``, in order, and between them the runtime records ``runtime``, the i-th after ``runtime_at[i]`` rows.
    ``None`` when a record needs applying on its own (the caller then applies them one by one).

    wandb 0.17+ writes two summary records per logged row: the row (every item one ``nested_key`` part and one
    value) and its internal runtime (see :mod:`~sprintboard.ingest.wandb_record_kinds`). Rows only set keys, so a
    run of them comes down to each key's last value (:func:`_last_values`: no per-record work). Runtime records all
    set the same keys (:func:`_same_runtime_keys` checks, on the distinct ones: they differ in little but the
    runtime, which is whole seconds), so each one's values are overwritten by the next one's: only the first (which
    may add keys) and the last (whose values stand unless a later row sets the keys again) are applied, each in its
    place between the rows, so later writers still win. Their numbers are left out: a summary does not use them.
    """
    if len(runtime) and not _same_runtime_keys(records.distinct_tails(runtime)):
        return None
    read = _read_rows(records, rows)
    if read is None:
        return None
    if not len(runtime):
        parts: list[Any] = [(0, len(rows))]  # stretches of rows and single runtime records (bytes), in order
    else:
        first, last = runtime_at[0], runtime_at[-1]
        parts = [(0, first), records.tail(runtime[0])]
        if len(runtime) > 1:
            parts += [(first, last), records.tail(runtime[-1])]
        parts.append((last, len(rows)))
    updates = []
    for part in parts:
        pairs = _record_pairs(part) if isinstance(part, bytes) else _last_values(read, *part)
        if pairs is None:
            return None
        updates.append(pairs)
    return updates


def merged_pairs(updates: Any) -> tuple[Any, Any] | None:
    """The keys and values an ``Updates`` view sets, paired index by index, when :meth:`ValueTree.apply_merged` can
    take it in bulk; else ``None``."""
    if updates.HasField("remove"):
        return None
    items = updates.update
    nested, plain, values = items.nested_key, items.key, items.value_json
    count = len(values)
    if not plain and len(nested) == count:
        return nested, values
    if not nested and len(plain) == count:
        return plain, values
    if count == len(plain) + 1 and nested and nested[0] == ValueTree.SKIP and len(set(values)) == 1:
        return plain, values[: len(plain)]
    return None


def _record_pairs(payload: bytes) -> tuple[Any, Any] | None:
    view = RecordView()
    try:
        view.ParseFromString(payload)
    except Exception:  # noqa: BLE001 - protobuf's DecodeError types vary by backend
        return None
    return merged_pairs(view.summary) if view.WhichOneof("record_type") == "summary" else None


def _read_rows(records: Records, rows: np.ndarray) -> Items | None:
    """The items of the summary records ``rows`` of ``records`` if they all pair up -- one ``nested_key`` part and
    one value each, no plain keys, no removals -- and all their value texts are UTF-8; ``None`` for any other
    records. (See :mod:`~sprintboard.ingest.wandb_items`.) No items at all for no records."""
    if not len(rows):
        return Items([], np.zeros(0, np.int64), np.zeros(0, np.int64), True, Texts.of(pa.array([], pa.string())))
    items = read_items(records, rows, "summary")
    if items is None or not items.nested:
        return None
    try:
        items.texts.check(np.arange(len(items.codes)))  # all of them: a text that is not UTF-8 is refused
    except ValueError:
        return None
    return items


def _last_values(items: Items, begin: int, end: int) -> tuple[list[str], list[str]]:
    """The keys set by the records ``begin:end`` of a batch read by :func:`_read_rows`, in the order they first
    appear, and each one's last value. Only these become Python strings."""
    low, high = np.searchsorted(items.rows, [begin, end])
    if low == high:
        return [], []
    codes = items.codes[low:high]
    count, positions = len(items.names), np.arange(len(codes))
    first, last = np.full(count, len(codes)), np.full(count, -1)
    np.minimum.at(first, codes, positions)
    np.maximum.at(last, codes, positions)
    present = np.flatnonzero(last >= 0)
    order = present[np.argsort(first[present], kind="stable")]
    at = low + last[order]
    rank = np.argsort(at)  # texts are cut out in file order
    texts = items.texts.take(at[rank]).to_pylist()
    values = [""] * len(at)
    for place, text in zip(rank.tolist(), texts, strict=True):
        values[place] = text
    return [items.names[code] for code in order], values


def _same_runtime_keys(distinct: Sequence[bytes]) -> bool:
    """True if every one of the distinct serialized summary records ``distinct`` is an internal runtime record as
    :meth:`ValueTree.apply_merged` takes them -- a ``_wandb`` key of two or more parts, plain keys, one value more
    than plain keys, all values equal, no removals -- and all have the same plain keys, in the same order."""
    updates = merge_batch(distinct, "summary")
    if updates is None or updates.HasField("remove"):
        return False
    items, records = updates.update, len(distinct)
    plain = list(items.key)
    width = plain.index(RECORD_END) if RECORD_END in plain else -1
    if width < 0 or plain != (plain[:width] + [RECORD_END]) * records:
        return False
    values, stride = list(items.value_json), width + 2  # a record's values, then its end marker
    if len(values) != stride * records or values[width + 1 :: stride] != [RECORD_END] * records:
        return False
    if any(values[column::stride] != values[width::stride] for column in range(width)):
        return False
    names = list(items.nested_key)
    ends = record_ends(names, records)
    if ends is None:
        return False
    starts = [0] + [end + 1 for end in ends[:-1]]
    return (all(end - start >= 2 for start, end in zip(starts, ends, strict=True))
            and [names[start] for start in starts] == [ValueTree.SKIP] * records)


def item_path(item: Any) -> tuple[str, ...]:
    nested = item.nested_key
    return tuple(nested) if nested else (item.key,)


class ValueWarnings(list):
    """The run's warning list, plus JSON decoding that warns (a few times, then counts) instead of raising."""

    bad_values = 0

    def decode(self, raw: str) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            self.bad_values += 1
            if self.bad_values <= MAX_VALUE_WARNINGS:
                self.append(f"value {raw[:60]!r} is not valid JSON: kept as text")
            return raw

    def close(self) -> None:
        if self.bad_values > MAX_VALUE_WARNINGS:
            self.append(f"{self.bad_values} values in all were not valid JSON and were kept as text")
