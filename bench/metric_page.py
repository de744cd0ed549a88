"""The "Model metrics" page at 1,000 runs × 10,000 steps × 10 metrics (100 million history points).

For each interaction below, four timings of the server-side work, medians of ``repeats`` interleaved repetitions:

* **ours** -- the page's own calls (analytics functions, figure building, ``fig.to_json()`` of every figure) on one
  read-only connection kept open, after an untimed warm-up pass, so DuckDB's buffer pool is warm;
* **page** -- the same calls, each analytics function on a cursor of its own from
  :func:`sprintboard.store.read_snapshot`, which is how ``sprintboard.ui.data.query`` runs them: the store version's
  database stays open between queries (:mod:`sprintboard.store.readers`), so its buffer pool is as warm as for
  *ours*;
* **new version** -- as *page*, with the version's database opened by the interaction itself, as for the first view
  after an ingest published a new version: DuckDB starts with an empty buffer pool (the operating system's file cache
  is warm). Before a database was kept per version, every query of the page ran like this;
* **raw** -- DuckDB alone: the SQL text and parameters the analytics functions sent (recorded by a thin wrapper
  around the connection during *ours*), executed with ``con.sql(sql, params=params).to_arrow_table()`` on the warm
  connection. The ratio is ours / raw.

Chart bytes are ``len(fig.to_json())`` summed over the figures the interaction draws. Interactions, with the
page's defaults (the 20 newest runs, metrics ``val/auc`` and ``train/loss``, step axis, 1,500-point budget):

* *open the page*: :func:`metric_catalog`, ``runs_table``, ``sprint_list`` (every view needs them; cached per
  store version, so this is the first view after an ingest);
* *select 20 runs and 2 metrics*: :func:`metric_lines` + one :func:`curves_figure` per metric
  with time-weighted EMA smoothing (weight 0.6);
* *zoom*: :func:`x_extent` (the page checks the zoom in the URL against it) + :func:`metric_lines` of steps
  2,000–3,000 + the two figures;
* *x-axis relative time*: :func:`metric_lines` on the runtime axis + the two figures;
* *regroup by sprint* / *by W&B group*: :func:`group_lines` + one :func:`group_figure` per metric (min–max band);
* *change the sprint*: :func:`sprint_values` + :func:`sprint_frontier` + :func:`frontier_figure` of ``val/auc``.

Goals: every interaction under 1 s (ours and page), ours within 2× raw, under 2 MB of chart data.

``python -m bench.metric_page --alternatives`` also measures other forms of the work behind the misses (see
:func:`alternatives`).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from bench.generate_metric_store import metric_store
from sprintboard.analytics.metric_curves import CurveQuery, group_lines, metric_catalog, metric_lines, x_extent
from sprintboard.analytics.metric_frontier import sprint_frontier, sprint_values
from sprintboard.analytics.smoothing import smooth
from sprintboard.store import read_connection, read_snapshot, readers
from sprintboard.store.connection import apply_migrations
from sprintboard.store.queries import runs_table, sprint_list
from sprintboard.ui import theme
from sprintboard.ui.metric_charts import RAW_OPACITY, curves_figure, frontier_figure, group_figure
from sprintboard.ui.theme import PALETTE

RUNS_SHOWN = 20
KEYS = ("val/auc", "train/loss")
SMOOTHING, WEIGHT = "twema", 0.6
ZOOM = (2000.0, 3000.0)
GOAL_SECONDS, GOAL_RATIO, GOAL_BYTES = 1.0, 2.0, 2_000_000


class RecordingConnection:
    """A DuckDB connection that records the ``(sql, params)`` of every ``execute`` and forwards it."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.calls: list[tuple[str, list | None]] = []

    def execute(self, sql: str, params: list | None = None) -> duckdb.DuckDBPyConnection:
        self.calls.append((sql, params))
        return self.con.execute(sql, params)


@dataclass(frozen=True)
class Page:
    """What the page holds before any interaction: the runs it shows by default and its labels."""

    run_ids: tuple[str, ...]
    labels: dict[str, str]
    sprint_names: dict[str, str]


# An interaction gets ``call(function, *args)``, which runs ``function(con, *args)`` on some connection.
Call = Callable[..., object]


def open_page(call: Call, page: Page) -> list[go.Figure]:
    call(metric_catalog)
    call(runs_table, None)
    call(sprint_list)
    return []


def select_runs(call: Call, page: Page) -> list[go.Figure]:
    lines = call(metric_lines, CurveQuery(page.run_ids, KEYS))
    return [curves_figure(lines, key, page.labels, "step", SMOOTHING, WEIGHT) for key in KEYS]


def zoom(call: Call, page: Page) -> list[go.Figure]:
    call(x_extent, CurveQuery(page.run_ids, KEYS))  # the page checks a zoom in the URL against the data
    lines = call(metric_lines, CurveQuery(page.run_ids, KEYS, "step", ZOOM))
    return [curves_figure(lines, key, page.labels, "step", SMOOTHING, WEIGHT) for key in KEYS]


def relative_time(call: Call, page: Page) -> list[go.Figure]:
    lines = call(metric_lines, CurveQuery(page.run_ids, KEYS, "runtime"))
    return [curves_figure(lines, key, page.labels, "runtime", SMOOTHING, WEIGHT) for key in KEYS]


def regroup(group_by: str) -> Callable[[Call, Page], list[go.Figure]]:
    def work(call: Call, page: Page) -> list[go.Figure]:
        groups = call(group_lines, CurveQuery(page.run_ids, KEYS), group_by, None)
        labels = page.sprint_names if group_by == "sprint" else {}
        return [group_figure(groups, key, "step", "minmax", labels) for key in KEYS]

    return work


def change_sprint(call: Call, page: Page) -> list[go.Figure]:
    values = call(sprint_values, KEYS[0])
    table = call(sprint_frontier, KEYS[0])
    return [frontier_figure(values, table, KEYS[0], None, None)]


INTERACTIONS: dict[str, Callable[[Call, Page], list[go.Figure]]] = {
    "open the page": open_page,
    "select 20 runs and 2 metrics": select_runs,
    "zoom (steps 2,000-3,000)": zoom,
    "x-axis relative time": relative_time,
    "regroup by sprint": regroup("sprint"),
    "regroup by W&B group": regroup("group"),
    "change the sprint": change_sprint,
}


def chart_bytes(figures: list[go.Figure]) -> int:
    return sum(len(figure.to_json()) for figure in figures)


def run_raw(con: duckdb.DuckDBPyConnection, calls: list[tuple[str, list | None]]) -> None:
    for sql, params in calls:
        con.sql(sql, params=params).to_arrow_table()


def quiet(con: duckdb.DuckDBPyConnection) -> None:
    """No progress bar on stderr for queries over 2 s."""
    con.execute("SET enable_progress_bar = false")


def load_page(con: duckdb.DuckDBPyConnection) -> Page:
    runs = runs_table(con)
    sprints = sprint_list(con)
    return Page(tuple(runs["run_id"][:RUNS_SHOWN]), dict(zip(runs["run_id"], runs["name"].fillna(runs["run_id"]),
                                                              strict=True)),
                dict(zip(sprints["sprint_id"], sprints["name"], strict=True)))


def _timed(work: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def measure(runs: int = 1000, steps: int = 10_000, metrics: int = 10, repeats: int = 5) -> dict:
    """Median seconds of ours, page, new version and raw per interaction (see the module docstring), chart bytes, and
    the store's size and build time."""
    path, built = metric_store(runs, steps, metrics)
    theme.register()  # as app.py does: the charts carry the Sprintboard template
    load_before = os.getloadavg()[0]
    with read_connection(path) as con:
        page = load_page(con)
    timings = {name: {"ours": [], "page": [], "new version": [], "raw": []} for name in INTERACTIONS}
    sizes: dict[str, int] = {}

    def as_the_page(function: Callable[..., object], *args: object) -> object:
        with read_snapshot(path) as snapshot:
            quiet(snapshot.con)
            return function(snapshot.con, *args)

    for _ in range(repeats):
        for name, interaction in INTERACTIONS.items():
            readers.close_idle()  # the interaction opens the version's database, as after an ingest
            seconds, _ = _timed(lambda interaction=interaction: chart_bytes(interaction(as_the_page, page)))
            timings[name]["new version"].append(seconds)
        with read_connection(path) as con:
            quiet(con)
            for interaction in INTERACTIONS.values():  # warm-up, untimed
                interaction(lambda function, *args, con=con: function(con, *args), page)
            for name, interaction in INTERACTIONS.items():
                recorder = RecordingConnection(con)

                def ours(interaction=interaction, recorder=recorder) -> int:
                    return chart_bytes(interaction(lambda function, *args: function(recorder, *args), page))

                seconds, sizes[name] = _timed(ours)
                timings[name]["ours"].append(seconds)
                seconds, _ = _timed(lambda recorder=recorder, con=con: run_raw(con, recorder.calls))
                timings[name]["raw"].append(seconds)
                seconds, _ = _timed(lambda interaction=interaction: chart_bytes(interaction(as_the_page, page)))
                timings[name]["page"].append(seconds)
    medians = {name: {kind: statistics.median(values) for kind, values in kinds.items()}
               for name, kinds in timings.items()}
    return {"store": f"{runs:,} runs × {steps:,} steps × {metrics} metrics", "points": runs * steps * metrics,
            "store_bytes": built["bytes"], "build_seconds": built.get("seconds"), "repeats": repeats,
            "seconds": medians, "chart_bytes": sizes, "load": (load_before, os.getloadavg()[0])}


def _goals(seconds: dict[str, float], size: int) -> list[str]:
    missed = []
    if seconds["ours"] >= GOAL_SECONDS:
        missed.append("≥1 s warm")
    if seconds["page"] >= GOAL_SECONDS:
        missed.append("≥1 s as the page runs it")
    if seconds["ours"] > GOAL_RATIO * seconds["raw"]:
        missed.append(f">{GOAL_RATIO:g}× raw")
    if size >= GOAL_BYTES:
        missed.append("≥2 MB")
    return missed


def report(result: dict) -> str:
    build = result["build_seconds"]
    lines = [f"Model metrics page ({result['store']} = {result['points']:,} history points; store "
             f"{result['store_bytes'] / 1e9:.2f} GB" + (f", built in {build:.0f} s" if build else "") +
             f"; medians of {result['repeats']}; load average {result['load'][0]:.1f} before, "
             f"{result['load'][1]:.1f} after on {os.cpu_count()} cores):",
             f"  {'interaction':30} {'ours s':>7} {'page s':>7} {'new v. s':>8} {'raw s':>7} {'ratio':>6} "
             f"{'chart KB':>9}  goals"]
    met = 0
    for name, seconds in result["seconds"].items():
        size = result["chart_bytes"][name]
        missed = _goals(seconds, size)
        met += not missed
        lines.append(f"  {name:30} {seconds['ours']:7.3f} {seconds['page']:7.3f} {seconds['new version']:8.3f} "
                     f"{seconds['raw']:7.3f} "
                     f"{seconds['ours'] / seconds['raw']:5.2f}x {size / 1e3:9.1f}  "
                     + ("met" if not missed else "missed: " + ", ".join(missed)))
    lines.append(f"  {met} of {len(result['seconds'])} interactions meet every goal (<1 s warm and as the page runs "
                 "it, ≤2× raw, <2 MB of chart JSON).")
    return "\n".join(lines)


# -- alternatives -------------------------------------------------------------------------------------------------

_UNNEST_FILTER = re.compile(r"([\w.]+) IN \(SELECT unnest\(\?\)\)")


def filter_form(sql: str, params: list, form: str) -> tuple[str, list]:
    """``sql`` with every ``col IN (SELECT unnest(?))`` written as ``form``: ``unnest`` (as is), ``any``
    (``col = ANY(?)``), ``list_contains`` (``list_contains(?, col)``) or ``constants`` (``col IN (?, ?, ...)``, one
    placeholder per list element)."""
    pieces, new_params, position, index = [], [], 0, 0
    for match in _UNNEST_FILTER.finditer(sql):
        before = sql[position:match.start()]
        count = before.count("?")
        new_params += params[index:index + count]
        values = params[index + count]
        index += count + 1
        column = match.group(1)
        text, values_params = {
            "unnest": (match.group(0), [values]),
            "any": (f"{column} = ANY(?)", [values]),
            "list_contains": (f"list_contains(?, {column})", [values]),
            "constants": (f"{column} IN ({', '.join('?' * len(values))})", list(values)),
        }[form]
        pieces += [before, text]
        new_params += values_params
        position = match.end()
    pieces.append(sql[position:])
    new_params += params[index:]
    return "".join(pieces), new_params


RUN_FILTER = "h.run_id IN (SELECT unnest(?))"
ROWID_INDEX_SQL = "SELECT run_id, min(rowid) AS first_row, max(rowid) AS last_row FROM history GROUP BY run_id"
CATALOG_AND_INDEX_SQL = """SELECT run_id, key, min(rowid) AS first_row, max(rowid) AS last_row FROM history
                           WHERE value_num IS NOT NULL GROUP BY run_id, key"""


def with_rowid_ranges(sql: str, ranges: list[tuple[int, int]]) -> str:
    """``sql`` with the run filter on history ``h`` narrowed by the selected runs' rowid ranges (each run's first to
    last row: a superset of its rows, so the result is unchanged), which DuckDB uses to skip row groups."""
    narrowing = " OR ".join(f"h.rowid BETWEEN {low:d} AND {high:d}" for low, high in ranges)
    return sql.replace(RUN_FILTER, f"{RUN_FILTER} AND ({narrowing})")


class RewritingConnection(RecordingConnection):
    """A recording connection that sends ``rewrite(sql)`` instead of ``sql``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, rewrite: Callable[[str], str]) -> None:
        super().__init__(con)
        self.rewrite = rewrite

    def execute(self, sql: str, params: list | None = None) -> duckdb.DuckDBPyConnection:
        return super().execute(self.rewrite(sql), params)


def row_groups_read(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> str:
    plan = con.execute("EXPLAIN ANALYZE " + sql, params).fetchall()[0][1]
    found = re.findall(r"Row Groups Scanned: (\d+) / (\d+)", plan)
    return ", ".join(f"{scanned}/{total}" for scanned, total in found) or "-"


def sorted_copy(path: Path) -> Path:
    """A copy of the store at ``path`` whose history is ordered by ``run_id, step, key`` (built once)."""
    target = path.with_name(path.stem + "-by-run.duckdb")
    if target.exists():
        return target
    work = target.with_name(target.name + ".writing")
    work.unlink(missing_ok=True)
    con = duckdb.connect(str(work))
    try:
        apply_migrations(con, work)
        con.execute(f"ATTACH '{path}' AS source (READ_ONLY)")
        for table in ("sprints", "runs", "run_config", "run_summary"):
            con.execute(f"INSERT INTO {table} SELECT * FROM source.{table}")  # noqa: S608 - our names
        con.execute("INSERT INTO history SELECT * FROM source.history ORDER BY run_id, step, key")
        con.execute("DETACH source")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    work.rename(target)
    return target


def unvalidated_curves_figure(lines, key: str, labels: dict[str, str]) -> go.Figure:
    """The figure :func:`curves_figure` draws on the step axis with TWEMA smoothing, built from plain dicts with
    Plotly's validation off (``go.Figure(spec, _validate=False)``); its JSON is the same."""
    data = []
    for index, (run_id, line) in enumerate(lines[lines["key"] == key].groupby("run_id", sort=False)):
        colour, name = PALETTE[index % len(PALETTE)], labels.get(run_id, run_id)
        x, raw = line["x"].to_numpy(np.float32), line["y"].to_numpy(np.float64)
        common = {"type": "scatter", "x": x, "mode": "lines", "name": name, "legendgroup": run_id}
        data.append({**common, "y": raw.astype(np.float32), "showlegend": False, "opacity": RAW_OPACITY,
                     "line": {"color": colour, "width": 1.5},
                     "hovertemplate": f"{name}<br>%{{x}}: %{{y:.4g}}<extra>as logged</extra>"})
        data.append({**common, "y": smooth(line["x"].to_numpy(np.float64), raw, SMOOTHING, WEIGHT).astype(np.float32),
                     "line": {"color": colour, "width": 2.5},
                     "hovertemplate": f"{name}<br>%{{x}}: %{{y:.4g}}<extra>smoothed</extra>"})
    layout = {"template": pio.templates[pio.templates.default], "title": {"text": key},
              "xaxis": {"title": {"text": "Step"}}, "yaxis": {"title": {"text": key}}, "height": 430,
              "legend": {"orientation": "h", "y": -0.2}, "dragmode": "select", "selectdirection": "h"}
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def _interleaved(variants: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    for work in variants.values():  # warm-up
        work()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, work in variants.items():
            samples[name].append(_timed(work)[0])
    return {name: statistics.median(values) for name, values in samples.items()}


def alternatives(runs: int = 1000, steps: int = 10_000, metrics: int = 10, repeats: int = 5) -> str:
    """Medians of ``repeats`` interleaved runs (warm connection) of other forms of the work behind the misses:

    1. the SQL of *select 20 runs and 2 metrics* (``x_extent`` + ``metric_lines``), raw, with the row groups of
       ``history`` each scan reads: the run and key filters as ``IN (SELECT unnest(?))`` (as shipped), ``= ANY(?)``,
       ``list_contains(?, col)`` and a constant list ``IN (?, ?, ...)``; DuckDB's ``threads`` at 1 instead of 2;
       the run filter narrowed by the selected runs' ``rowid`` ranges; the shipped SQL on a copy of the store whose
       history is ordered by run (``run_id, step, key``);
    2. the metric catalog: as shipped, in one scan together with every (run, key)'s rowid range, from
       ``run_summary``;
    3. the two curve figures: as shipped and built with Plotly's validation off (same JSON, checked);
    4. *select 20 runs and 2 metrics* end to end: as shipped; without ``x_extent`` (the M4 lines keep each line's
       first and last point, so their x range is the extent; checked) and with unvalidated figures; the same with
       rowid ranges (results checked against the shipped ones), and the raw SQL of that last form.
    """
    path, _ = metric_store(runs, steps, metrics)
    by_run = sorted_copy(path)
    theme.register()
    out = [f"Alternatives (medians of {repeats}, warm connection):"]
    con = duckdb.connect(str(path), read_only=True)
    sorted_con = duckdb.connect(str(by_run), read_only=True)
    try:
        quiet(con)
        quiet(sorted_con)
        page = load_page(con)
        recorder = RecordingConnection(con)
        query = CurveQuery(page.run_ids, KEYS)
        x_extent(recorder, query)
        lines = metric_lines(recorder, query)
        calls = recorder.calls
        index_seconds, index = _timed(lambda: con.execute(ROWID_INDEX_SQL).fetchall())
        chosen = set(page.run_ids)
        ranges = [(low, high) for run_id, low, high in index if run_id in chosen]

        forms: dict[str, tuple[duckdb.DuckDBPyConnection, list[tuple[str, list]], str | None]] = {
            f"filter {form}": (con, [filter_form(sql, params, form) for sql, params in calls], None)
            for form in ("unnest", "any", "list_contains", "constants")}
        forms["threads = 1"] = (con, calls, "threads")
        forms["rowid ranges"] = (con, [(with_rowid_ranges(sql, ranges), params) for sql, params in calls], None)
        forms["history ordered by run"] = (sorted_con, calls, None)

        def run_form(target, form_calls, setting) -> None:
            if setting:
                target.execute("SET threads = 1")
            try:
                run_raw(target, form_calls)
            finally:
                if setting:
                    target.execute("RESET threads")

        seconds = _interleaved({name: lambda form=form: run_form(*form) for name, form in forms.items()}, repeats)
        out.append("1. SQL of 'select 20 runs and 2 metrics' (x_extent + metric_lines), raw:")
        for name, (target, form_calls, _setting) in forms.items():
            scanned = " + ".join(row_groups_read(target, sql, params) for sql, params in form_calls)
            out.append(f"   {name:24} {seconds[name]:6.3f} s ({seconds[name] / seconds['filter unnest']:4.2f}x)  "
                       f"row groups read: {scanned}")
        out.append(f"   (rowid ranges of every run looked up with one scan in {index_seconds:.2f} s, once per store "
                   "version)")

        def catalog_from_index() -> pd.DataFrame:
            pairs = con.execute(CATALOG_AND_INDEX_SQL).df()
            catalog = pairs.groupby("key").size().rename("runs").reset_index()
            return catalog.sort_values(["runs", "key"], ascending=[False, True], ignore_index=True)

        catalog_forms = {
            "as shipped": lambda: metric_catalog(con),
            "with rowid ranges, one scan": catalog_from_index,
            "from run_summary": lambda: con.execute(
                """SELECT key, count(DISTINCT run_id) AS runs FROM run_summary WHERE value_num IS NOT NULL
                   GROUP BY key ORDER BY runs DESC, key""").df()}
        assert catalog_from_index().equals(metric_catalog(con))
        seconds = _interleaved(catalog_forms, repeats)
        out.append("2. metric catalog: " + ", ".join(f"{name} {value:.3f} s" for name, value in seconds.items()))

        shipped_json = [curves_figure(lines, key, page.labels, "step", SMOOTHING, WEIGHT).to_json() for key in KEYS]
        fast_json = [unvalidated_curves_figure(lines, key, page.labels).to_json() for key in KEYS]
        assert [json.loads(text) for text in shipped_json] == [json.loads(text) for text in fast_json]
        seconds = _interleaved({
            "as shipped": lambda: chart_bytes([curves_figure(lines, key, page.labels, "step", SMOOTHING, WEIGHT)
                                               for key in KEYS]),
            "validation off": lambda: chart_bytes([unvalidated_curves_figure(lines, key, page.labels)
                                                   for key in KEYS])}, repeats)
        out.append(f"3. two curve figures + to_json ({sum(map(len, shipped_json)) / 1e3:.0f} KB): "
                   + ", ".join(f"{name} {value:.3f} s" for name, value in seconds.items()))

        proposed_calls: list[tuple[str, list | None]] = []

        def proposed(rowid_ranges: bool, check: bool = False) -> int:
            rewriting = RewritingConnection(con, lambda sql: with_rowid_ranges(sql, ranges) if rowid_ranges else sql)
            proposed_lines = metric_lines(rewriting, query)
            if rowid_ranges:
                proposed_calls[:] = rewriting.calls
            extent = (float(proposed_lines["x"].min()), float(proposed_lines["x"].max()))
            if check:
                assert extent == x_extent(con, query)
                # The same points, up to which x M4 keeps where a bucket's extreme value occurs twice.
                same = ["run_id", "key", "points"]
                assert proposed_lines[same].equals(lines[same])
                assert np.array_equal(np.sort(proposed_lines["y"]), np.sort(lines["y"]))
            return chart_bytes([unvalidated_curves_figure(proposed_lines, key, page.labels) for key in KEYS])

        proposed(rowid_ranges=True, check=True)
        seconds = _interleaved({
            "as shipped": lambda: chart_bytes(select_runs(lambda function, *args: function(con, *args), page)),
            "no x_extent + figures unvalidated": lambda: proposed(rowid_ranges=False),
            "... + rowid ranges": lambda: proposed(rowid_ranges=True),
            "raw SQL of the last": lambda: run_raw(con, proposed_calls)}, repeats)
        out.append("4. 'select 20 runs and 2 metrics' end to end: "
                   + ", ".join(f"{name} {value:.3f} s" for name, value in seconds.items())
                   + f" (ratio {seconds['... + rowid ranges'] / seconds['raw SQL of the last']:.2f}x)")
    finally:
        con.close()
        sorted_con.close()
    return "\n".join(out)


if __name__ == "__main__":
    print(report(measure()))
    if "--alternatives" in sys.argv[1:]:
        print(alternatives())
