"""Config and summary state of a run as its log updates it, values kept as JSON text until the end.

A long log holds two summary records per logged row; they are read a batch at a time (:func:`summary_updates`),
which needs only each key's last value, rather than applied one by one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sprintboard.ingest.parsed import flatten, set_nested
from sprintboard.ingest.wandb_record_views import RECORD_END, RecordView, merge_batch, record_ends

MAX_VALUE_WARNINGS = 5
# What the reader takes for a record wandb writes with its internal runtime, ``_wandb.runtime`` (and, from 0.31,
# the plain key ``_runtime`` of the same value), by its first bytes: a short record whose first update item starts
# with the key part ``_wandb``, which comes RUNTIME_ITEM_AT bytes after the summary field's key (after the field's
# length and the item's key and length, a byte each in a short record). Only a hint: see summary_updates.
RUNTIME_ITEM, RUNTIME_ITEM_AT, RUNTIME_MAX_LEN = b"\x12\x06_wandb", 4, 128


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


def summary_updates(rows: Sequence[bytes], runtime: Sequence[bytes] = (), runtime_at: Sequence[int] = ()
                    ) -> list[tuple[Sequence[str], Sequence[str]]] | None:
    """What serialized summary records set, read in bulk, for :meth:`ValueTree.apply_updates`: ``rows``, in order,
    and between them the ``runtime`` records (without their record numbers, which a summary does not use), the
    i-th after ``runtime_at[i]`` rows. ``None`` when a record needs applying on its own (the caller then applies
    them one by one).

    wandb 0.17+ writes two summary records per logged row: the row (every item one ``nested_key`` part and one
    value) and its internal runtime (see ``RUNTIME_ITEM``). Rows only set keys, so a run of them comes down to each
    key's last value (:func:`_last_values`: one merged parse, no per-record work). Runtime records all set the same
    keys (:func:`_same_runtime_keys` checks), so each one's values are overwritten by the next one's: only the
    first (which may add keys) and the last (whose values stand unless a later row sets the keys again) are
    applied, each in its place between the rows, so later writers still win.
    """
    if not runtime:
        parts: list[Any] = [rows]  # runs of rows (lists) and single runtime records (bytes), in order
    else:
        if not _same_runtime_keys(runtime):
            return None
        first, last = runtime_at[0], runtime_at[-1]
        parts = [rows[:first], runtime[0]] + ([rows[first:last], runtime[-1]] if len(runtime) > 1 else [])
        parts.append(rows[last:])
    updates = []
    for part in parts:
        pairs = _record_pairs(part) if isinstance(part, bytes) else _last_values(part)
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


def _last_values(payloads: Sequence[bytes]) -> tuple[list[str], list[str]] | None:
    """The keys set by serialized summary records whose items all pair up -- one ``nested_key`` part and one value
    each, no plain keys, no removals -- in the order they first appear, and each one's last value; ``None`` for any
    other records. Only the keys become Python strings; each value is read from the merged view at its key's last
    position."""
    if not payloads:
        return [], []
    updates = merge_batch(payloads, "summary")
    if updates is None or updates.HasField("remove"):
        return None
    items, records = updates.update, len(payloads)
    values = items.value_json
    if len(values) != len(items.nested_key) or list(items.key) != [RECORD_END] * records:
        return None
    names = list(items.nested_key)
    if names.count(RECORD_END) != records:
        return None
    keys = list(dict.fromkeys(names))
    keys.remove(RECORD_END)
    backwards, final = names[::-1], len(names) - 1
    return keys, [values[final - backwards.index(key)] for key in keys]


def _same_runtime_keys(payloads: Sequence[bytes]) -> bool:
    """True if every serialized summary record is an internal runtime record as :meth:`ValueTree.apply_merged`
    takes them -- a ``_wandb`` key of two or more parts, plain keys, one value more than plain keys, all values
    equal, no removals -- and all have the same plain keys, in the same order.

    Runtime records (kept without their numbers) differ in little but the runtime, which is whole seconds, so
    each distinct one is checked once."""
    distinct = list(dict.fromkeys(payloads))
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
