"""The Bias checks page on the demo store: the best model's verdicts, one attribute's ratios with intervals, small
groups marked insufficient, the candidates so far, and the action question asked once for the project."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from sprintboard.analytics.bias import BiasSettings, check_bias
from sprintboard.analytics.bias_data import prediction_frame
from sprintboard.analytics.bias_metrics import AUC, METRICS
from sprintboard.store import read_connection, write_session
from tests.pages.conftest import APP
from tests.plotly_arrays import values

PAGE = "pages/bias.py"


def expected_report(db, run_id: str, attributes: tuple[str, ...]):
    with read_connection(db) as con:
        frame = prediction_frame(con, run_id, "val/predictions")
    return check_bias(frame, BiasSettings(label="label", prediction="prediction", score="score",
                                          attributes=attributes, resamples=1000, auc_resamples=200))


def test_the_best_model_is_checked_with_the_teams_policy(app, demo_build):
    at = app(PAGE)
    assert at.selectbox(key="url_select_run").value == "s4-hgb-tuned-s0"  # Sprint 4's best val/auc
    assert "True positive rate (recall)" in at.info[-1].value  # assistive, few reached: recall matters
    matrix = at.dataframe[0].value
    assert list(matrix.columns)[0] == "True positive rate (recall) ★"
    expected = expected_report(demo_build["db"], "s4-hgb-tuned-s0", ("sex", "race")).verdicts
    titles = {metric.name: metric.title for metric in (*METRICS, AUC)}
    shown = matrix.rename(columns=lambda title: title.removesuffix(" ★"))
    for row in expected.itertuples():
        assert shown.loc[row.attribute, titles[row.metric]] == row.verdict


def test_one_attribute_shows_each_groups_ratio_with_its_interval(app, demo_build):
    at = app(PAGE, attr="sex × race", metric="tpr")
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    expected = expected_report(demo_build["db"], "s4-hgb-tuned-s0", ("sex", "race")).groups
    rows = expected[(expected["attribute"] == "sex × race") & (expected["metric"] == "tpr")].set_index("group")
    points = {}
    for trace in figure["data"]:
        if trace.get("mode") == "markers":
            points.update(zip(values(trace["x"]), values(trace["y"]), strict=True))
    judged = rows[rows["ratio"].notna() & ~rows["insufficient"]]
    assert points == pytest.approx(judged["ratio"].to_dict())
    marked = {group for trace in figure["data"] if trace.get("mode") == "text" for group in values(trace["x"])}
    assert marked == set(rows.index[rows["insufficient"]]) and "Female × Other" in marked  # 16 rows
    table = at.dataframe[1].value.set_index("Group")
    assert table.loc["Female × Other", "Verdict"] == "Insufficient data"
    assert table.loc["Male × White", "Verdict"] == "Reference"


def test_candidates_so_far_show_the_recall_verdict_per_sprint(app):
    at = app(PAGE, metric="tpr")
    trend = at.dataframe[-1].value
    assert trend["Run"].tolist() == ["s1-logreg-s0", "s2-hgb-s0", "s3-hgb-reweight-s0", "s4-hgb-tuned-s0"]
    assert trend["Sprint"].tolist() == ["S1", "S2", "S3", "S4"]
    assert trend["sex"].tolist()[1:] == ["Pass", "Pass", "Pass"]


def test_without_a_stated_action_the_page_asks_and_saves_it_when_editing_is_on(demo_store, use_store,
                                                                               monkeypatch):
    with write_session(demo_store) as writer:
        writer.con.execute("UPDATE fairness_policy SET action = NULL, reach = NULL")
    monkeypatch.setenv("SPRINTBOARD_EDITING", "everyone")
    use_store(demo_store)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert any(m.value == "#### What does a positive prediction do to a person?" for m in at.markdown)
    at.radio(key="fairness_action").set_value("punitive").run()
    assert "False positive rate" in at.info[-1].value
    next(b for b in at.button if b.label == "Save for the project").click().run()
    assert not at.exception
    with read_connection(demo_store) as con:
        assert con.execute("SELECT action, source_path, attributes FROM fairness_policy").fetchone() == (
            "punitive", "app", ["sex", "race"])
