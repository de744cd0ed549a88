"""What a parser hands to the loader: one format-neutral description of the runs, tables and backlog a file holds.

Every source format (run folders, ``.wandb`` logs, CSV exports, API dumps, backlog files) is parsed into these
classes; only :mod:`sprintboard.ingest.loader` turns them into store rows. Keeping the classes plain data means a
parser can be tested without a store, and the loader has one shape to write.

Value typing, shared by history, config and summary:

* ``int``/``float`` (including NaN and ±Infinity) are numbers and go to ``value_num``, except a whole number too
  large for a float (beyond about 1.8e308), which is kept exactly as its digits in ``value_text``;
* ``str`` goes to ``value_text`` as it is;
* ``bool``, ``None``, lists and dicts go to ``value_text`` as JSON (``true``, ``null``, ``{"_type": ...}``), so a
  media reference or a flag is kept, never turned into a number.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from json.encoder import encode_basestring_ascii
from typing import Any

import pyarrow as pa


def split_value(value: Any) -> tuple[float | None, str | None]:
    """Return ``(value_num, value_text)`` for one logged value, following the typing rule in the module docstring."""
    if isinstance(value, bool) or value is None:
        return None, json.dumps(value)
    if isinstance(value, int | float):
        try:
            return float(value), None
        except OverflowError:  # a whole number beyond float range: its digits, never a silent infinity
            return None, str(value)
    if isinstance(value, str):
        return None, value
    return None, json.dumps(value, allow_nan=True, default=str, sort_keys=True)


def to_json(value: Any) -> str:
    """JSON text of a config or summary value; NaN and Infinity are written as the bare tokens W&B itself uses.

    Plain numbers, strings, booleans and null -- nearly every value of a runs-table export -- are written directly,
    exactly as ``json.dumps`` writes them, without its per-call set-up; other values go through ``json.dumps``."""
    kind = type(value)
    if kind is float:
        if math.isfinite(value):
            return float.__repr__(value)
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if kind is int:
        return int.__repr__(value)
    if kind is str:
        return encode_basestring_ascii(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    return json.dumps(value, allow_nan=True, default=str, sort_keys=True)


def flatten(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts to dotted keys: ``{"val": {"auc": 1}} -> {"val.auc": 1}``.

    A key that itself contains ``/`` or ``.`` is kept as it is (``train/loss`` stays ``train/loss``). A dict that
    carries a W&B ``_type`` (a media or table reference) is a value, not a namespace, and is not flattened. An empty
    dict is kept as a value so that it is not lost.
    """
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value and "_type" not in value:
            flat.update(flatten(value, name))
        else:
            flat[name] = value
    return flat


def set_nested(tree: dict[str, Any], parts: tuple[str, ...] | list[str], value: Any) -> None:
    """Put ``value`` at the key path ``parts`` of ``tree``, making dicts on the way and replacing a non-dict met
    there (a later nested key wins over an earlier leaf)."""
    node = tree
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def naive_utc(moment: datetime) -> datetime:
    """The store's convention for moments: an aware moment as naive UTC; a naive one is already UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def parse_utc(text: Any) -> datetime | None:
    """ISO 8601 text as W&B writes it (``2024-10-12T23:06:30.971217Z``, or without the ``Z`` for UTC) as naive UTC;
    ``None`` for anything else."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return naive_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


class HistoryColumns:
    """Long-form history points as parallel columns, so large runs load in bulk.

    One point is one (step, metric key) pair. ``timestamp`` is seconds since the Unix epoch (UTC) and ``runtime`` is
    seconds since the run started; either may be ``None`` when the source does not record it.

    Small parsers :meth:`append` points one by one to Python lists. A parser that decodes in bulk hands over an Arrow
    table (:meth:`from_arrow`), which the loader takes as it is (:meth:`to_arrow`); reading a column attribute
    (``key``, ``value_num``...) of such columns turns them into lists once.
    """

    NAMES = ("step", "timestamp", "runtime", "key", "value_num", "value_text")
    SCHEMA = pa.schema([("step", pa.int64()), ("timestamp", pa.float64()), ("runtime", pa.float64()),
                        ("key", pa.string()), ("value_num", pa.float64()), ("value_text", pa.string())])

    __slots__ = ("_lists", "_table")

    def __init__(self) -> None:
        self._lists: dict[str, list] | None = {name: [] for name in self.NAMES}
        self._table: pa.Table | None = None

    @classmethod
    def from_arrow(cls, table: pa.Table) -> HistoryColumns:
        """Columns backed by ``table``, which has :attr:`SCHEMA` (cast to it otherwise)."""
        columns = cls()
        columns._lists = None
        columns._table = table if table.schema.equals(cls.SCHEMA) else table.select(cls.NAMES).cast(cls.SCHEMA)
        return columns

    def _as_lists(self) -> dict[str, list]:
        if self._lists is None:
            self._lists = self._table.to_pydict()
            self._table = None
        return self._lists

    def __getattr__(self, name: str) -> list:
        if name in HistoryColumns.NAMES:
            return self._as_lists()[name]
        raise AttributeError(name)

    def append(self, step: int, timestamp: float | None, runtime: float | None, key: str, value: Any) -> None:
        num, text = split_value(value)
        lists = self._as_lists()
        lists["step"].append(step)
        lists["timestamp"].append(timestamp)
        lists["runtime"].append(runtime)
        lists["key"].append(key)
        lists["value_num"].append(num)
        lists["value_text"].append(text)

    def extend(self, other: HistoryColumns) -> None:
        lists, more = self._as_lists(), other._as_lists()
        for name in self.NAMES:
            lists[name].extend(more[name])

    def to_arrow(self) -> pa.Table:
        """The points as an Arrow table of :attr:`SCHEMA`."""
        if self._table is not None:
            return self._table
        return pa.table({name: pa.array(values, self.SCHEMA.field(name).type)
                         for name, values in self._as_lists().items()})

    def __len__(self) -> int:
        return self._table.num_rows if self._table is not None else len(self._lists["step"])

    def as_dict(self) -> dict[str, list]:
        return dict(self._as_lists())


@dataclass
class ParsedTable:
    """A logged table (``wandb.Table``): ``columns`` names and ``rows`` of cell values, as logged under ``key``."""

    key: str
    columns: list[str]
    rows: list[list[Any]]
    step: int | None = None
    source_path: str | None = None

    @classmethod
    def from_document(cls, key: str, document: Any, step: int | None, source_path: str) -> ParsedTable | None:
        """The table in a ``.table.json`` document (``{"columns": [...], "data": [[...], ...]}``); ``None`` when it
        holds no such lists."""
        columns = document.get("columns") if isinstance(document, dict) else None
        rows = document.get("data") if isinstance(document, dict) else None
        if not isinstance(columns, list) or not isinstance(rows, list):
            return None
        return cls(key=key, columns=[str(c) for c in columns], rows=rows, step=step, source_path=source_path)


@dataclass
class ParsedRun:
    """One W&B run as far as a source describes it; fields a source does not carry stay ``None`` or empty.

    ``state`` is one of ``finished`` (exit code 0), ``failed`` (non-zero exit code), ``running/killed`` (no exit
    record: the log cannot tell a live run from a killed one), ``crashed``, ``running`` or ``unknown`` as exported by
    W&B. ``created_at`` is a naive UTC datetime. ``config`` and ``summary`` are flattened to dotted keys.

    ``logged_data_only`` marks a source that carries only logged data -- history points (a chart export, an API
    history dump) or a table (a ``.table.json`` file) -- and none of the run's own fields, config or summary. The
    loader then keeps whatever the store already knows about the run, and only adds a bare run row (state
    ``unknown``) when the run is new.
    """

    run_id: str
    project: str | None = None
    entity: str | None = None
    name: str | None = None
    state: str = "unknown"
    created_at: datetime | None = None
    runtime_s: float | None = None
    exit_code: int | None = None
    notes: str | None = None
    user: str | None = None
    group: str | None = None
    job_type: str | None = None
    tags: list[str] = field(default_factory=list)
    sweep_id: str | None = None
    host: str | None = None
    git_commit: str | None = None
    git_remote: str | None = None
    program: str | None = None
    url: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    history: HistoryColumns = field(default_factory=HistoryColumns)
    tables: list[ParsedTable] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    logged_data_only: bool = False


@dataclass
class ParsedSprint:
    """A sprint (or increment): dates are inclusive calendar days in the team's local time."""

    sprint_id: str
    name: str
    start_date: date | None = None
    end_date: date | None = None
    goal: str | None = None
    team: str | None = None
    state: str | None = None


@dataclass
class ParsedItem:
    """A backlog item; ``item_type`` is one of story, hypothesis, spike, task, bug."""

    item_id: str
    title: str
    item_type: str = "story"
    status: str | None = None
    points: float | None = None
    timebox_hours: float | None = None
    sprint_id: str | None = None
    assignee: str | None = None
    created_at: datetime | None = None
    resolved_at: datetime | None = None
    labels: list[str] = field(default_factory=list)


@dataclass
class ParsedEvent:
    """One change to an item: ``field`` is ``status``, ``sprint``, ``points``, ``timebox_hours`` or ``created``."""

    item_id: str
    occurred_at: datetime
    field: str
    from_value: str | None
    to_value: str | None
    author: str | None = None


@dataclass
class ParsedMetricGoal:
    """What a team calls better for a summary metric, and its baseline and target (see ``docs/schema.md``)."""

    key: str
    better: str | None = None
    baseline: float | None = None
    target: float | None = None
    headline: bool = False


@dataclass
class ParsedFairnessPolicy:
    """How the team's bias checks run (see ``docs/schema.md``, table ``fairness_policy``)."""

    table_key: str | None = None
    label: str | None = None
    prediction: str | None = None
    score: str | None = None
    threshold: float | None = None
    attributes: list[str] = field(default_factory=list)
    action: str | None = None
    reach: str | None = None
    band_low: float | None = None
    band_high: float | None = None
    min_group_size: int | None = None


@dataclass
class ParsedHypothesis:
    """A hypothesis card; ``criteria`` is the success expression, ``aggregation`` how runs combine (best | mean)."""

    hypothesis_id: str
    statement: str
    item_id: str | None = None
    owner: str | None = None
    sprint_id: str | None = None
    timebox_hours: float | None = None
    criteria: str | None = None
    aggregation: str = "best"
    baseline_run_id: str | None = None
    baseline_value: float | None = None
    run_ids: list[str] = field(default_factory=list)


@dataclass
class ParsedBacklog:
    sprints: list[ParsedSprint] = field(default_factory=list)
    items: list[ParsedItem] = field(default_factory=list)
    events: list[ParsedEvent] = field(default_factory=list)
    hypotheses: list[ParsedHypothesis] = field(default_factory=list)
    metric_goals: list[ParsedMetricGoal] = field(default_factory=list)
    fairness: ParsedFairnessPolicy | None = None

