"""History rows read a batch at a time, as wandb writes them.

For a long log, the work done per history record in Python -- a parse, finding the row's step, timestamp and
runtime, extending lists -- would be most of the time. Over a batch it is array work: the batch's items are read at
once (:mod:`~sprintboard.ingest.wandb_items`), and finding each row's step, timestamp and runtime, dropping internal
keys and converting numbers run in Arrow and numpy, so the rows reach the loader as Arrow arrays without their
values becoming Python objects.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sprintboard.ingest.wandb_items import read_items
from sprintboard.ingest.wandb_numbers import double_array
from sprintboard.ingest.wandb_record_kinds import Records

# What a key is to a batch (see batch_rows): a point, a row's own step, timestamp or runtime, or another internal key.
_POINT, _STEP, _TIMESTAMP, _RUNTIME, _INTERNAL = range(5)
_ROLES = {"_step": _STEP, "_timestamp": _TIMESTAMP, "_runtime": _RUNTIME}


class _Roles(dict):
    """The role of each key, worked out on first sight: a batch holds few distinct keys."""

    def __missing__(self, name: str) -> int:
        role = self[name] = _ROLES.get(name, _INTERNAL if name.startswith("_") else _POINT)
        return role


class BatchRows(NamedTuple):
    """History rows read in bulk: their points' keys and JSON texts (meta keys left out) and, when they are all
    numbers, those numbers; and per row the number of points, the step, the timestamp and the runtime."""

    keys: pa.Array
    raws: pa.Array
    nums: pa.Array | None
    counts: np.ndarray
    steps: np.ndarray
    times: np.ndarray
    runtimes: np.ndarray


def batch_rows(records: Records, indices: np.ndarray) -> BatchRows | None:
    """The rows of the history records ``indices`` of ``records``, read at once (see
    :mod:`~sprintboard.ingest.wandb_items`); ``None`` unless every record's items pair up (one key and one value
    each) and every row has exactly one integer ``_step`` and one numeric ``_timestamp`` and ``_runtime`` -- as
    wandb writes them. The caller then reads the records one by one, which handles anything else.

    The three meta keys and the points are told apart by one role code per item -- worked out once per distinct
    key -- so that the per-row work (finding the meta keys, dropping internal keys, counting points) is array work.
    """
    items, rows = read_items(records, indices, "history"), len(indices)
    if items is None:
        return None
    roles = _Roles()
    codes = np.fromiter((roles[name] for name in items.names), np.int8, len(items.names))[items.codes]
    row_numbers = np.arange(rows)
    meta = []
    try:
        for role in (_STEP, _TIMESTAMP, _RUNTIME):
            at = np.flatnonzero(codes == role)  # exactly one per row, in row order
            if not np.array_equal(items.rows[at], row_numbers):
                return None
            texts = items.texts.take(at, checked=False)  # numbers, or the batch goes to the slow path
            lane = pc.cast(texts, pa.int64()) if role == _STEP else double_array(texts)
            meta.append(lane.to_numpy())
        points = np.flatnonzero(codes == _POINT)
        raws, nums = items.texts.take(points, checked=False), None
        try:
            nums = double_array(raws)  # all numbers, so all ASCII
        except ValueError:
            raws = items.texts.take(points)  # not all numbers: they must be UTF-8 (ValueError if not)
        items.texts.check(np.flatnonzero(codes == _INTERNAL))  # left out, but not UTF-8: the slow path decides
    except ValueError:  # ArrowInvalid: not as int() and float() read them, or not UTF-8; the slow path decides
        return None
    counts = np.bincount(items.rows[points], minlength=rows)
    keys = pa.array(items.names, pa.string()).take(pa.array(items.codes[points]))
    return BatchRows(keys, raws, nums, counts, *meta)
