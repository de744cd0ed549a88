"""Config and summary state of a run as its log updates it, values kept as JSON text until the end."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from itertools import compress, count
from typing import Any

from sprintboard.ingest.parsed import flatten
from sprintboard.ingest.wandb_record_views import RECORD_END, RecordView, merge_batch, record_ends

MAX_VALUE_WARNINGS = 5
# How a record W&B writes with its internal ``_wandb.runtime`` starts, within its first bytes: an update item whose
# first key part is ``_wandb``. Such records are short. Only a hint for sorting a batch: what the records it picks
# hold is checked (see ValueTree.apply_batch).
_INTERNAL_ITEM = b"\x12\x06_wandb"
_SHORT = 128
# A record's leading ``num`` field (field 1, a varint), which the summary does not use.
_NUMBER = re.compile(rb"\x08[\x80-\xff]{0,9}[\x00-\x7f]")


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

    def apply_batch(self, payloads: Sequence[bytes]) -> bool:
        """Apply serialized summary records, in order, in bulk; ``False``, having changed nothing, when one of them
        needs applying on its own (the caller then applies them one by one).

        wandb 0.17+ writes two summary records per logged row: the row (every item one ``nested_key`` part and one
        value) and its internal runtime (``_wandb.runtime``, from 0.31 beside the plain key ``_runtime``). Rows
        only set keys, so a run of them comes down to each key's last value (:func:`_last_values`: one merged
        parse, no per-record work). Runtime records all set the same keys, so each one's values are overwritten by
        the next one's: only the first (which may add keys) and the last (whose values stand unless a later row
        sets the keys again) are applied, each in its place between the rows, so later writers still win.
        """
        internal = [len(payload) < _SHORT and payload.find(_INTERNAL_ITEM, 0, 24) != -1 for payload in payloads]
        if not any(internal):
            parts: list[Any] = [payloads]  # runs of rows (sequences) and single runtime records (bytes), in order
        else:
            rows = [payload for payload, flag in zip(payloads, internal, strict=True) if not flag]
            runtime = list(compress(payloads, internal))
            if not _same_runtime_keys(runtime):
                return False
            first = internal.index(True)  # rows before the first runtime record
            last = len(internal) - internal[::-1].index(True) - len(runtime)  # ... and before the last one
            parts = [rows[:first], runtime[0]] + ([rows[first:last], runtime[-1]] if len(runtime) > 1 else [])
            parts.append(rows[last:])
        prepared: list[tuple[Any, Any]] = []
        for part in parts:
            pairs = _record_pairs(part) if isinstance(part, bytes) else _last_values(part)
            if pairs is None:
                return False
            prepared.append(pairs)
        for keys, values in prepared:
            self._set_all(keys, values)
        return True

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
            node = tree
            for part in parts[:-1]:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
            node[parts[-1]] = warnings.decode(raw)
        return flatten(tree)


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
    names, values = list(items.nested_key), items.value_json
    if len(values) != len(names) or list(items.key) != [RECORD_END] * records or names.count(RECORD_END) != records:
        return None
    last = dict(zip(names, count()))  # noqa: B905 - an iterator that never ends
    del last[RECORD_END]
    return list(last), [values[index] for index in last.values()]


def _same_runtime_keys(payloads: Sequence[bytes]) -> bool:
    """True if every serialized summary record is an internal runtime record as :meth:`ValueTree.apply_merged`
    takes them -- a ``_wandb`` key of two or more parts, plain keys, one value more than plain keys, all values
    equal, no removals -- and all have the same plain keys, in the same order.

    Runtime records differ in little but their number -- the runtime is whole seconds -- so each distinct one is
    checked once."""
    distinct = list(dict.fromkeys(map(_without_number, payloads)))
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


def _without_number(payload: bytes) -> bytes:
    number = _NUMBER.match(payload)
    return payload[number.end() :] if number else payload


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
