"""One chart panel of a W&B workspace, as the panel's "Export CSV" writes it: history points of several runs.

The first column is the chart's x-axis (``Step``, or any metric chosen as x-axis: ``_runtime``, ``epoch``, ...).
Every other column is one series, ``<run> - <metric>``, usually followed by ``<run> - <metric>__MIN`` and
``<run> - <metric>__MAX`` (the range W&B draws when it buckets many points into one). An empty cell is no point.

* Run: the text before the last ``" - "`` of the column name (run display names may contain ``" - "`` themselves,
  metric names in practice do not). The run id is ``name:<run>``, as a runs-table export without an ``ID`` column
  gives it, so a chart loaded beside such a table adds history to the same run.
* Step: with a ``Step`` x-axis, the x value (a whole number). With any other x-axis the export does not say the step,
  so points are numbered by row (the first data row is step 0), the x value is stored as a history key of its own
  (``epoch``), or fills the runtime or timestamp column for ``_runtime`` or ``_timestamp``, and the run gets a
  warning saying so.
* ``__MIN``/``__MAX``: dropped when they equal the value at every point (nothing was bucketed, the usual case);
  otherwise kept as keys ``<metric>__MIN`` and ``<metric>__MAX``.
* A whole number too large for a float (10**400) is kept as its digits, with a warning
  (:mod:`sprintboard.ingest.large_numbers`); a ``Step`` beyond the store's 64-bit steps is refused.

The export holds history only: its runs are marked ``logged_data_only``, so loading it never replaces a run's state,
config or summary, nor history under other keys.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sprintboard.ingest.csv_cells import cell_value, is_number, read_csv
from sprintboard.ingest.large_numbers import LargeNumbers, abbreviated, beyond_float
from sprintboard.ingest.parsed import ParsedRun
from sprintboard.store.errors import InputError

SEPARATOR = " - "
RANGE_SUFFIXES = ("__MIN", "__MAX")
STEP_AXES = ("Step", "_step")
# x-axes that are columns of the history table rather than keys (see docs/schema.md, table history)
_X_COLUMNS = {"_runtime": "runtime", "_timestamp": "timestamp"}
_STEPS = range(-(2**63), 2**63)  # the store's step column is a BIGINT


def looks_like_chart_export(header: list[str]) -> bool:
    """A chart export: an x-axis column, then at least one column and all of them ``<run> - <metric>`` (with an
    optional ``__MIN``/``__MAX`` suffix)."""
    return len(header) >= 2 and SEPARATOR not in header[0] and all(_series_name(c) for c in header[1:])


def row_is_points(header: list[str], row: list[str]) -> bool:
    """A data row of a chart export: one cell per column, each a number or empty (a line chart draws numbers)."""
    return len(row) == len(header) and all(cell == "" or is_number(cell_value(cell)) for cell in row)


def _series_name(column: str) -> tuple[str, str, str] | None:
    """``(run, metric, suffix)`` of a series column, suffix ``""``, ``__MIN`` or ``__MAX``; ``None`` if not one."""
    suffix = next((s for s in RANGE_SUFFIXES if column.endswith(s)), "")
    run, separator, metric = column[: len(column) - len(suffix)].rpartition(SEPARATOR)
    if not separator or not run.strip() or not metric.strip():
        return None
    return run, metric, suffix


@dataclass
class _Series:
    """One run's points for one metric: values and W&B's bucket range, each keyed by step."""

    value: dict[int, Any] = field(default_factory=dict)
    low: dict[int, Any] = field(default_factory=dict)
    high: dict[int, Any] = field(default_factory=dict)

    def lane(self, suffix: str) -> dict[int, Any]:
        return {"": self.value, "__MIN": self.low, "__MAX": self.high}[suffix]

    def range_adds_nothing(self) -> bool:
        steps = self.value.keys() | self.low.keys() | self.high.keys()
        return all(_same(self.low.get(s), self.value.get(s)) and _same(self.high.get(s), self.value.get(s))
                   for s in steps)


def _same(a: Any, b: Any) -> bool:
    if is_number(a) and is_number(b) and math.isnan(a) and math.isnan(b):
        return True
    return a == b and type(a) is type(b)


def parse_chart_export(path: Path | str) -> list[ParsedRun]:
    """Parse a chart-panel export into one history-only :class:`ParsedRun` per run; see the module docstring.

    Raises :class:`InputError` for a file that is not a chart export, a malformed CSV, or a ``Step`` that is empty,
    not a whole number the store holds, or repeated.
    """
    path = Path(path)
    table = read_csv(path)
    header = table.header
    if not looks_like_chart_export(header):
        raise InputError(path, "is not a W&B chart export (an x-axis column, then '<run> - <metric>' columns)")
    x_axis = header[0]
    by_step = x_axis in STEP_AXES
    columns = [_series_name(column) for column in header[1:]]
    series: dict[str, dict[str, _Series]] = {}
    for run, metric, _ in columns:
        series.setdefault(run, {}).setdefault(metric, _Series())
    x_values: dict[int, Any] = {}
    seen_steps: dict[int, int] = {}
    large = LargeNumbers()
    row_number = -1
    for line, values in table.rows():
        row_number += 1
        step = _step(path, line, x_axis, values[0]) if by_step else row_number
        if step in seen_steps:
            raise InputError(path, f"line {line}: {x_axis} {step} appears twice (first on line {seen_steps[step]})")
        seen_steps[step] = line
        if values[0] != "" and not by_step:
            x = cell_value(values[0])
            x_values[step] = large.kept(x, f"line {line}, column {x_axis!r}") if beyond_float(x) else x
        for (run, metric, suffix), text, column in zip(columns, values[1:], header[1:], strict=True):
            if text == "":
                continue
            value = cell_value(text)
            if beyond_float(value):
                value = large.kept(value, f"line {line}, column {column!r}")
            series[run][metric].lane(suffix)[step] = value
    if row_number < 0:
        raise InputError(path, "has a header but no points")
    runs = [_run(name, metrics, x_axis, x_values, by_step) for name, metrics in series.items()]
    if warning := large.warning():
        for run in runs:
            run.warnings.append(warning)
    return [run for run in runs if len(run.history)]  # a run with no point in this chart adds nothing


def _step(path: Path, line: int, x_axis: str, text: str) -> int:
    value = cell_value(text) if text else None
    whole = type(value) is int or (is_number(value) and math.isfinite(value) and value.is_integer())
    if whole and int(value) in _STEPS:
        return int(value)
    if whole or beyond_float(value):
        raise InputError(path, f"line {line}: {x_axis} {abbreviated(text)} is beyond the steps the store holds "
                               "(64-bit whole numbers)")
    raise InputError(path, f"line {line}: {x_axis} {text!r} is not a whole number")


def _run(name: str, metrics: dict[str, _Series], x_axis: str, x_values: dict[int, Any], by_step: bool) -> ParsedRun:
    run = ParsedRun(run_id=f"name:{name}", name=name, logged_data_only=True)
    keyed: dict[int, list[tuple[str, Any]]] = {}
    for metric, points in metrics.items():
        lanes = [(metric, points.value)]
        if not points.range_adds_nothing():
            lanes += [(metric + "__MIN", points.low), (metric + "__MAX", points.high)]
        for key, values in lanes:
            for step, value in values.items():
                keyed.setdefault(step, []).append((key, value))
    x_column = _X_COLUMNS.get(x_axis)
    for step in sorted(keyed):
        x = x_values.get(step)
        moments = {"runtime": None, "timestamp": None}
        if x_column and is_number(x):
            moments[x_column] = float(x)
        points = keyed[step]
        if not by_step and x_column is None and x is not None:
            points = [(x_axis, x), *points]
        for key, value in points:
            run.history.append(step, moments["timestamp"], moments["runtime"], key, value)
    if not by_step:
        kept = (f"its value fills the {x_column} column" if x_column
                else f"{x_axis!r} is kept as a history key of its own")
        run.warnings.append(f"the chart's x-axis is {x_axis!r}, not Step, so the export does not say the step: "
                            f"points are numbered by row (the first row is step 0) and {kept}")
    return run
