"""Building ``.wandb`` records by hand for parser tests: ``record(summary=summary(a="1"))`` and so on."""

from __future__ import annotations

from wandb.proto import wandb_internal_pb2 as pb


def record(num: int | None = None, **kinds) -> bytes:
    """One serialized ``Record``; each keyword names a record kind and gives a builder that fills it in."""
    message = pb.Record()
    if num is not None:
        message.num = num
    for kind, build in kinds.items():
        build(getattr(message, kind))
    return message.SerializeToString()


def summary(remove: tuple[str, ...] = (), **items: str):
    """A summary record's builder: one update per item (``|`` separates nested key parts), then the removals."""
    def build(message: pb.SummaryRecord) -> None:
        for key, raw in items.items():
            message.update.add(nested_key=key.split("|"), value_json=raw)
        for key in remove:
            message.remove.add(nested_key=key.split("|"))

    return build
