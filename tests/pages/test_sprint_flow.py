"""The Sprint and flow page on the demo store and on two other kinds of team: a Kanban team without sprints, and a
team whose backlog has no change history."""

from __future__ import annotations

import json
from datetime import datetime

from streamlit.testing.v1 import AppTest

from sprintboard.analytics.backlog_data import BoardSettings, sprint_burndown
from sprintboard.ingest.driver import ingest_paths
from sprintboard.store import read_connection
from tests.pages.conftest import APP
from tests.plotly_arrays import values

PAGE = "pages/sprint_flow.py"


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_sprint_tab_shows_the_burndown_numbers_of_the_chosen_sprint(app, demo_build):
    at = app(PAGE, sprint="S2")
    with read_connection(demo_build["db"]) as con:
        expected = sprint_burndown(con, "S2", "points", BoardSettings(), datetime(2026, 11, 23))
    metrics = _metrics(at)
    assert metrics["Committed at start"] == f"{expected.committed:g} story points"
    assert metrics["Completed"] == f"{expected.days['completed'].iloc[-1]:g} story points"
    assert metrics["Remaining"] == "0 story points"
    # The demo's Sprint 2 story: INC-205 re-estimated 2 -> 3, INC-206 added (3), INC-207 removed (5).
    assert metrics["Scope change"] == "-1 story points"
    changes = at.dataframe[0].value
    assert {("INC-206", "scope added"), ("INC-207", "scope removed"), ("INC-205", "estimate changed")} <= set(
        zip(changes["item_id"], changes["kind"], strict=True))
    assert any(c.value.startswith("Exact") for c in at.caption)


def test_the_burndown_chart_names_the_scope_changes_on_hover(app):
    at = app(PAGE, sprint="S2")
    burndown = at.get("plotly_chart")[0].proto.spec
    assert "INC-206 scope added (+3)" in burndown and "INC-207 scope removed (-5)" in burndown


def test_carry_over_at_the_end_of_sprint_1_stays_remaining(app):
    at = app(PAGE, sprint="S1")
    changes = at.dataframe[0].value
    carried = changes[changes["kind"] == "carried over"]
    assert list(carried["item_id"]) == ["INC-107"]
    assert _metrics(at)["Remaining"] == "5 story points"


def test_the_statistic_is_chosen_and_kept_in_the_url(app):
    at = app(PAGE, sprint="S3")
    at.selectbox(key="url_select_stat").set_value("count").run()
    assert at.query_params["stat"] == "count"
    assert _metrics(at)["Committed at start"].endswith(" items")


def test_flow_and_time_box_tabs(app):
    at = app(PAGE)
    charts = at.get("plotly_chart")
    titles = [chart.proto.spec for chart in charts]
    assert any("Cumulative flow" in t for t in titles) and any("Cycle time" in t for t in titles)
    assert any("INC-404" in e.value.replace("\\", "") and "ran out with no outcome" in e.value for e in at.error)
    timeboxes = at.dataframe[-1].value
    assert timeboxes.iloc[0]["item_id"] == "INC-404"
    assert set(timeboxes["status"]) <= {"within", "overrun", "ran out, no outcome", "not started"}


KANBAN = """
items:
  - {id: K-1, title: Label audit, type: task, status: Done}
  - {id: K-2, title: Try focal loss, type: hypothesis, status: Test Hypothesis, timebox_hours: 8}
events:
  - {item: K-1, at: 2026-03-02T09:00, field: status, from: To Do, to: Update Model}
  - {item: K-1, at: 2026-03-04T15:00, field: status, from: Update Model, to: Done}
  - {item: K-2, at: 2026-03-03T09:00, field: status, from: To Do, to: Test Hypothesis}
"""


def _page_on_backlog(text: str, tmp_path, store_path, use_store) -> AppTest:
    """The page on a store holding only the backlog file ``text``."""
    backlog = tmp_path / "backlog.yaml"
    backlog.write_text(text)
    assert not ingest_paths(store_path, [backlog]).rejected
    use_store(store_path)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def test_a_kanban_team_without_sprints_gets_its_flow(tmp_path, store_path, use_store):
    at = _page_on_backlog(KANBAN, tmp_path, store_path, use_store)
    assert any("works in flow" in i.value for i in at.info)
    cycle = next(c for c in at.get("plotly_chart") if "Cycle time" in c.proto.spec)
    assert "K-1" in cycle.proto.spec and "3 days" in cycle.proto.spec


NO_CHANGELOG = """
sprints:
  - {id: X1, name: Sprint X1, start: 2026-03-02, end: 2026-03-13}
items:
  - {id: X-1, title: Baseline, type: story, status: Done, sprint: X1, points: 3, resolved: 2026-03-05T12:00}
  - {id: X-2, title: Features, type: story, status: To Do, sprint: X1, points: 2}
"""


def test_without_a_changelog_the_page_says_the_charts_are_approximations(tmp_path, store_path, use_store):
    at = _page_on_backlog(NO_CHANGELOG, tmp_path, store_path, use_store)
    assert any("approximations" in w.value for w in at.warning)
    assert _metrics(at)["Remaining"] == "2 story points"
    figure = json.loads(next(c for c in at.get("plotly_chart") if "Burndown" in c.proto.spec).proto.spec)
    remaining = values(next(t for t in figure["data"] if t["name"].startswith("Remaining"))["y"])
    assert remaining[0] == 5 and remaining[-1] == 2
