"""Protobuf *views* of W&B records: message classes that read a ``.wandb`` log's hot records in bulk.

A long run is millions of history and summary values, so the hot records are not decoded into wandb's
``Record`` classes item by item. They are parsed into *views* -- message classes built here from the field
numbers of wandb's own descriptors -- whose item fields are declared singular: protobuf merges a singular
message that occurs several times, so all items of a record land in one message whose repeated ``nested_key``
and ``value_json`` lists come out in one C call each, and pair up index by index when every item has one key
and one value. Values stay JSON text until the end, when numbers are converted in bulk. A record that does not
pair up (multi-part keys, removals) is read item by item through a view that keeps items apart, and one whose
items carry only typed values (no ``value_json``) through wandb's ``Record`` class.

Merging works across records too: serialized messages laid end to end parse as their merge, so a whole batch of
history (or summary) records parses in one call into one view, with every item of the batch in two flat lists
(:func:`merge_batch`), and no per-record Python work. (Batches as wandb writes them are read faster still, from
their bytes, by :mod:`sprintboard.ingest.wandb_items`; the merge takes what that reader does not.) What the merge
loses is where each record's items end; so after each record the batch holds an *end marker*, an item whose key, key
part and value are all :data:`RECORD_END`, and :func:`record_ends` finds them again. Counting the markers also checks
the batch: a record that is not valid on its own could swallow the bytes after it when parsed as part of the batch,
and with them a marker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from wandb.proto import wandb_internal_pb2 as pb


def _number(message: Any, field: str) -> int:
    return message.DESCRIPTOR.fields_by_name[field].number


def _build_views() -> dict[str, Any]:
    """Build the view classes in a private descriptor pool, with field numbers taken from wandb's descriptors."""
    F = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(name="sprintboard_wandb_views.proto", package="sbviews")
    file.syntax = "proto3"

    def message(name: str, fields: list[tuple[str, int, int, str | None]], oneof: str | None = None) -> None:
        msg = file.message_type.add(name=name)
        if oneof:
            msg.oneof_decl.add(name=oneof)
        for fname, number, ftype, type_name in fields:
            # A type name ending in "[]" is repeated. In "Record" the item message fields are singular on
            # purpose, so that the parser merges every item of a record into one (see the module docstring).
            repeated = bool(type_name) and type_name.endswith("[]")
            label = F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL
            field = msg.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name and type_name != "[]":
                field.type_name = f".sbviews.{type_name.removesuffix('[]')}"
            if oneof:
                field.oneof_index = 0

    item = pb.HistoryItem
    numbers = {name: _number(item, name) for name in ("key", "nested_key", "value_json")}
    for other in (pb.SummaryItem, pb.ConfigItem, pb.StatsItem):
        if any(_number(other, name) != number for name, number in numbers.items() if name in
               other.DESCRIPTOR.fields_by_name):
            raise RuntimeError(f"wandb's {other.DESCRIPTOR.name} no longer numbers its fields like HistoryItem")
    message("Items", [(name, number, F.TYPE_STRING, "[]") for name, number in numbers.items()])
    # One item as wandb's item classes have it, for records read item by item without wandb's Record class.
    message("Item", [(name, number, F.TYPE_STRING, "[]" if name == "nested_key" else None)
                     for name, number in numbers.items()])
    message("Step", [("num", _number(pb.HistoryStep, "num"), F.TYPE_INT64, None)])
    message("Stamp", [("seconds", 1, F.TYPE_INT64, None), ("nanos", 2, F.TYPE_INT32, None)])
    message("History", [("item", _number(pb.HistoryRecord, "item"), F.TYPE_MESSAGE, "Items"),
                        ("step", _number(pb.HistoryRecord, "step"), F.TYPE_MESSAGE, "Step")])
    message("Updates", [("update", _number(pb.SummaryRecord, "update"), F.TYPE_MESSAGE, "Items"),
                        ("remove", _number(pb.SummaryRecord, "remove"), F.TYPE_MESSAGE, "Items")])
    message("Stats", [("timestamp", _number(pb.StatsRecord, "timestamp"), F.TYPE_MESSAGE, "Stamp"),
                      ("item", _number(pb.StatsRecord, "item"), F.TYPE_MESSAGE, "Items")])
    hot = [("history", "History"), ("summary", "Updates"), ("config", "Updates"), ("stats", "Stats")]
    # Rare records are only recognised here (as opaque bytes) and decoded with wandb's Record class.
    rare = [name for name in ("run", "exit", "environment", "header") if name in pb.Record.DESCRIPTOR.fields_by_name]
    message("Record", [(name, _number(pb.Record, name), F.TYPE_MESSAGE, view) for name, view in hot]
            + [(name, _number(pb.Record, name), F.TYPE_BYTES, None) for name in rare], oneof="record_type")
    # The same records with items kept apart: for those whose merged items cannot be paired up.
    message("HistoryList", [("item", _number(pb.HistoryRecord, "item"), F.TYPE_MESSAGE, "Item[]"),
                            ("step", _number(pb.HistoryRecord, "step"), F.TYPE_MESSAGE, "Step")])
    message("UpdatesList", [("update", _number(pb.SummaryRecord, "update"), F.TYPE_MESSAGE, "Item[]"),
                            ("remove", _number(pb.SummaryRecord, "remove"), F.TYPE_MESSAGE, "Item[]")])
    listed = [("history", "HistoryList"), ("summary", "UpdatesList"), ("config", "UpdatesList")]
    message("RecordList", [(name, _number(pb.Record, name), F.TYPE_MESSAGE, view) for name, view in listed],
            oneof="record_type")
    # Many records merged (see merge_batch): every kind of record, but not as a oneof, so that a record holding a
    # field of another kind besides its own shows, rather than clearing what the records before it held.
    kinds = [field.name for field in pb.Record.DESCRIPTOR.oneofs_by_name["record_type"].fields]
    batched = {"history": "History", "summary": "Updates"}
    message("Batch", [(name, _number(pb.Record, name), F.TYPE_MESSAGE, batched[name]) if name in batched
                      else (name, _number(pb.Record, name), F.TYPE_BYTES, None) for name in kinds])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"sbviews.{name}"))
            for name in ("Record", "RecordList", "Batch")}


_VIEWS = _build_views()
RecordView = _VIEWS["Record"]
RecordListView = _VIEWS["RecordList"]
_BatchView = _VIEWS["Batch"]


def paired_keys(items: Any) -> Any | None:
    """The key list of a merged ``Items`` view when every item has exactly one key and one ``value_json``
    (so the i-th key and the i-th value belong together), else ``None``."""
    count = len(items.value_json)
    nested, plain = items.nested_key, items.key
    if len(nested) == count and not plain:
        return nested
    if len(plain) == count and not nested:
        return plain
    return None


# The key, key part and value of the item that ends each record of a merged batch. No W&B key or JSON value is a
# lone NUL; a batch where one is found anyway (more markers than records) is read record by record instead.
RECORD_END = "\x00"


def _end_marker(kind: str) -> bytes:
    record = pb.Record()
    updates = getattr(record, kind)
    item = updates.item.add() if kind == "history" else updates.update.add()
    item.key, item.value_json = RECORD_END, RECORD_END
    item.nested_key.append(RECORD_END)
    return record.SerializeToString()


_END_MARKERS = {kind: _end_marker(kind) for kind in ("history", "summary")}


def merge_batch(payloads: Sequence[bytes], kind: str) -> Any | None:
    """The ``History`` (``kind="history"``) or ``Updates`` (``"summary"``) view of the serialized records
    ``payloads`` merged into one, each record's items followed by an end marker; ``None`` unless the batch parses
    and every field it holds is of that kind (a record with a field of another kind after its own is of that other
    kind to wandb, whose ``Record`` keeps the last)."""
    marker = _END_MARKERS[kind]
    view = _BatchView()
    try:
        view.ParseFromString(marker.join(payloads) + marker)
    except Exception:  # noqa: BLE001 - protobuf's DecodeError types vary by backend
        return None
    return getattr(view, kind) if [field.name for field, _ in view.ListFields()] == [kind] else None


def record_ends(texts: list[str], records: int) -> list[int] | None:
    """The positions of the end markers in a list of a merged batch of ``records`` records, one per record in
    order; ``None`` unless there are exactly ``records`` of them."""
    ends: list[int] = []
    at, find = -1, texts.index
    try:
        for _ in range(records):
            at = find(RECORD_END, at + 1)
            ends.append(at)
    except ValueError:
        return None
    return None if RECORD_END in texts[at + 1 :] else ends
