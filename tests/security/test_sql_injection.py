"""SQL injection: values a user controls -- run ids, metric and config keys, sprint, hypothesis and table ids, x-axes,
groupings, URL query parameters, text typed into the pages -- never change the SQL that runs.

Three layers:

* every analytics and query function that takes such a value, called on a copy of the demo store with injection
  payloads: it returns nothing for a value the store does not hold (no row leaks), refuses a value checked against a
  fixed set with a one-line ``ValueError``, and leaves every table's row count as it was;
* every page, run through Streamlit's ``AppTest`` with a payload in each query parameter it reads: no exception, and
  the store unchanged;
* the source: an AST scan of ``src/`` for ``.execute(...)`` calls whose SQL is built by string formatting, each of
  which must be on the allow-list below with a ``# noqa: S608`` comment saying why the interpolated part is not user
  data.
"""

from __future__ import annotations

import ast
import io
import shutil
import tokenize
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from sprintboard.analytics import (
    backlog_data,
    bias_data,
    done_checks,
    history,
    hypothesis_data,
    metric_frontier,
    retro_notes,
    run_comparison,
    sprint_review,
    sprint_summary,
)
from sprintboard.analytics import metric_curves as curves
from sprintboard.analytics.bias import BiasSettings
from sprintboard.analytics.run_selection import RunFilter
from sprintboard.report.html_report import render_report
from sprintboard.store import InputError, queries, read_connection, write_session
from tests.pages.conftest import open_page

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "app.py")

PAYLOADS = (
    "'; DROP TABLE runs; --",
    "x' OR '1'='1",
    '"; DELETE FROM history; --',
    "') OR 1=1 UNION SELECT run_id, name FROM runs --",
    "%",
    "_",
    "val/%",
    "s1_logreg_s0",
    "\\",
    "\\'; DROP TABLE runs; --",
    "ünïcødé ✓ 漢字 🚀 'ʼ’",
    "nul\x00byte'; DROP TABLE runs; --",
)
# One value with every trick at once, for the pages (each page run takes seconds).
PAGE_PAYLOAD = "x' OR '1'='1\"; DELETE FROM history; DROP TABLE runs; -- % _ \\ ünï ✓ \x00"

# Real values of the demo store, next to which the payloads go.
RUN, OTHER_RUN, TABLE, METRIC = "s2-hgb-s0", "s1-logreg-s0", "val/predictions", "val/auc"
SPRINT, HYPOTHESIS, CONFIG_KEY = "S2", "INC-203", "model"
RUNS = (RUN, OTHER_RUN, "s2-mlp-s0", "s3-hgb-reweight-s0")
AS_OF = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
SETTINGS = BiasSettings(label="label", prediction="prediction", attributes=("sex",), resamples=20, auc_resamples=5)
BOARD = backlog_data.BoardSettings()


def row_counts(store: Path) -> dict[str, int]:
    """Every table of the store with its row count (a dropped table is missing from it)."""
    with read_connection(store) as con:
        tables = [row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'").fetchall()]
        return {table: con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608 - catalog names
                for table in sorted(tables)}


@pytest.fixture(scope="module")
def store(demo_build, tmp_path_factory) -> Path:
    """A copy of the demo store shared by the read-only tests of this module."""
    path = tmp_path_factory.mktemp("injection") / "demo.duckdb"
    shutil.copyfile(demo_build["db"], path)
    return path


@pytest.fixture(scope="module")
def counts(store) -> dict[str, int]:
    """The shared store's row counts before any test ran."""
    return row_counts(store)


# --- the analytics and query functions


def _empty(result: object, con: duckdb.DuckDBPyConnection) -> bool:
    if result is None:
        return True
    if isinstance(result, pd.DataFrame | pd.Series):
        return result.empty
    return len(result) == 0  # type: ignore[arg-type]


def _only_real_lines(result: pd.DataFrame, con) -> bool:
    return set(result["run_id"]) == {RUN} and set(result["key"]) == {METRIC}


def _no_payload_column_values(result: pd.DataFrame, con) -> bool:
    payload_columns = [column for column in result.columns if column not in ("section", "field", "differs", RUN)]
    return len(payload_columns) == 1 and result[payload_columns[0]].isna().all() and len(result) > 0


def _fixed_baseline_only(result: float | None, con) -> bool:
    return result == hypothesis_data.baseline_of(con, HYPOTHESIS, "a metric no run logged")


def _every_item_open(result: int, con) -> bool:
    return result == con.execute("SELECT count(*) FROM work_items").fetchone()[0]


@dataclass(frozen=True)
class Case:
    """A function called with a payload in one argument: ``call(con, payload)``.

    ``expect(result, con)`` says the result shows nothing the payload should not reach; ``refused`` means the argument
    is checked against a fixed set (or the store), so every payload must be refused with a one-line ``ValueError``.
    """

    name: str
    call: Callable[[duckdb.DuckDBPyConnection, str], object]
    expect: Callable[[object, duckdb.DuckDBPyConnection], bool] = _empty
    refused: bool = False


CASES = (
    Case("queries.runs_table sprint_id", lambda con, p: queries.runs_table(con, p)),
    Case("queries.config_values key", lambda con, p: queries.config_values(con, p)),
    Case("run_selection.RunFilter sprints groups tags states",
         lambda con, p: RunFilter((p,), (p,), (p,), (p,)).apply(queries.runs_table(con, None))),
    Case("run_selection.RunFilter config value",
         lambda con, p: RunFilter(config_values=queries.config_values(con, CONFIG_KEY),
                                  wanted_config=(p,)).apply(queries.runs_table(con, None))),
    Case("history.metric_keys run_id", lambda con, p: history.metric_keys(con, p)),
    Case("history.metric_series run_id", lambda con, p: history.metric_series(con, p, METRIC)),
    Case("history.metric_series key", lambda con, p: history.metric_series(con, RUN, p)),
    Case("history.run_key_values run_id", lambda con, p: history.run_key_values(con, p, "run_config")),
    Case("history.run_key_values table", lambda con, p: history.run_key_values(con, RUN, p), refused=True),
    Case("metric_curves.metric_lines runs",
         lambda con, p: curves.metric_lines(con, curves.CurveQuery((p,), (METRIC,)))),
    Case("metric_curves.metric_lines keys", lambda con, p: curves.metric_lines(con, curves.CurveQuery(RUNS, (p,)))),
    Case("metric_curves.metric_lines runs and keys beside real ones",
         lambda con, p: curves.metric_lines(con, curves.CurveQuery((RUN, p), (METRIC, p))), _only_real_lines),
    Case("metric_curves.CurveQuery x_axis", lambda con, p: curves.CurveQuery((RUN,), (METRIC,), p), refused=True),
    Case("metric_curves.metric_lines x_axis metric:<key>",
         lambda con, p: curves.metric_lines(con, curves.CurveQuery((RUN,), (METRIC,), curves.METRIC_AXIS + p))),
    Case("metric_curves.group_lines group_by",
         lambda con, p: curves.group_lines(con, curves.CurveQuery(RUNS, (METRIC,)), p), refused=True),
    Case("metric_curves.group_lines config_key",
         lambda con, p: curves.group_lines(con, curves.CurveQuery(RUNS, (METRIC,)), "config", p),
         lambda result, con: set(result["group"]) == {"(none)"}),
    Case("metric_curves.x_extent runs and keys", lambda con, p: curves.x_extent(con, curves.CurveQuery((p,), (p,)))),
    Case("metric_curves.x_extent x_axis metric:<key>",
         lambda con, p: curves.x_extent(con, curves.CurveQuery((RUN,), (METRIC,), curves.METRIC_AXIS + p))),
    Case("run_comparison.compare_runs run_ids", lambda con, p: run_comparison.compare_runs(con, [p])),
    Case("run_comparison.compare_runs run_ids beside a real one",
         lambda con, p: run_comparison.compare_runs(con, [RUN, p]), _no_payload_column_values),
    Case("run_comparison.config_and_metric run_ids",
         lambda con, p: run_comparison.config_and_metric(con, [p], METRIC)),
    Case("run_comparison.config_and_metric metric",
         lambda con, p: run_comparison.config_and_metric(con, list(RUNS), p)),
    Case("bias_data.prediction_frame run_id", lambda con, p: bias_data.prediction_frame(con, p, TABLE)),
    Case("bias_data.prediction_frame table_key", lambda con, p: bias_data.prediction_frame(con, RUN, p)),
    Case("bias_data.run_bias_report run_id",
         lambda con, p: bias_data.run_bias_report(con, p, TABLE, SETTINGS), refused=True),
    Case("bias_data.run_bias_report table_key",
         lambda con, p: bias_data.run_bias_report(con, RUN, p, SETTINGS), refused=True),
    Case("bias_data.candidate_trend run_ids",
         lambda con, p: bias_data.candidate_trend(con, (p,), TABLE, SETTINGS, METRIC).rows),
    Case("bias_data.candidate_trend table_key",
         lambda con, p: bias_data.candidate_trend(con, (RUN,), p, SETTINGS, METRIC).rows),
    Case("bias_data.candidate_trend metric_key",
         lambda con, p: bias_data.candidate_trend(con, (RUN,), TABLE, SETTINGS, p).rows,
         lambda result, con: len(result) > 0 and result["model_metric"].isna().all()),
    Case("bias_data.bias_gate run_ids", lambda con, p: bias_data.bias_gate(con, [p]),
         lambda result, con: result[0] == "n/a"),
    Case("hypothesis_data.sprint_hypotheses sprint_id",
         lambda con, p: hypothesis_data.sprint_hypotheses(con, p, AS_OF)),
    Case("hypothesis_data.run_metric run_ids", lambda con, p: hypothesis_data.run_metric(con, (p,), METRIC)),
    Case("hypothesis_data.run_metric metric", lambda con, p: hypothesis_data.run_metric(con, RUNS, p)),
    Case("hypothesis_data.baseline_of hypothesis_id", lambda con, p: hypothesis_data.baseline_of(con, p, METRIC)),
    Case("hypothesis_data.baseline_of metric",
         lambda con, p: hypothesis_data.baseline_of(con, HYPOTHESIS, p), _fixed_baseline_only),
    Case("backlog_data.find_sprint name_or_id", lambda con, p: backlog_data.find_sprint(con, p)),
    Case("backlog_data.sprint_burndown sprint_id",
         lambda con, p: backlog_data.sprint_burndown(con, p, "points", BOARD, AS_OF)),
    Case("backlog_data.sprint_burndown statistic",
         lambda con, p: backlog_data.sprint_burndown(con, SPRINT, p, BOARD, AS_OF), refused=True),
    Case("backlog_data.sprint_timeboxes sprint_id",
         lambda con, p: backlog_data.sprint_timeboxes(con, BOARD, AS_OF, p)),
    Case("backlog_data.open_item_count done statuses",
         lambda con, p: backlog_data.open_item_count(con, backlog_data.BoardSettings((p,))), _every_item_open),
    Case("backlog_data.flow_metrics done statuses",
         lambda con, p: backlog_data.flow_metrics(con, backlog_data.BoardSettings((p,)), AS_OF).cycle_times),
    Case("backlog_data.sprint_velocity done statuses",
         lambda con, p: backlog_data.sprint_velocity(con, "points", backlog_data.BoardSettings((p,)), AS_OF),
         lambda result, con: len(result) > 0 and (result["completed"] == 0).all()),
    Case("sprint_summary.sprint_items sprint_id", lambda con, p: sprint_summary.sprint_items(con, p)),
    Case("sprint_review.sprint_review sprint_id", lambda con, p: sprint_review.sprint_review(con, p, AS_OF)),
    Case("done_checks.definition_of_done sprint_id", lambda con, p: done_checks.definition_of_done(con, p, AS_OF)),
    Case("metric_frontier.sprint_values key", lambda con, p: metric_frontier.sprint_values(con, p),
         lambda result, con: len(result) > 0 and result["run_id"].isna().all()),
    Case("metric_frontier.sprint_frontier key", lambda con, p: metric_frontier.sprint_frontier(con, p),
         lambda result, con: len(result) > 0 and result["best"].isna().all()),
    Case("metric_frontier.sprint_frontier direction",
         lambda con, p: metric_frontier.sprint_frontier(con, METRIC, p), refused=True),
    Case("retro_notes.sprint_notes sprint_id", lambda con, p: retro_notes.sprint_notes(con, p)),
    Case("html_report.render_report sprint_id", lambda con, p: render_report(con, p, AS_OF), refused=True),
)


def _outcome(case: Case, con: duckdb.DuckDBPyConnection, payload: str) -> str:
    """``refused`` or ``answered``; fails on any other exception, a leak, or a refusal where none is expected."""
    try:
        result = case.call(con, payload)
    except (ValueError, InputError) as error:
        assert not isinstance(error, duckdb.Error), f"{case.name}: the database raised {error!r} for {payload!r}"
        assert case.refused, f"{case.name} refused {payload!r}: {error}"
        assert str(error) and "\n" not in str(error).strip(), f"{case.name}: not one line: {error}"
        return "refused"
    assert not case.refused, f"{case.name} accepted {payload!r}"
    assert case.expect(result, con), f"{case.name} with {payload!r} returned what it should not: {result!r}"
    return "answered"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_payloads_reach_no_rows_and_change_nothing(case, store, counts):
    with read_connection(store) as con:
        outcomes = {_outcome(case, con, payload) for payload in PAYLOADS}
    assert outcomes == {"refused" if case.refused else "answered"}
    assert row_counts(store) == counts


def test_real_values_do_reach_rows(store):
    """The calls above answer for real values, so "nothing" above means the payloads matched nothing."""
    with read_connection(store) as con:
        assert len(queries.runs_table(con, SPRINT)) and len(history.metric_keys(con, RUN))
        assert len(curves.metric_lines(con, curves.CurveQuery((RUN,), (METRIC,))))
        assert len(bias_data.prediction_frame(con, RUN, TABLE))
        assert hypothesis_data.sprint_hypotheses(con, SPRINT, AS_OF)
        assert len(sprint_summary.sprint_items(con, SPRINT)) and backlog_data.find_sprint(con, SPRINT)
        assert queries.config_values(con, CONFIG_KEY) and len(hypothesis_data.run_metric(con, RUNS, METRIC))


# --- what people write from the pages: stored as text, nothing else touched


def _added(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {table: after[table] - before[table] for table in after if after[table] != before.get(table)}


def test_decisions_hold_payloads_as_text_and_refuse_unknown_ids(demo_store, use_store):
    from sprintboard.ui.edits import save_decision

    use_store(demo_store)
    before = row_counts(demo_store)
    save_decision(HYPOTHESIS, "refuted", PAYLOADS[0], PAYLOADS[1])  # as the Hypotheses page saves one
    with write_session(demo_store) as writer:
        for payload in PAYLOADS[1:]:
            with pytest.raises(ValueError, match="there is no hypothesis"):
                hypothesis_data.record_decision(writer.con, payload, "supported", "note", "me", AS_OF)
            with pytest.raises(ValueError, match="decision must be one of"):
                hypothesis_data.record_decision(writer.con, HYPOTHESIS, payload, "note", "me", AS_OF)
            hypothesis_data.record_decision(writer.con, HYPOTHESIS, "refuted", payload, payload,
                                            datetime(2026, 1, 1, second=PAYLOADS.index(payload)))
    assert _added(before, row_counts(demo_store)) == {"hypothesis_decisions": len(PAYLOADS)}
    with read_connection(demo_store) as con:
        stored = con.execute("SELECT note, decided_by FROM hypothesis_decisions WHERE hypothesis_id = ?",
                             [HYPOTHESIS]).fetchall()
    expected = [(PAYLOADS[0], PAYLOADS[1]), *((payload, payload) for payload in PAYLOADS[1:])]
    assert sorted(stored) == sorted(expected)


def test_retro_notes_hold_payloads_as_text_and_refuse_unknown_ids(demo_store, use_store):
    from sprintboard.ui.edits import save_action_state, save_retro_note

    use_store(demo_store)
    before = row_counts(demo_store)
    action = save_retro_note(SPRINT, "action", "an action", "me")  # as the Retro page saves them
    save_action_state(action, "done", PAYLOADS[0])
    with write_session(demo_store) as writer:
        for payload in PAYLOADS:
            for sprint, kind, carried_from in ((payload, "went_well", None), (SPRINT, payload, None),
                                               ("S3", "action", payload)):
                with pytest.raises(ValueError, match="no sprint|kind must be one of|not a sprint that started"):
                    retro_notes.add_note(writer.con, sprint, kind, "text", "me", AS_OF, carried_from)
            with pytest.raises(ValueError, match="state must be one of"):
                retro_notes.set_action_state(writer.con, action, payload, "me", AS_OF)
            retro_notes.add_note(writer.con, SPRINT, "went_well", payload, payload, AS_OF)
    assert _added(before, row_counts(demo_store)) == {"retro_notes": len(PAYLOADS) + 1}
    with read_connection(demo_store) as con:
        notes = con.execute("SELECT text, author FROM retro_notes WHERE kind = 'went_well'").fetchall()
        (done_by,) = con.execute("SELECT done_by FROM retro_notes WHERE note_id = ?", [action]).fetchone()
    assert sorted(notes) == sorted((payload, payload) for payload in PAYLOADS)
    assert done_by == PAYLOADS[0]


# --- the pages, with the payload in every query parameter they read

# Which query parameters each page reads (its own and those of the helpers it calls: ui.presentation reads "present"
# and "section"); ``{key}`` is the chosen metric of the Model metrics page's sprint view.
PAGE_PARAMS = {
    "pages/overview.py": ("sprint", "present", "section"),
    "pages/sprint_flow.py": ("done", "holidays", "sprint", "stat"),
    "pages/hypotheses.py": ("sprint",),
    "pages/metrics.py": ("view", "sprints", "groups", "tags", "states", "ckey", "cval", "runs", "metrics", "xaxis",
                         "lines", "gkey", "smooth", "w", "band", "x", "metric", "better.{key}", "baseline.{key}",
                         "target.{key}", "sprint", "pmetric"),
    "pages/bias.py": ("run", "table", "label", "pred", "score", "ref", "attrs", "attr", "metric"),
    "pages/retro.py": ("sprint",),
    "pages/runs.py": ("sprint", "run", "metric"),
    "pages/data_sources.py": (),
    "pages/glossary.py": ("q",),
}
# Parameters that choose a branch of the page get a real value, so the parameters read only in that branch are reached.
PAGE_RUNS = (
    ("pages/overview.py", {}),
    ("pages/overview.py", {"present": "1"}),
    ("pages/sprint_flow.py", {}),
    ("pages/hypotheses.py", {}),
    ("pages/metrics.py", {"view": "curves", "w": None}),
    ("pages/metrics.py", {"view": "curves", "lines": "config", "ckey": CONFIG_KEY}),
    ("pages/metrics.py", {"view": "sprints"}),
    ("pages/metrics.py", {"view": "compare", "ckey": CONFIG_KEY}),
    ("pages/bias.py", {}),
    ("pages/retro.py", {}),
    ("pages/runs.py", {}),
    ("pages/data_sources.py", {"sprint": PAGE_PAYLOAD}),  # reads none itself; its share link encodes them all
    ("pages/glossary.py", {}),
)


def _params(page: str, fixed: dict[str, str | None], payload: str) -> dict[str, str]:
    """Every parameter ``page`` reads set to ``payload``, except those ``fixed`` (``None``: left out)."""
    params = {name.format(key=METRIC): payload for name in PAGE_PARAMS[page]}
    for name, value in fixed.items():
        params.pop(name, None)
        if value is not None:
            params[name] = value
    return params


def _run_page(page: str, params: dict[str, str]) -> AppTest:
    return open_page(page, **params)


@pytest.mark.parametrize(("page", "fixed"), PAGE_RUNS,
                         ids=[f"{page[6:-3]}-" + ("-".join(f"{name}={'payload' if value == PAGE_PAYLOAD else value}"
                                                           for name, value in fixed.items()) or "all")
                              for page, fixed in PAGE_RUNS])
def test_pages_take_a_payload_in_every_parameter(page, fixed, store, counts, use_store):
    use_store(store)
    at = _run_page(page, _params(page, fixed, PAGE_PAYLOAD))
    assert not at.exception, [error.message for error in at.exception]
    assert at.title or at.markdown, "the page drew nothing"
    assert row_counts(store) == counts


@pytest.mark.parametrize("smoothing", ["twema", "running"])
def test_the_metrics_page_takes_a_payload_in_w(smoothing, store, counts, use_store):
    use_store(store)
    at = _run_page("pages/metrics.py", {"view": "curves", "smooth": smoothing, "w": PAGE_PAYLOAD})
    assert row_counts(store) == counts
    assert not at.exception, [error.message for error in at.exception]


def _params_read_in(source: str) -> set[str]:
    """The query parameters a page's own code reads: ``select_in_url``/``multiselect_in_url``/``number_in_url``/
    ``number_param`` parameters and ``st.query_params`` lookups (f-string names with their fields as ``{key}``)."""

    def name(node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(part.value if isinstance(part, ast.Constant) else "{key}" for part in node.values)
        return None

    def is_query_params(node: ast.expr) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "query_params"

    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            function = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            position = {"select_in_url": 2, "multiselect_in_url": 2, "number_in_url": 1,
                        "number_param": 0}.get(function)
            if position is not None and len(node.args) > position:
                found.add(name(node.args[position]))
            if function == "get" and is_query_params(node.func.value) and node.args:
                found.add(name(node.args[0]))
        elif isinstance(node, ast.Subscript) and is_query_params(node.value) and isinstance(node.ctx, ast.Load):
            found.add(name(node.slice))
        elif isinstance(node, ast.Compare) and any(is_query_params(c) for c in node.comparators):
            found.add(name(node.left))
    return found - {None}


def test_the_page_table_names_every_parameter_the_pages_read():
    pages = {str(path.relative_to(REPO)) for path in (REPO / "pages").glob("*.py")}
    assert pages == set(PAGE_PARAMS), "a page was added or removed: update PAGE_PARAMS and PAGE_RUNS"
    for page, params in PAGE_PARAMS.items():
        read = _params_read_in((REPO / page).read_text())
        assert read <= set(params), f"{page} reads {sorted(read - set(params))}, which no test sets"
    assert _params_read_in((REPO / "src/sprintboard/ui/presentation.py").read_text()) == {"present", "section"}
    assert {"w", "x", "better.{key}", "runs"} <= _params_read_in((REPO / "pages/metrics.py").read_text())


# --- the source: no SQL built from values outside the allow-list

# file:function -> why what it interpolates into SQL is not user data. Every other .execute() takes constant SQL and
# passes values as parameters.
INTERPOLATED_SQL = {
    "sprintboard/analytics/history.py:run_key_values":
        "the table name, checked against ('run_config', 'run_summary') first",
    "sprintboard/analytics/metric_curves.py:metric_lines":
        "the points query of _points_sql (its x column from a fixed mapping of X_AXES); values are parameters",
    "sprintboard/analytics/metric_curves.py:group_lines":
        "_points_sql's query and a grouping query from a fixed mapping of GROUP_BYS; values are parameters",
    "sprintboard/analytics/metric_curves.py:x_extent": "_points_sql's query; values are parameters",
    "sprintboard/ingest/loader.py:load_runs":
        "table names from the literal (runs, run_config, run_summary) and the Arrow tables it registers",
    "sprintboard/ingest/loader.py:_load_history":
        "a fixed clause chosen by a flag of the parsed run, and the thread count DuckDB itself reported",
    "sprintboard/ingest/loader.py:save_fairness_policy": "column names and placeholders from _POLICY_FIELDS",
    "sprintboard/store/queries.py:table_counts": "table names from COUNTED_TABLES",
}
SQL_METHODS = {"execute", "executemany", "sql", "query"}


def _is_built(node: ast.expr) -> bool:
    """Whether an expression builds a string by formatting: an f-string with a field, ``%``, ``+``, ``.format()``
    or ``.join()``."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "join")


@dataclass
class BuiltSql:
    where: str  # file:function
    line: int
    lines: set[int]  # where the SQL is built: the call, or the assignments of the name it passes


def _built_sql_calls(path: Path, root: Path = REPO / "src") -> list[BuiltSql]:
    """``.execute(...)`` (and ``executemany``, ``sql``, ``query``) calls in ``path`` whose SQL is built by formatting,
    directly or through a name assigned a built string in the same function."""
    tree = ast.parse(path.read_text())
    owner: dict[int, ast.AST] = {}  # node -> innermost function (or the module) holding it
    for scope in ast.walk(tree):  # breadth first: an outer function before the functions inside it
        if scope is tree or isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(scope):
                owner[id(node)] = scope
    assigned: dict[tuple[int, str], list[ast.AST]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and node.value is not None:
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name):
                    assigned.setdefault((id(owner[id(node)]), target.id), []).append(node)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in SQL_METHODS and node.args):
            continue
        scope, sql = owner[id(node)], node.args[0]
        assignments = assigned.get((id(scope), sql.id), []) if isinstance(sql, ast.Name) else []
        if _is_built(sql):
            lines = set(range(node.lineno, node.end_lineno + 1))
        elif any(_is_built(assignment.value) for assignment in assignments):
            lines = {line for a in assignments for line in range(a.lineno, a.end_lineno + 1)}
        else:
            continue
        name = scope.name if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef) else "<module>"
        found.append(BuiltSql(f"{path.relative_to(root).as_posix()}:{name}", node.lineno, lines))
    return found


def _comments(path: Path) -> tuple[dict[int, str], set[int]]:
    """The comment on each line, and the lines that hold nothing but a comment."""
    tokens = [token for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
              if token.type == tokenize.COMMENT]
    return ({token.start[0]: token.string for token in tokens},
            {token.start[0] for token in tokens if token.line.strip().startswith("#")})


def _all_built_sql() -> list[tuple[BuiltSql, str | None, str | None]]:
    """Every built-SQL call in ``src/`` with its ``noqa: S608`` comment (``None`` without one) and the reason it gives:
    the text after ``S608``, else a comment line at most two lines above where the SQL is built."""
    results = []
    for path in sorted((REPO / "src").rglob("*.py")):
        comments, comment_lines = _comments(path)
        for item in _built_sql_calls(path):
            noqa = next((comments[line] for line in sorted(item.lines)
                         if "noqa" in comments.get(line, "") and "S608" in comments[line]), None)
            reason = noqa.split("S608", 1)[1].strip(" -:—") if noqa else ""
            above = [comments[line] for line in range(min(item.lines) - 2, min(item.lines)) if line in comment_lines]
            results.append((item, noqa, reason or " ".join(above).lstrip("# ") or None))
    return results


def test_sql_is_built_from_values_only_where_the_allow_list_says_why():
    found = _all_built_sql()
    places = {item.where for item, _, _ in found}
    assert places - set(INTERPOLATED_SQL) == set(), "SQL built by formatting outside the allow-list"
    assert set(INTERPOLATED_SQL) - places == set(), "allow-list entries with no built SQL left: remove them"
    unmarked = [f"{item.where} (line {item.line})" for item, noqa, _ in found if noqa is None]
    assert not unmarked, f"built SQL without a `# noqa: S608` comment: {unmarked}"


def test_every_noqa_on_built_sql_says_why():
    bare = [f"{item.where} (line {item.line})" for item, noqa, reason in _all_built_sql()
            if noqa is not None and reason is None]
    assert not bare, f"`# noqa: S608` without a reason: {bare}"


def test_the_scan_finds_sql_built_by_formatting(tmp_path):
    """The scan itself: each way of building SQL is found, constant SQL with parameters is not."""
    source = tmp_path / "src" / "sample.py"
    source.parent.mkdir()
    source.write_text(
        "def f(con, run_id, key):\n"
        "    con.execute(f\"SELECT * FROM runs WHERE run_id = '{run_id}'\")\n"
        "    con.execute(\"SELECT * FROM runs WHERE run_id = '%s'\" % run_id)\n"
        "    con.execute(\"SELECT * FROM runs WHERE run_id = '{}'\".format(run_id))\n"
        "    sql = \"SELECT * FROM history WHERE key = '\" + key + \"'\"\n"
        "    con.execute(sql)\n"
        "    con.execute('SELECT * FROM runs WHERE run_id = ?', [run_id])\n"
    )
    assert sorted(item.line for item in _built_sql_calls(source, source.parent)) == [2, 3, 4, 6]
