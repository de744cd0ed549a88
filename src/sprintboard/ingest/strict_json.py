"""Reading a JSON document of an export so that nothing in it is dropped unseen.

* A key written twice in one object is refused (:class:`RepeatedKeyError`, naming the key and where the object is).
  ``json.loads`` keeps the last of the two silently: ``{"loss": 0.5, "loss": 9.5}`` would be ``{"loss": 9.5}``. A
  CSV export with a column twice is refused for the same reason.
* A whole number longer than Python converts (4,300 digits) is read as
  :class:`~sprintboard.ingest.large_numbers.LongDigits` instead of failing the whole document.
* ``NaN``, ``Infinity`` and ``-Infinity`` are read as the float values, as W&B writes them.

Failures are ``ValueError`` (not JSON), :class:`RepeatedKeyError` (a ``ValueError`` too) or ``RecursionError``
(nested too deeply), as with ``json.loads``.
"""

from __future__ import annotations

import json
from typing import Any

from sprintboard.ingest.large_numbers import LongDigits

Path = tuple[str | int, ...]  # keys and list indexes from the document's top down to a value


class RepeatedKeyError(ValueError):
    """An object holds ``key`` more than once; ``where`` is the path of that object in the document."""

    def __init__(self, key: str, where: Path) -> None:
        self.key = key
        self.where = where
        super().__init__(f"key {dotted(where, key)!r} appears more than once")


def dotted(where: Path, key: str | None = None) -> str:
    """A path as a key a user knows it by: object keys joined with ``.`` (as nested keys are flattened), list
    indexes in brackets: ``("val", "hist", 3)`` and ``"x"`` give ``val.hist[3].x``."""
    text = ""
    for part in (*where, key) if key is not None else where:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def loads(text: str) -> Any:
    """The value of the JSON ``text``; see the module docstring."""
    repeated: list[tuple[dict, str]] = []

    def unique_pairs(pairs: list[tuple[str, Any]]) -> dict:
        # dict() of the pairs is what json.loads does itself; only a repeated key costs more than that
        mapping = dict(pairs)
        if len(mapping) != len(pairs):
            seen: set[str] = set()
            key = next(k for k, _ in pairs if k in seen or seen.add(k))
            repeated.append((mapping, key))
        return mapping

    try:
        document = json.loads(text, object_pairs_hook=unique_pairs)
    except ValueError as exc:
        if "Exceeds the limit" not in str(exc):  # the message of the int() digit limit
            raise
        repeated.clear()
        document = json.loads(text, object_pairs_hook=unique_pairs, parse_int=_whole_number)
    if repeated:
        mapping, key = repeated[0]
        raise RepeatedKeyError(key, _path_to(document, mapping))
    return document


def _whole_number(digits: str) -> int | LongDigits:
    try:
        return int(digits)
    except ValueError:
        return LongDigits(digits)


def _path_to(document: Any, target: dict) -> Path:
    """The path of the object ``target`` (by identity) in ``document``; walked without recursion, as deep as the
    document is."""
    stack: list[tuple[Any, Path]] = [(document, ())]
    while stack:
        value, where = stack.pop()
        if value is target:
            return where
        if isinstance(value, dict):
            stack.extend((item, (*where, key)) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((item, (*where, index)) for index, item in reversed(list(enumerate(value))))
    return ()
