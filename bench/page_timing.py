"""Every page's server-side time on a store, against the raw DuckDB time of the queries it ran, and its chart bytes.

Each page view (:data:`VIEWS`: every page of ``app.py`` at its default URL, and the Model metrics page's other two
views) is run the way a browser's visit runs it: the whole app script with ``streamlit.testing.v1.AppTest``
(navigation, then the page), with Streamlit's caches cleared first, so every query of the view runs -- as on the
page's first visit since the last ingest, with the store already open from earlier pages. While it runs,
:class:`bench.sql_recorder.SqlRecorder` records the SQL and parameters of every connection and cursor the app
opens; then a :class:`bench.sql_recorder.Replayer` runs the same statements bare, on connections of the same shape.
One untimed pass over every view comes first -- imports, the operating system's file cache, the databases the app
keeps open, and Plotly's default template, which depends on what ran before (Streamlit's, until the Overview page
has run in the process; Sprintboard's after -- 3.3 KB more per figure) -- then each view and its replay are timed
in turn ``repeats`` times, and the medians kept:

* **page s**: ``AppTest.run()``, the server's whole work for the view (queries, pandas, figures, Streamlit's
  messages); nothing of the browser;
* **raw s**: the replay, DuckDB alone, every result fetched as an Arrow table;
* **chart bytes**: the Plotly figure JSON the view sends (``len`` of every ``plotly_chart``'s spec, summed).

A view that raises is reported with the exception's message. (``st.error`` boxes are page content: the Sprint
and flow page shows a time-box that ran out as one.)
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st
from streamlit.testing.v1 import AppTest

from bench.sql_recorder import Replayer, SqlRecorder, statements, writes

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "app.py"
DEFAULT_PAGE = "pages/overview.py"


@dataclass(frozen=True)
class PageView:
    """A page of the app (its script) with query parameters; ``url`` is its address relative to the app."""

    script: str
    params: dict[str, str] = field(default_factory=dict)
    queries: bool = True  # whether the view reads the store (the glossary does not)

    @property
    def url(self) -> str:
        path = "/" if self.script == DEFAULT_PAGE else "/" + Path(self.script).stem
        return path + (f"?{urlencode(self.params)}" if self.params else "")


VIEWS = (
    PageView("pages/overview.py"),
    PageView("pages/sprint_flow.py"),
    PageView("pages/hypotheses.py"),
    PageView("pages/metrics.py"),
    PageView("pages/metrics.py", {"view": "sprints"}),
    PageView("pages/metrics.py", {"view": "compare"}),
    PageView("pages/bias.py"),
    PageView("pages/retro.py"),
    PageView("pages/runs.py"),
    PageView("pages/data_sources.py"),
    PageView("pages/glossary.py", queries=False),
)


@contextmanager
def _quiet_outside_scripts() -> Iterator[None]:
    """Silence the two warnings Streamlit gives when its caches are cleared outside a running app ("can be
    ignored")."""
    loggers = [logging.getLogger(name) for name in ("streamlit.runtime.scriptrunner_utils.script_run_context",
                                                    "streamlit.runtime.caching.cache_data_api")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@dataclass
class ViewRun:
    """One run of a view: seconds, what it sent and ran, and the exceptions it raised (empty: none)."""

    seconds: float
    chart_bytes: int
    connections: list
    problems: list[str]


def run_view(view: PageView, recorder: SqlRecorder, timeout: float = 600) -> ViewRun:
    """Run ``view`` once on the store ``$SPRINTBOARD_DB`` with cold caches, recording its SQL."""
    with _quiet_outside_scripts():
        app = AppTest.from_file(str(APP), default_timeout=timeout)
        for name, value in view.params.items():
            app.query_params[name] = value
        if view.script != DEFAULT_PAGE:
            app.switch_page(view.script)
        st.cache_data.clear()
        st.cache_resource.clear()
    recorder.reset()
    started = time.perf_counter()
    app.run()
    seconds = time.perf_counter() - started
    connections = recorder.reset()
    problems = [item.message for item in app.exception]
    chart_bytes = sum(len(chart.proto.spec) for chart in app.get("plotly_chart"))
    return ViewRun(seconds, chart_bytes, connections, problems)


def measure(store: Path, views: tuple[PageView, ...] = VIEWS, repeats: int = 3) -> dict[str, dict]:
    """Per view (by URL): median ``page`` and ``raw`` seconds, ``chart_bytes``, ``statements`` it sent, ``writes``
    (connections it opened read-write on a file: not replayed), ``problems``. Raises :class:`RuntimeError` when a
    view that reads the store ran no statement the recorder saw: the recorder no longer sees the app's
    connections, and the raw time would be wrong."""
    before = os.environ.get("SPRINTBOARD_DB")
    os.environ["SPRINTBOARD_DB"] = str(store)
    results: dict[str, dict] = {}
    replayer = Replayer()
    try:
        with SqlRecorder() as recorder:
            samples: dict[str, dict[str, list[float]]] = {view.url: {"page": [], "raw": []} for view in views}
            # The warm-up pass runs every view, whichever are measured, so that one view measured alone meets the
            # process in the state the whole suite leaves it in.
            for repeat in range(repeats + 1):
                for view in views if repeat else VIEWS:
                    run = run_view(view, recorder)
                    replayer.prepare(run.connections)
                    started = time.perf_counter()
                    replayer.replay(run.connections)
                    raw = time.perf_counter() - started
                    if view.queries and not run.problems and not statements(run.connections):
                        raise RuntimeError(f"{view.url}: the SQL recorder saw no statement; bench/sql_recorder.py no "
                                           "longer sees the connections the app opens")
                    if not repeat:
                        continue
                    samples[view.url]["page"].append(run.seconds)
                    samples[view.url]["raw"].append(raw)
                    results[view.url] = {"chart_bytes": run.chart_bytes, "statements": statements(run.connections),
                                         "writes": writes(run.connections), "problems": run.problems}
        for url, times in samples.items():
            results[url]["page"] = statistics.median(times["page"])
            results[url]["raw"] = statistics.median(times["raw"])
    finally:
        replayer.close()
        if before is None:
            os.environ.pop("SPRINTBOARD_DB", None)
        else:
            os.environ["SPRINTBOARD_DB"] = before
    return results
