"""Serialized ``.wandb`` records as wandb 0.31 writes them for ``run.log(...)``, encoded by hand for speed.

A logged step is three records: a summary record with the runtime (``_wandb.runtime`` and ``_runtime``, whole
seconds), a summary record with every item of the row, and the history record with the same items and the step.
Items name their key as a one-part ``nested_key`` and hold the value as JSON text (``value_json``), meta keys
``_timestamp``, ``_runtime`` and ``_step`` included.

wandb's protobuf classes take about 150 µs to build and serialize one such record in Python; these functions write
the same bytes (fields in field-number order, as protobuf serializes them) from pre-encoded key prefixes, about
twenty times faster. ``tests/bench`` checks them against ``wandb_internal_pb2`` byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from wandb.proto import wandb_internal_pb2 as pb

# Tags (field number << 3 | wire type) of the fields written here; the numbers are wandb_internal.proto's.
_RECORD_NUM = b"\x08"  # Record.num = 1, varint
_RECORD_HISTORY = b"\x12"  # Record.history = 2
_RECORD_SUMMARY = b"\x1a"  # Record.summary = 3
_ITEM = b"\x0a"  # HistoryRecord.item = 1, SummaryRecord.update = 1
_HISTORY_STEP = b"\x12"  # HistoryRecord.step = 2
_STEP_NUM = b"\x08"  # HistoryStep.num = 1, varint
_KEY = b"\x0a"  # HistoryItem.key = 1, SummaryItem.key = 1
_NESTED_KEY = b"\x12"  # HistoryItem.nested_key = 2, SummaryItem.nested_key = 2
_VALUE_JSON = b"\x82\x01"  # HistoryItem.value_json = 16, SummaryItem.value_json = 16

PRODUCER = "0.31.0"


def varint(number: int) -> bytes:
    """Protobuf's base-128 varint of a non-negative ``number``."""
    return _SMALL_VARINTS[number] if number < len(_SMALL_VARINTS) else _encode_varint(number)


def _encode_varint(number: int) -> bytes:
    out = bytearray()
    while number > 0x7F:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


# Lengths and record numbers are mostly small: looked up rather than computed.
_SMALL_VARINTS = [_encode_varint(number) for number in range(1 << 14)]


def _field(tag: bytes, body: bytes) -> bytes:
    return tag + varint(len(body)) + body


# The two items of the runtime summary record, up to their value: ``_wandb.runtime`` as a nested key, ``_runtime``
# as a plain key.
_WANDB_RUNTIME = _field(_NESTED_KEY, b"_wandb") + _field(_NESTED_KEY, b"runtime")
_RUNTIME_KEY = _field(_KEY, b"_runtime")


class StepEncoder:
    """The three records of each logged step of one run whose rows all log the same ``keys``."""

    def __init__(self, keys: Sequence[str]) -> None:
        names = [*keys, "_timestamp", "_runtime", "_step"]
        self.prefixes = [_field(_NESTED_KEY, name.encode()) + _VALUE_JSON for name in names]

    def items(self, values: Sequence[str]) -> bytes:
        """The items of a row: ``values`` are the JSON texts of the keys, then timestamp, runtime and step."""
        small = _SMALL_VARINTS
        parts = []
        for prefix, value in zip(self.prefixes, values, strict=True):
            encoded = value.encode()
            body = prefix + small[len(encoded)] + encoded  # a JSON number is far shorter than 16 KiB
            parts.append(_ITEM + small[len(body)] + body)
        return b"".join(parts)

    def step_records(self, num: int, step: int, runtime: float, values: Sequence[str]) -> tuple[bytes, bytes, bytes]:
        """The runtime summary, row summary and history records of one step; record numbers ``num`` to ``num + 2``.
        ``values`` as for :meth:`items`."""
        small = _SMALL_VARINTS
        items = self.items(values)
        seconds = str(int(runtime)).encode()
        value = _VALUE_JSON + small[len(seconds)] + seconds
        wandb_runtime, runtime_key = _WANDB_RUNTIME + value, _RUNTIME_KEY + value
        runtime_items = (_ITEM + small[len(wandb_runtime)] + wandb_runtime
                         + _ITEM + small[len(runtime_key)] + runtime_key)
        step_message = _STEP_NUM + varint(step) if step else b""
        history = items + _HISTORY_STEP + small[len(step_message)] + step_message
        return (_RECORD_NUM + varint(num) + _field(_RECORD_SUMMARY, runtime_items),
                _RECORD_NUM + varint(num + 1) + _field(_RECORD_SUMMARY, items),
                _RECORD_NUM + varint(num + 2) + _field(_RECORD_HISTORY, history))


def header_record(num: int, run_id: str) -> bytes:
    record = pb.Record(num=num)
    record.header.version_info.producer = PRODUCER
    record.header.version_info.min_consumer = "0.70.0"
    record._info.stream_id = run_id
    return record.SerializeToString()


def table_step_records(num: int, step: int, key: str, ref: dict, meta: dict[str, str]) -> tuple[bytes, bytes]:
    """The row summary and history records of a step logging only a table under ``key`` (its reference ``ref``),
    numbered ``num`` and ``num + 1``. The summary holds the reference whole; the history splits it into nested
    keys, as wandb 0.17+ splits every dict. ``meta``: ``_timestamp``, ``_runtime`` and ``_step`` as JSON texts."""
    summary = pb.Record(num=num)
    summary.summary.update.add(nested_key=[key], value_json=json.dumps(ref))
    history = pb.Record(num=num + 1)
    for field, value in ref.items():
        history.history.item.add(nested_key=[key, field], value_json=json.dumps(value))
    for name, value in meta.items():
        summary.summary.update.add(nested_key=[name], value_json=value)
        history.history.item.add(nested_key=[name], value_json=value)
    history.history.step.num = step
    return summary.SerializeToString(), history.SerializeToString()


def exit_record(num: int, exit_code: int, runtime: int) -> bytes:
    record = pb.Record(num=num)
    record.exit.exit_code = exit_code
    record.exit.runtime = runtime
    return record.SerializeToString()
