"""The overview page on the demo store shows the sprints, the chosen sprint's goal, progress and items."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from sprintboard.store import read_connection
from tests.pages.conftest import APP


def _expected(db, sprint_id):
    with read_connection(db) as con:
        return con.execute(
            """SELECT sum(points) FILTER (WHERE status = 'Done'), sum(points),
                      count(*) FILTER (WHERE status = 'Done'), count(*)
               FROM work_items WHERE sprint_id = ?""",
            [sprint_id],
        ).fetchone()


def test_the_home_page_shows_the_demo_sprints_with_a_demo_banner(app, demo_build):
    at = app()
    assert "Demo data" in at.info[0].value
    assert at.title[0].value == "Sprint overview"
    sprint_box = at.selectbox(key="url_select_sprint")
    assert sprint_box.options == ["Sprint 4 - Release candidate", "Sprint 3 - Fair recall",
                                  "Sprint 2 - Boosting", "Sprint 1 - Baseline"]
    assert sprint_box.value == "S4"  # the newest sprint by default
    points_done, points, items_done, items = _expected(demo_build["db"], "S4")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Points done"] == f"{points_done:g} of {points:g}"
    assert metrics["Items done"] == f"{items_done} of {items}"
    assert metrics["Hypotheses"] == "3" and metrics["Experiment runs"] == "3"
    assert len(at.dataframe[0].value) == items
    assert list(at.dataframe[1].value["name"])[-1] == "Sprint 1 - Baseline"


def test_choosing_a_sprint_updates_the_page_and_the_url(app, demo_build):
    at = app()
    at.selectbox(key="url_select_sprint").set_value("S2").run()
    assert at.query_params["sprint"] == ["S2"] or at.query_params["sprint"] == "S2"
    assert "Find out whether gradient boosting beats the baseline" in at.markdown[0].value
    items = at.dataframe[0].value
    assert "INC-107" in set(items["item_id"])  # carried over from Sprint 1 and finished in Sprint 2
    assert "INC-207" not in set(items["item_id"])  # taken out of the sprint


def test_a_link_with_a_sprint_opens_that_sprint(app):
    at = app(sprint="S1")
    assert at.selectbox(key="url_select_sprint").value == "S1"
    assert at.subheader[0].value == "Sprint 1 \\- Baseline"


def test_without_a_store_the_page_says_how_to_load_data(tmp_path, use_store):
    use_store(tmp_path / "missing.duckdb")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert "no store here yet" in at.error[0].value
    assert "sprintboard demo" in at.markdown[0].value
