"""JSON value texts of history points read as numbers in bulk, as ``float()`` reads them.

A long history is millions of numbers, written by wandb as JSON texts: converting them in Arrow is several times
faster than ``float()``, and gives the same value for every text both read. The two differ on a few texts, which
:func:`double_array` refuses so that they are decoded value by value instead: ``nan(...)``, which Arrow reads and
``float()`` does not, and an integer too large for a float, which both read as infinity but JSON reads as an integer
(kept as its digits, text, by the history reader).
"""

from __future__ import annotations

import math
import re
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

# Values converted per call of the bulk number conversion: a chunk holding a non-number is redone value by value,
# so chunks are small enough that one text metric does not slow down a whole run.
CHUNK = 2048
# An integer as JSON writes it, with the spaces around it that float() allows.
_INTEGER = re.compile(r"\s*-?[0-9]+\s*")


def numbers(raws: list[str]) -> tuple[list[float | None], list[int]]:
    """``raws`` converted by :func:`json_float`, chunk by chunk, and the starts of the chunks where that fails (their
    values are ``None`` here).

    The conversion runs in Arrow, which is several times faster than ``float()`` and gives the same value: both
    round correctly and read ``NaN``, ``±Infinity`` and their spellings alike. Arrow rejects some text ``float()``
    takes (spaces, ``_``, non-ASCII digits) -- a chunk it rejects goes to ``float()`` -- and takes one kind that
    ``float()`` rejects, ``nan(...)``, which :func:`_doubles` turns into a rejection, as it does an integer too large
    for a float.
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
    for start in range(0, len(raws), CHUNK):
        chunk: list[Any] | None = None
        if texts is not None:
            try:
                chunk = _doubles(texts.slice(start, CHUNK))
            except ValueError:
                pass
        if chunk is None:
            chunk = raws[start : start + CHUNK]
            try:
                chunk = list(map(json_float, chunk))
            except ValueError:
                chunk = [None] * len(chunk)
                slow.append(start)
        nums.extend(chunk)
    return nums, slow


def _doubles(texts: pa.Array) -> list[float]:
    """:func:`double_array` as a list."""
    return double_array(texts).to_numpy(zero_copy_only=False).tolist()


def double_array(texts: pa.Array) -> pa.Array:
    """Arrow's reading of ``texts`` as numbers; ``ValueError`` unless :func:`json_float` reads them all the same way."""
    doubles = pc.cast(texts, pa.float64())
    odd = pc.invert(pc.is_finite(doubles))
    if pc.any(odd).as_py() and pc.any(pc.match_substring_regex(pc.filter(texts, odd), r"\(|^-?[0-9]+$")).as_py():
        raise ValueError("Arrow read nan(...), which float() rejects, or an integer too large for a float")
    return doubles


def json_float(raw: str) -> float:
    """``float(raw)``, except for an integer too large for a float, which ``float()`` reads as ±infinity: that is
    a ``ValueError`` here, so that the value is decoded as JSON and kept as its digits."""
    number = float(raw)
    if (number == math.inf or number == -math.inf) and _INTEGER.fullmatch(raw):
        raise ValueError(f"{raw[:20]}... is an integer too large for a float")
    return number
