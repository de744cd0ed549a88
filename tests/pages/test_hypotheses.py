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


def test_the_app_is_read_only_by_default(editable_app, demo_store):
    at = editable_app(PAGE, None, sprint="S4")
    assert not at.get("form") and not at.button
    assert any("read-only" in caption.value for caption in at.caption)


def test_an_unknown_editing_mode_stays_read_only_and_says_so(editable_app, demo_store):
    at = editable_app(PAGE, "yes", sprint="S4")
    assert not at.get("form")
    assert any("'yes' is not one of off, everyone, signed-in" in caption.value for caption in at.caption)


def test_signed_in_mode_asks_to_sign_in_and_shows_no_form(editable_app, demo_store):
    at = editable_app(PAGE, "signed-in", sprint="S4")
    assert not at.get("form")
    assert any("Sign in to record" in caption.value for caption in at.caption)


def test_with_editing_on_a_decision_recorded_on_the_page_overrides_the_verdict(editable_app, demo_store):
    at = editable_app(PAGE, "everyone", sprint="S4")
    def in_form(widgets):
        return next(widget for widget in widgets if widget.form_id == "decide_INC-408")

    in_form(at.selectbox).set_value("refuted")
    in_form(at.text_area).input("<script>alert(1)</script> the per-group threshold did not help")
    in_form(at.text_input).input("Amara Okafor")
    in_form(at.button).click().run()
    assert not at.exception, [e.message for e in at.exception]
    notes = " ".join(info.value for info in at.info)
    assert "Decided refuted by Amara Okafor" in notes and "(computed: open)" in notes
    assert "\\<script\\>alert" in notes  # escaped: shown as text, never run as HTML
    from sprintboard.store import read_connection
    with read_connection(demo_store) as con:
        assert con.execute("SELECT decision, decided_by FROM hypothesis_decisions WHERE hypothesis_id = 'INC-408'"
                           ).fetchall() == [("refuted", "Amara Okafor")]
