"""The success-criteria language: what parses, what it means, and the messages for what does not."""

from __future__ import annotations

import pytest

from sprintboard.analytics.criteria import CriteriaError, parse_criteria


def test_absolute_and_relative_conditions_joined_by_and():
    first, second, third = parse_criteria(
        "summary.val.precision > 0.95 AND val/recall >= 0.7 and val/brier <= baseline * 0.95")
    assert (first.metric, first.op, first.value) == ("val.precision", ">", 0.95)
    assert str(second) == "val/recall >= 0.7"
    assert third.uses_baseline and not third.higher_is_better
    assert third.threshold(0.1) == pytest.approx(0.095)
    assert third.threshold(None) is None


def test_thresholds_and_margins_respect_the_direction():
    (gain,) = parse_criteria("val/auc >= baseline + 0.02")
    assert gain.threshold(0.90) == pytest.approx(0.92)
    assert gain.holds(0.925, 0.92) and not gain.holds(0.915, 0.92)
    assert gain.margin(0.925, 0.92) == pytest.approx(0.005)
    (gap,) = parse_criteria("fairness/sex/recall_gap <= 0.04")
    assert gap.margin(0.025, 0.04) == pytest.approx(0.015) and gap.margin(0.05, 0.04) == pytest.approx(-0.01)


@pytest.mark.parametrize("text, part", [
    ("val/auc = 0.9", "val/auc = 0.9"),
    ("val/auc > 0.9 OR val/f1 > 0.5", "0.9 OR val/f1 > 0.5"),
    ("val/auc > ninety", "val/auc > ninety"),
    ("val/auc > baseline ^ 2", "val/auc > baseline ^ 2"),
])
def test_anything_outside_the_grammar_is_refused_naming_the_part(text, part):
    with pytest.raises(CriteriaError, match="cannot read"):
        parse_criteria(text)
    with pytest.raises(CriteriaError) as error:
        parse_criteria(text)
    assert part.split()[0] in str(error.value)


def test_empty_criteria_are_refused():
    with pytest.raises(CriteriaError, match="empty"):
        parse_criteria("  ")
