"""Verdicts against cases worked out by hand (t-intervals with t(0.975, 2) = 4.303)."""

from __future__ import annotations

import pandas as pd
import pytest

from sprintboard.analytics.verdicts import compute_verdict


def runs(*states: str) -> pd.DataFrame:
    return pd.DataFrame({"run_id": [f"r{i}" for i in range(len(states))], "state": list(states)})


def summaries(metric: str, *values: float) -> pd.DataFrame:
    return pd.DataFrame({"run_id": [f"r{i}" for i in range(len(values))], "key": metric, "value_num": list(values)})


def verdict(criteria, values, aggregation="mean", states=None, **kwargs):
    states = states or ["finished"] * len(values)
    return compute_verdict("H", criteria, aggregation, runs(*states), summaries("val/auc", *values), **kwargs)


def test_every_seed_clearly_above_the_threshold_is_supported():
    result = verdict("val/auc >= 0.90", [0.95, 0.951, 0.949])
    (evidence,) = result.evidence
    assert result.computed == "supported"
    assert evidence.observed == pytest.approx(0.95)
    assert evidence.spread_low == pytest.approx(0.95 - 4.3027 * 0.001 / 3 ** 0.5, abs=1e-5)
    assert evidence.margin == pytest.approx(0.05) and evidence.runs_meeting == 3


def test_all_seeds_above_but_the_threshold_inside_the_interval_is_inconclusive():
    # mean 0.92, sd 0.01: the 95% interval is 0.92 +- 0.0248, which holds 0.90.
    result = verdict("val/auc >= 0.90", [0.91, 0.92, 0.93])
    assert result.computed == "inconclusive"
    assert "inside the 95% interval" in result.reason


def test_seeds_that_disagree_are_inconclusive():
    result = verdict("val/auc >= 0.90", [0.88, 0.92, 0.95])
    assert result.computed == "inconclusive" and "2 of 3 runs meet it" in result.reason


def test_clearly_below_is_refuted_with_its_margin():
    result = verdict("val/auc >= 0.90", [0.85, 0.86, 0.84])
    assert result.computed == "refuted"
    assert result.evidence[0].margin == pytest.approx(-0.05)


def test_relative_to_the_baseline_run():
    # threshold 0.90 + 0.02; mean 0.92767, sd 0.002517: interval 0.92767 +- 0.00625 lies above 0.92.
    result = verdict("val/auc >= baseline + 0.02", [0.925, 0.93, 0.928], baseline_summary={"val/auc": 0.90})
    assert result.computed == "supported"
    assert result.evidence[0].threshold == pytest.approx(0.92)


def test_a_single_run_says_so():
    result = verdict("val/auc >= 0.90", [0.93])
    assert result.computed == "supported" and "single run" in result.evidence[0].note


def test_best_run_names_the_run_that_meets_everything():
    frame = pd.concat([summaries("val/auc", 0.91, 0.95, 0.96), summaries("val/recall", 0.8, 0.75, 0.6)])
    result = compute_verdict("H", "val/auc > 0.94 AND val/recall >= 0.7", "best", runs(*["finished"] * 3), frame)
    assert result.computed == "supported" and result.best_run == "r1"
    refuted = compute_verdict("H", "val/auc > 0.97", "best", runs(*["finished"] * 3), frame)
    assert refuted.computed == "refuted"


def test_failed_runs_are_not_evidence_and_running_ones_keep_it_open():
    crashed = verdict("val/auc >= 0.90", [0.5, 0.95], states=["failed", "finished"])
    assert crashed.computed == "supported" and crashed.excluded_runs == {"r0": "failed"}
    assert verdict("val/auc >= 0.90", [0.95], states=["running"]).computed == "open"
    assert verdict("val/auc >= 0.90", [0.95], states=["failed"]).reason == "no finished run (1 linked)"


def test_no_runs_is_open_and_expired_once_the_time_box_is_over():
    empty = compute_verdict("H", "val/auc > 0.9", "mean", runs(), summaries("val/auc"))
    assert (empty.computed, empty.reason) == ("open", "no runs are linked yet")
    late = compute_verdict("H", "val/auc > 0.9", "mean", runs(), summaries("val/auc"), timebox_over=True)
    assert late.computed == "expired"


def test_what_cannot_be_evaluated_is_inconclusive_with_the_reason():
    assert "none is set" in verdict("val/auc >= baseline", [0.9, 0.91]).reason
    assert "no finished run logged val/f1" in verdict("val/f1 > 0.5", [0.9]).reason
    assert verdict("val/auc is good", [0.9]).reason.startswith("the criteria cannot be read")


def test_a_recorded_decision_overrides_and_both_are_kept():
    result = verdict("val/auc >= 0.90", [0.91, 0.92, 0.93], decision="supported", decision_note="good enough")
    assert (result.computed, result.final, result.decision_note) == ("inconclusive", "supported", "good enough")
