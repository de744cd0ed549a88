"""Config and summary state of a run as its log updates it, values kept as JSON text until the end."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sprintboard.ingest.parsed import flatten

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
