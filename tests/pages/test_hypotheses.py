"""The Hypotheses page on the demo store: the verdict of every demo hypothesis, with its evidence."""

from __future__ import annotations

PAGE = "pages/hypotheses.py"


def test_every_verdict_of_the_demo_is_shown_with_its_evidence(app):
    at = app(PAGE)
    at.selectbox(key="url_select_sprint").set_value("(all sprints)").run()
    tiles = {m.label: m.value for m in at.metric}
    assert tiles == {"Supported": "2", "Refuted": "2", "Inconclusive": "1", "Open": "1", "Expired": "1"}
    markdown = " ".join(m.value for m in at.markdown)
    for hypothesis in ("INC\\-104", "INC\\-203", "INC\\-204", "INC\\-303", "INC\\-403", "INC\\-404", "INC\\-408"):
        assert hypothesis in markdown
    captions = " ".join(c.value for c in at.caption)
    assert "1 of 3 runs meet it" in captions  # the reweighting hypothesis: seeds disagree on the recall gap
    assert "no single run meets every condition" in captions  # the neural network never reached 0.93
    assert "s4\\-hgb\\-tuned\\-s1 (failed)" in captions  # the crashed run is shown, not counted


def test_the_evidence_table_shows_threshold_observed_and_margin(app):
    at = app(PAGE, sprint="S2")
    evidence = [df.value for df in at.dataframe if "threshold" in df.value.columns]
    by_condition = {frame["condition"].iloc[0]: frame.iloc[0] for frame in evidence}
    boosting = by_condition["val/auc >= baseline + 0.02"]
    assert boosting["status"] == "met" and boosting["threshold"] > 0.9 and boosting["margin"] > 0
    network = by_condition["val/auc >= 0.93"]
    assert network["status"] == "not met" and network["margin"] < 0


def test_hit_rate_per_sprint(app):
    at = app(PAGE, sprint="S4")
    hit = at.dataframe[-1].value.set_index("sprint_id")
    assert hit.loc["S4", ["hypotheses", "tested", "refuted", "open", "expired"]].tolist() == [3, 1, 1, 1, 1]
    assert hit.loc["S2", ["supported", "refuted"]].tolist() == [1, 1]
