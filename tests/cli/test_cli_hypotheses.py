"""`sprintboard hypotheses`, `decide` and `check` on the demo store."""

from __future__ import annotations

import json

from click.testing import CliRunner

from sprintboard.cli import main
from sprintboard.store import write_session


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_hypotheses_json_gives_every_verdict_with_its_evidence(demo_store):
    result = run("hypotheses", "--db", str(demo_store), "--format", "json")
    assert result.exit_code == 0, result.output
    cards = {card["hypothesis_id"]: card for card in json.loads(result.output)}
    assert {h: c["verdict"] for h, c in cards.items()} == {
        "INC-104": "supported", "INC-203": "supported", "INC-204": "refuted", "INC-303": "inconclusive",
        "INC-403": "refuted", "INC-404": "expired", "INC-408": "open"}
    boosting = cards["INC-203"]["evidence"][0]
    assert boosting["status"] == "met" and boosting["runs_measured"] == 3
    assert cards["INC-403"]["excluded_runs"] == {"s4-hgb-tuned-s1": "failed"}


def test_a_decision_overrides_the_verdict_and_keeps_the_computed_one(demo_store):
    assert run("decide", "INC-303", "--decision", "supported", "--note", "gap fine", "--by", "Ana",
               "--db", str(demo_store)).exit_code == 0
    card = next(c for c in json.loads(run("hypotheses", "--db", str(demo_store), "--sprint", "S3",
                                          "--format", "json").output))
    assert (card["verdict"], card["computed_verdict"], card["decision_note"], card["decided_by"]) == (
        "supported", "inconclusive", "gap fine", "Ana")
    unknown = run("decide", "INC-999", "--decision", "refuted", "--db", str(demo_store))
    assert unknown.exit_code == 1 and "there is no hypothesis 'INC-999'" in unknown.output


def test_check_fails_the_sprint_whose_runs_lack_a_commit_or_notes(demo_store):
    failing = run("check", "--sprint", "S2", "--db", str(demo_store), "--format", "csv")
    assert failing.exit_code == 1
    assert "reproducible,fail,no git commit or config: s2-mlp-s2" in failing.output


def test_the_bias_gate_fails_a_recall_gap_and_is_not_applicable_without_predictions(demo_store):
    gated = run("check", "--sprint", "S1", "--db", str(demo_store), "--format", "csv")
    assert gated.exit_code == 1
    # The baseline finds men's positives more often than women's, and the race groups are too small to tell.
    assert ("INC-104,Logistic regression reaches validation AUC 0.88,bias check,fail,"
            "s1-logreg-s0: tpr by sex inconclusive; s1-logreg-s0: tpr by race fail") in gated.output
    with write_session(demo_store) as writer:
        writer.con.execute("DELETE FROM predictions WHERE run_id LIKE 's1-%'")
    ungated = run("check", "--sprint", "S1", "--db", str(demo_store), "--format", "csv")
    assert ungated.exit_code == 0, ungated.output
    assert "INC-104,Logistic regression reaches validation AUC 0.88,bias check,n/a" in ungated.output
