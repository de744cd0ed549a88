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
    assert len(at.dataframe[1].value) == items
    assert list(at.dataframe[2].value["name"])[-1] == "Sprint 1 - Baseline"


def test_choosing_a_sprint_updates_the_page_and_the_url(app, demo_build):
    at = app()
    at.selectbox(key="url_select_sprint").set_value("S2").run()
    assert at.query_params["sprint"] == ["S2"] or at.query_params["sprint"] == "S2"
    assert "Find out whether gradient boosting beats the baseline" in at.markdown[0].value
    items = at.dataframe[1].value
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


def test_the_review_tiles_show_hypotheses_metric_bias_and_what_needs_a_decision(app, demo_build):
    at = app(sprint="S4")
    tiles = {m.label: m for m in at.metric}
    assert {v: tiles[v].value for v in ("Supported", "Refuted", "Inconclusive", "Open", "Expired")} == {
        "Supported": "0", "Refuted": "1", "Inconclusive": "0", "Open": "1", "Expired": "1"}
    with read_connection(demo_build["db"]) as con:
        best = con.execute("""SELECT max(value_num) FROM run_summary s JOIN runs r USING (run_id)
                              JOIN run_sprints rs USING (run_id)
                              WHERE key = 'val/auc' AND rs.sprint_id = 'S4' AND r.state = 'finished'""").fetchone()[0]
    assert tiles["Best this sprint"].value == f"{best:.4g}" and tiles["Target"].value == "0.925"
    markdown = " ".join(m.value for m in at.markdown)
    assert ":green-badge[Pass] tpr by **sex**" in markdown and ":orange-badge[Inconclusive] tpr by **race**" in markdown
    assert "INC\\-404 is expired with no decision recorded" in markdown
    links = {link.label: link for link in at.get("page_link")}
    assert links["Hypotheses and their evidence"].proto.page == "hypotheses"
    assert "sprint=S4" in str(links["Hypotheses and their evidence"].proto)  # the same selection
    assert at.dataframe[0].value.set_index("Definition of Done").loc["bias check", "Fail"] == 1


def test_presentation_mode_shows_one_section_and_moves_through_the_agenda(app):
    at = app(sprint="S4", present="1", section="hypotheses")
    assert at.header[0].value == "Sprint 4 \\- Release candidate · Hypotheses"
    assert not at.get("plotly_chart") and {m.label for m in at.metric} >= {"Supported", "Expired"}
    next(b for b in at.button if b.label == "Next").click().run()
    assert at.query_params["section"] == ["metrics"] or at.query_params["section"] == "metrics"
    assert at.header[0].value.endswith("Model metric") and at.get("plotly_chart")  # the frontier chart
    next(b for b in at.button if b.label == "Exit").click().run()
    assert "present" not in at.query_params and at.title[0].value == "Sprint overview"


def test_the_review_can_be_downloaded_as_one_html_file(app):
    at = app(sprint="S2")
    (button,) = [b for b in at.get("download_button") if "Download the review" in b.proto.label]
    assert button.proto.deferred_file_id  # built on the click: the report's content is tested in tests/report
