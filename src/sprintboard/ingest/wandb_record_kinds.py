"""What each record of a ``.wandb`` log is, told from its first bytes, for a whole list of records at once
(:class:`Records`).

A serialized ``Record`` starts with the varint field ``num`` (absent when 0) and then, nearly always, the key of
the field holding the record: one byte for history (field 2) and summary (field 3). wandb 0.17+ writes its internal
runtime as a short summary record whose first update item starts with the key part ``_wandb`` (see
``RUNTIME_ITEM``). So the kinds that matter in bulk -- history rows, summary rows, runtime records -- can be told
apart without parsing; the reader parses every other record, and checks the guess of the bulk ones when it parses
them in batches (a record holding fields of several kinds is of the last one's kind to wandb).

A long log is hundreds of thousands of records, so this runs as array work over the records laid end to end,
rather than as a few lines of Python per record.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np
from wandb.proto import wandb_internal_pb2 as pb

OTHER, HISTORY, ROW, RUNTIME = 0, 1, 2, 3  # any other record, a history row, a summary row, a runtime record
# What the reader takes for a record wandb writes with its internal runtime, ``_wandb.runtime`` (and, from 0.31,
# the plain key ``_runtime`` of the same value), by its first bytes: a short record whose first update item starts
# with the key part ``_wandb``, which comes RUNTIME_ITEM_AT bytes after the summary field's key (after the field's
# length and the item's key and length, a byte each in a short record). Only a hint: see
# wandb_values.summary_updates.
RUNTIME_ITEM, RUNTIME_ITEM_AT, RUNTIME_MAX_LEN = b"\x12\x06_wandb", 4, 128


def _tag(field: str) -> int:
    """The first byte of a ``Record`` field holding a message: its key (field number, wire type 2), one byte."""
    number = pb.Record.DESCRIPTOR.fields_by_name[field].number
    if number >= 16:
        raise RuntimeError(f"wandb's Record.{field} is field {number}, whose key takes two bytes")
    return number << 3 | 2


_NUM_TAG = pb.Record.DESCRIPTOR.fields_by_name["num"].number << 3  # a varint
HISTORY_TAG, SUMMARY_TAG = _tag("history"), _tag("summary")
_RUNTIME_BYTES = np.frombuffer(RUNTIME_ITEM, np.uint8)


# Zeros after the records laid end to end, so that a reader may look a little past a record's end without checking
# (see wandb_items, which looks up to 262 bytes past where an item may start).
PADDING = 272


class Records:
    """A list of serialized records laid end to end (``data``, followed by PADDING zeros), with where each starts
    and how long it is, where its first field after ``num`` begins (``at``, relative to its start; its length when
    the record ends first: empty, or ending inside ``num``), and its kind, told from its first bytes (``OTHER``,
    ``HISTORY``, ``ROW`` or ``RUNTIME``): a record too short to hold a key where one should be is ``OTHER``, as is
    one whose first field after ``num`` is neither history nor summary."""

    def __init__(self, payloads: Sequence[bytes]) -> None:
        self.payloads = payloads
        self.lengths = np.fromiter(map(len, payloads), np.int64, len(payloads))
        self.data = np.frombuffer(b"".join(chain(payloads, (bytes(PADDING),))), np.uint8)
        self.starts = np.cumsum(self.lengths) - self.lengths
        self.at = _field_offsets(self.data, self.starts, self.lengths)
        self.kinds = _kinds(self.data, self.starts, self.lengths, self.at)

    def tail(self, index: int) -> bytes:
        """Record ``index`` without its number (from ``at`` on)."""
        return self.payloads[index][self.at[index] :]

    def distinct_tails(self, indices: np.ndarray) -> list[bytes]:
        """The distinct records among ``indices`` when their numbers are left out, in the order they first come."""
        payloads = self.payloads
        return list(dict.fromkeys(payloads[index][at:] for index, at in zip(indices.tolist(),
                                                                              self.at[indices].tolist(), strict=True)))


def _field_offsets(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """See :class:`Records`: ``at``."""
    count = len(starts)
    at = np.zeros(count, np.int64)
    first = np.zeros(count, np.uint8)
    filled = np.flatnonzero(lengths)
    first[filled] = data[starts[filled]]
    # After num's key byte, its varint: its last byte is the first below 0x80. Only records with a num take part,
    # and each turn only those whose varint goes on.
    going = np.flatnonzero(first == _NUM_TAG)
    at[going] = 2
    while len(going):
        inside = at[going] - 1 < lengths[going]
        at[going[~inside]] = lengths[going[~inside]]  # the record ends inside num
        going = going[inside]
        going = going[data[starts[going] + at[going] - 1] > 0x7F]
        at[going] += 1
    return at


def _kinds(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, at: np.ndarray) -> np.ndarray:
    """See :class:`Records`: ``kinds``."""
    keyed = np.flatnonzero(at < lengths)
    tags = np.zeros(len(starts), np.int16) - 1
    tags[keyed] = data[starts[keyed] + at[keyed]]
    kinds = np.full(len(starts), OTHER, np.uint8)
    kinds[tags == HISTORY_TAG] = HISTORY
    summary = tags == SUMMARY_TAG
    kinds[summary] = ROW
    short = np.flatnonzero(summary & (lengths < RUNTIME_MAX_LEN)
                           & (at + RUNTIME_ITEM_AT + len(RUNTIME_ITEM) <= lengths))
    if len(short):
        heads = data[(starts[short] + at[short] + RUNTIME_ITEM_AT)[:, None] + np.arange(len(RUNTIME_ITEM))]
        kinds[short[(heads == _RUNTIME_BYTES).all(axis=1)]] = RUNTIME
    return kinds
