"""The items of a batch of history or summary records -- each item's key and JSON value text, and which record it is
in -- read at once, as arrays, for the bulk paths of :mod:`sprintboard.ingest.wandb_history` (rows) and
:mod:`sprintboard.ingest.wandb_values` (summary rows).

Two readers, tried in turn by :func:`read_items`:

* **From the bytes** (:func:`_wire_items`). wandb writes these records one way: ``num``, then the history (or
  summary) field, holding nothing but items and, for history, the row's ``step``; each item a key and a value::

      0a <item length> 12 <key length> <key> 82 01 <value length> <value>

  (a plain key, wandb <= 0.16: ``0a`` instead of ``12``). While every length takes one byte -- an item shorter than
  128 bytes -- the reader walks the fields of all records of the batch at once, turn by turn, as a protobuf parser
  walks the fields of one (:func:`_walk`), and checks that each field is an item of exactly that shape or a
  ``step``. Keys and values are then cut out of the bytes by Arrow, with no Python object made per item, nor per
  record; a value is only cut out when it is asked for (:class:`Texts`).
* **Through a merged view** (:func:`_merged_items`): the batch parsed as one message
  (:func:`~sprintboard.ingest.wandb_record_views.merge_batch`), whose lists are read with an end marker after each
  record's items. This takes what the first reader does not: long values, other fields beside the items.

Either gives ``None`` for a batch it cannot read exactly -- an item with a key of several parts, a removal, a typed
value, a record of another kind -- and the caller then reads the records one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from wandb.proto import wandb_internal_pb2 as pb

from sprintboard.ingest.wandb_record_kinds import HISTORY_TAG, PADDING, SUMMARY_TAG, Records
from sprintboard.ingest.wandb_record_views import RECORD_END, merge_batch


class Texts:
    """The value texts of a batch's items, as Arrow strings, made when asked for: :meth:`take` raises
    ``ValueError`` (``pyarrow.ArrowInvalid``) for a text that is not UTF-8, which the protobuf parser would have
    refused."""

    def __init__(self, data: np.ndarray | None, starts: np.ndarray, lengths: np.ndarray,
                 array: pa.Array | None = None) -> None:
        self.data, self.starts, self.lengths, self.array = data, starts, lengths, array

    @classmethod
    def of(cls, array: pa.Array) -> Texts:
        """Texts already made."""
        return cls(None, np.zeros(0, np.int64), np.zeros(0, np.int64), array)

    def take(self, indices: np.ndarray, checked: bool = True) -> pa.Array:
        """The texts of the items ``indices`` (in increasing order). Unless ``checked``, they are not checked to be
        UTF-8: for texts that are only read as numbers, which are ASCII when they read as numbers at all."""
        if self.array is not None:
            return self.array.take(pa.array(indices))
        texts = _cut(self.data, self.starts[indices], self.lengths[indices], pa.binary())
        return texts.cast(pa.string()) if checked else texts.view(pa.string())

    def check(self, indices: np.ndarray) -> None:
        """Raise ``ValueError`` unless the texts of the items ``indices`` (in increasing order) are UTF-8. Texts of
        ASCII only, as wandb's numbers are, are found so without being cut out: their largest byte is below 0x80."""
        if self.array is not None or not len(indices):
            return
        starts, lengths = self.starts[indices], self.lengths[indices]
        bounds = np.empty(2 * len(starts), np.int64)  # each text, then the stretch up to the next one
        bounds[0::2], bounds[1::2] = starts, starts + lengths
        if np.all(lengths) and np.all(np.maximum.reduceat(self.data, bounds)[0::2] < 0x80):
            return
        self.take(indices)


class Items(NamedTuple):
    """The items of a batch of records, in file order: ``names`` are the batch's distinct keys; per item, ``codes``
    is its key (an index into ``names``), ``rows`` the index of its record in the batch, and ``texts`` holds the
    value texts. The keys are ``nested_key`` parts when ``nested`` (wandb 0.17+), else plain ``key`` s (0.16)."""

    names: list[str]
    codes: np.ndarray
    rows: np.ndarray
    nested: bool
    texts: Texts


def read_items(records: Records, indices: np.ndarray, kind: str) -> Items | None:
    """The items of the ``history`` or ``summary`` (``kind``) records ``indices`` of ``records``, when every item
    has one key and one value (keys all ``nested_key`` parts, or all plain keys) and the summary records remove
    nothing; else ``None``. See the module docstring."""
    if not len(indices):
        return None
    items = _wire_items(records, indices, kind)
    if items is None:
        items = _merged_items([records.payloads[index] for index in indices.tolist()], kind)
    return items


def _tag(message: type, field: str, wire_type: int = 2) -> bytes:
    """The key of a field of one of wandb's messages (field number and wire type), as the varint it is written as."""
    key = message.DESCRIPTOR.fields_by_name[field].number << 3 | wire_type
    out = bytearray()
    while key > 0x7F:
        out.append(key & 0x7F | 0x80)
        key >>= 7
    return bytes([*out, key])


_RECORD_TAGS = {"history": HISTORY_TAG, "summary": SUMMARY_TAG}
_ITEM_TAG = _tag(pb.HistoryRecord, "item")  # SummaryRecord.update is numbered alike (checked below)
_STEP_TAG, _STEP_NUM_TAG = _tag(pb.HistoryRecord, "step"), _tag(pb.HistoryStep, "num", wire_type=0)
_NESTED_TAG, _KEY_TAG = _tag(pb.HistoryItem, "nested_key"), _tag(pb.HistoryItem, "key")
_VALUE_TAG = _tag(pb.HistoryItem, "value_json")
if (_ITEM_TAG != _tag(pb.SummaryRecord, "update") or len(_VALUE_TAG) != 2
        or any(len(tag) != 1 for tag in (_ITEM_TAG, _STEP_TAG, _STEP_NUM_TAG, _NESTED_TAG, _KEY_TAG))):
    raise RuntimeError("wandb's history and summary messages no longer number their fields as this reader expects")
_SHORT = 0x7F  # the longest length a one-byte varint holds
# How far past a place where an item may start its bytes are read: tag, length, key tag, key length (a byte, read
# before it is checked), that many bytes, value tag and value length. Records pads its bytes for that.
if 4 + 0xFF + 3 > PADDING:
    raise RuntimeError("Records.data is padded too little for this reader")


def _wire_items(records: Records, indices: np.ndarray, kind: str) -> Items | None:
    """The items read from the records' bytes; ``None`` unless every record is laid out as the module docstring
    says."""
    data, starts = records.data, records.starts[indices]
    ends, at = starts + records.lengths[indices], starts + records.at[indices]
    if np.any(at + 1 >= ends) or np.any(data[at] != _RECORD_TAGS[kind]):
        return None
    # The record field's length, a varint of up to three bytes, and the field reaching the end of the record.
    size, width = _short_varints(data, at + 1)
    if size is None or not np.array_equal(at + 1 + width + size, ends):
        return None
    walked = _walk(data, at + 1 + width, ends, steps=kind == "history")
    if walked is None:
        return None
    items, rows = walked
    key_tags, key_lengths = data[items + 2], data[items + 3].astype(np.int64)
    value_tags = items + 4 + key_lengths
    value_lengths = data[value_tags + 2].astype(np.int64)
    if not np.all((key_tags == key_tags[0]) & ((key_tags == _NESTED_TAG[0]) | (key_tags == _KEY_TAG[0]))
                  & (data[value_tags] == _VALUE_TAG[0]) & (data[value_tags + 1] == _VALUE_TAG[1])
                  & (value_lengths <= _SHORT) & (data[items + 1] == key_lengths + value_lengths + 5)):
        return None  # an item with another shape: a key of several parts, a typed value, a length of two bytes
    encoded = _cut(data, items + 4, key_lengths, pa.binary()).dictionary_encode()
    try:
        names = [name.decode() for name in encoded.dictionary.to_pylist()]
    except UnicodeDecodeError:  # not UTF-8: the reader that parses decides
        return None
    return Items(names, encoded.indices.to_numpy(), rows, bool(key_tags[0] == _NESTED_TAG[0]),
                 Texts(data, value_tags + 3, value_lengths))


def _short_varints(data: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
    """The varints at ``at``, and how many bytes each takes; ``(None, None)`` if any takes more than three."""
    value = np.zeros(len(at), np.int64)
    width = np.zeros(len(at), np.int64)
    going = np.ones(len(at), bool)
    for shift in range(3):
        byte = data[at + shift].astype(np.int64)
        value[going] |= (byte[going] & 0x7F) << (7 * shift)
        width[going] += 1
        going &= byte > 0x7F
    return (None, None) if going.any() else (value, width)


def _walk(data: np.ndarray, fields: np.ndarray, ends: np.ndarray, steps: bool) -> tuple[np.ndarray, ...] | None:
    """Walk the fields of every record's history or summary message at once, as a protobuf parser walks each: from
    ``fields`` to ``ends``, one field after another, each a one-byte tag and a one-byte length. Every field must be
    an item, or (``steps``) a history row's ``step``; else ``None``. The items' starts, in file order, and their
    records."""
    records = len(fields)
    turns: list[tuple[np.ndarray, np.ndarray | None, np.ndarray]] = []  # where each field starts, whose, is it an item
    step_starts: list[np.ndarray] = []
    step_ends: list[np.ndarray] = []
    position = fields.copy()
    going: np.ndarray | None = None if np.all(position < ends) else np.flatnonzero(position < ends)
    while going is None or len(going):
        at = position if going is None else position[going]
        tags, lengths = data[at], data[at + 1].astype(np.int64)
        item = tags == _ITEM_TAG[0]
        if np.any(lengths > _SHORT) or not np.all(item | (steps & (tags == _STEP_TAG[0]))):
            return None
        after = at + 2 + lengths
        turns.append((at, going, item))
        if not np.all(item):
            step_starts.append(at[~item])
            step_ends.append(after[~item])
        limits = ends if going is None else ends[going]
        if np.any(after > limits):
            return None
        if going is None:
            position = after
        else:
            position[going] = after
        unfinished = after < limits
        if not np.all(unfinished):
            going = np.flatnonzero(unfinished) if going is None else going[unfinished]
    if step_starts and not _steps_fill(data, np.concatenate(step_starts), np.concatenate(step_ends)):
        return None
    if all(going is None for _, going, _ in turns):  # every record has as many fields: a table, turns by records
        starts = np.stack([at for at, _, _ in turns], axis=1)
        items = np.stack([item for _, _, item in turns], axis=1)
        counts = items.sum(axis=1)
        return (starts[items], np.repeat(np.arange(records), counts)) if counts.any() else None
    # Else each item goes after the items of the records before its own, and after the items of its own record
    # found in earlier turns.
    counts = np.zeros(records, np.int64)
    for _, going, item in turns:
        counts[np.arange(records) if going is None else going] += item
    if not counts.any():
        return None
    places = np.cumsum(counts) - counts
    found = np.empty(int(counts.sum()), np.int64)
    for at, going, item in turns:
        owners = (np.arange(records) if going is None else going)[item]
        found[places[owners]] = at[item]
        places[owners] += 1
    return found, np.repeat(np.arange(records), counts)


def _steps_fill(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> bool:
    """True if each span ``starts[i]:ends[i]`` is one ``step`` field: its tag, its length, and either nothing (step
    0) or ``num``'s tag and a varint that ends exactly there."""
    size = ends - starts - 2
    if np.any(data[starts] != _STEP_TAG[0]) or np.any(data[starts + 1] != size) or np.any(size > 11):
        return False
    numbered = size > 0
    if np.any(data[starts[numbered] + 2] != _STEP_NUM_TAG[0]) or np.any(size[numbered] == 1):
        return False
    for offset in range(3, 13):  # the varint's bytes: each but the last has its high bit set
        inside = numbered & (starts + offset < ends)
        last = inside & (starts + offset == ends - 1)
        high = data[starts + offset] > 0x7F
        if np.any(high[last]) or not np.all(high[inside & ~last]):
            return False
    return True


def _cut(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, kind: pa.DataType) -> pa.Array:
    """The byte strings ``data[starts[i] : starts[i] + lengths[i]]`` (in increasing, non-overlapping order) as an
    Arrow array of ``kind``: ``pa.binary()``, or ``pa.string()``, which checks that they are UTF-8.

    Arrow copies them out of one array over ``data`` whose elements are the strings and the stretches between them,
    taking every other element."""
    count = len(starts)
    if not count:
        return pa.array([], kind)
    bounds = np.empty(2 * count, np.int32)
    bounds[0::2] = starts
    bounds[1::2] = starts + lengths
    spans = pa.BinaryArray.from_buffers(pa.binary(), 2 * count - 1, [None, pa.py_buffer(bounds), pa.py_buffer(data)])
    return spans.take(pa.array(np.arange(0, 2 * count, 2, dtype=np.int32))).cast(kind)


def _merged_items(payloads: Sequence[bytes], kind: str) -> Items | None:
    """The items read through the merged view of the batch, whose lists hold an end marker after each record."""
    view = merge_batch(payloads, kind)
    if view is None:
        return None
    if kind == "history":
        items = view.item
    elif view.HasField("remove"):
        return None
    else:
        items = view.update
    records = len(payloads)
    nested, plain, texts = items.nested_key, items.key, items.value_json
    if len(plain) == records:  # the end markers' only: keys are nested_key parts (wandb 0.17+)
        keys, others, in_parts = nested, plain, True
    elif len(nested) == records:  # wandb <= 0.16: plain keys
        keys, others, in_parts = plain, nested, False
    else:
        return None
    if len(texts) != len(keys) or list(others) != [RECORD_END] * records:  # (before any array is made)
        return None
    # Lists first: Arrow makes an array from a list of str far faster than from the protobuf container.
    encoded = pa.array(list(keys), pa.string()).dictionary_encode()
    names, codes = encoded.dictionary.to_pylist(), encoded.indices.to_numpy()
    values = pa.array(list(texts), pa.string())
    if RECORD_END not in names:
        return None
    end = names.index(RECORD_END)
    ends = codes == end
    if np.count_nonzero(ends) != records or not pc.all(pc.equal(values.filter(pa.array(ends)), RECORD_END)).as_py():
        return None
    rows = np.cumsum(ends) - ends
    keep = ~ends
    del names[end]
    codes = codes[keep]
    return Items(names, codes - (codes > end), rows[keep], in_parts, Texts.of(values.filter(pa.array(keep))))
