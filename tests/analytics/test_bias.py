"""Bias checks: group metrics and summary measures against Fairlearn on UCI Adult, hand-worked cases, edge cases,
verdict bands, the stratified bootstrap, the fairness tree and logged per-group metrics."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from scipy.stats import rankdata
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, precision_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sprintboard.analytics.bias import (
    FAIL,
    INCONCLUSIVE,
    INSUFFICIENT,
    NOT_JUDGED,
    PASS,
    REFERENCE,
    BiasSettings,
    check_bias,
)
from sprintboard.analytics.bias_bootstrap import auc_of_draws, percentile_interval, resample_auc, resample_cells
from sprintboard.analytics.bias_context import fairness_tree, logged_group_metrics
from sprintboard.analytics.bias_metrics import BiasInputError, confusion_cells
from tests.conftest import ADULT_CSV

LABEL = "income-per-year"
FEATURES = ["age", "education-num", "hours-per-week", "capital-gain", "capital-loss"]


# --- UCI Adult against Fairlearn -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def adult() -> pd.DataFrame:
    """UCI Adult with a small logistic regression's score and 0/1 prediction (trained on a few numeric columns)."""
    frame = pd.read_csv(ADULT_CSV)
    model = make_pipeline(StandardScaler(), LogisticRegression())
    model.fit(frame[FEATURES], frame[LABEL] == ">50K")
    frame["score"] = model.predict_proba(frame[FEATURES])[:, 1]
    frame["prediction"] = (frame["score"] >= 0.5).astype(int)
    frame["positive"] = (frame[LABEL] == ">50K").astype(int)
    return frame


@pytest.fixture(scope="module")
def adult_report(adult):
    settings = BiasSettings(
        label=LABEL,
        positive_label=">50K",
        prediction="prediction",
        score="score",
        attributes=("sex", "race"),
        resamples=300,
        auc_resamples=100,
    )
    return check_bias(adult, settings)


def _npv(y_true, y_pred):
    return np.mean(np.asarray(y_true)[np.asarray(y_pred) == 0] == 0)


def _fdr(y_true, y_pred):
    return np.mean(np.asarray(y_true)[np.asarray(y_pred) == 1] == 0)


def _for(y_true, y_pred):
    return np.mean(np.asarray(y_true)[np.asarray(y_pred) == 0] == 1)


def _base_rate(y_true, y_pred):
    return np.mean(y_true)


FAIRLEARN_METRICS = {
    "selection_rate": selection_rate,
    "tpr": true_positive_rate,
    "fpr": false_positive_rate,
    "fnr": false_negative_rate,
    "tnr": true_negative_rate,
    "precision": precision_score,
    "npv": _npv,
    "fdr": _fdr,
    "for": _for,
    "accuracy": accuracy_score,
    "base_rate": _base_rate,
}


# One attribute and one intersection: Fairlearn takes a few seconds per MetricFrame on Adult.
COMPARED = ("race", "sex × race")


@pytest.fixture(scope="module")
def fairlearn_by_group(adult) -> dict[str, pd.DataFrame]:
    return {attribute: _metric_frame(adult, attribute) for attribute in COMPARED}


def _metric_frame(adult: pd.DataFrame, attribute: str) -> pd.DataFrame:
    """Fairlearn's by-group values (plus count and AUC), indexed by our group names."""
    features = adult[attribute.split(" × ")]
    frame = MetricFrame(
        metrics={**FAIRLEARN_METRICS, "count": count},
        y_true=adult["positive"],
        y_pred=adult["prediction"],
        sensitive_features=features,
    ).by_group
    frame["auc"] = MetricFrame(
        metrics=roc_auc_score, y_true=adult["positive"], y_pred=adult["score"], sensitive_features=features
    ).by_group
    frame.index = [" × ".join(key) if isinstance(key, tuple) else key for key in frame.index]
    return frame


@pytest.mark.parametrize("attribute", COMPARED)
def test_every_group_metric_matches_fairlearn_metricframe(fairlearn_by_group, adult_report, attribute):
    expected = fairlearn_by_group[attribute]
    ours = adult_report.groups[adult_report.groups["attribute"] == attribute]
    for metric in [*FAIRLEARN_METRICS, "auc"]:
        values = ours[ours["metric"] == metric].set_index("group")["value"]
        assert list(values.index) == list(expected.index)
        np.testing.assert_allclose(values, expected[metric].to_numpy(dtype=float), rtol=1e-12, err_msg=metric)
    sizes = ours[ours["metric"] == "tpr"].set_index("group")["size"]
    np.testing.assert_array_equal(sizes.to_numpy(), expected["count"].to_numpy())


@pytest.mark.parametrize("attribute", COMPARED)
def test_ratios_and_differences_to_the_largest_group_follow_metricframe(fairlearn_by_group, adult_report, attribute):
    expected = fairlearn_by_group[attribute]
    largest = expected["count"].idxmax()
    ours = adult_report.groups[adult_report.groups["attribute"] == attribute]
    for metric in ["selection_rate", "tpr", "fpr", "precision", "auc"]:
        rows = ours[ours["metric"] == metric].set_index("group")
        assert set(rows["reference"]) == {largest}
        np.testing.assert_allclose(rows["ratio"], expected[metric] / expected.loc[largest, metric], rtol=1e-12)
        np.testing.assert_allclose(rows["difference"], expected[metric] - expected.loc[largest, metric], atol=1e-15)


@pytest.mark.parametrize("attribute", COMPARED)
def test_summary_measures_equal_fairlearns_functions(adult, adult_report, attribute):
    arguments = {
        "y_true": adult["positive"],
        "y_pred": adult["prediction"],
        "sensitive_features": adult[attribute.split(" × ")],
    }
    expected = {
        function.__name__: function(**arguments)
        for function in (
            demographic_parity_difference,
            demographic_parity_ratio,
            equal_opportunity_difference,
            equal_opportunity_ratio,
            equalized_odds_difference,
            equalized_odds_ratio,
        )
    }
    summary = adult_report.summary[adult_report.summary["attribute"] == attribute].set_index("measure")["value"]
    assert summary.to_dict() == pytest.approx(expected, rel=1e-12)
    # Fairlearn's MetricFrame.ratio() / difference() are the same min / max and max - min.
    frame = MetricFrame(metrics=selection_rate, **arguments)
    assert summary["demographic_parity_ratio"] == pytest.approx(frame.ratio(), rel=1e-12)
    assert summary["demographic_parity_difference"] == pytest.approx(frame.difference(), rel=1e-12)


def test_adult_verdicts_name_the_groups_outside_the_band(adult_report):
    verdicts = adult_report.verdicts.set_index(["attribute", "metric"])
    selection = verdicts.loc[("race", "selection_rate")]
    assert selection["verdict"] == FAIL and selection["reference"] == "White"
    assert "Black" in selection["fail_groups"]
    assert verdicts.loc[("sex", "base_rate"), "verdict"] == NOT_JUDGED
    # Female × Other has 4 people earning >50K: its TPR never decides a verdict.
    assert "Female × Other" in verdicts.loc[("sex × race", "tpr"), "insufficient_groups"]


def test_adult_intervals_contain_the_point_and_narrow_with_group_size(adult_report):
    groups = adult_report.groups
    judged = groups[~groups["insufficient"]]
    assert (judged["ci_low"] <= judged["value"]).all() and (judged["value"] <= judged["ci_high"]).all()
    assert (judged["ratio_low"] <= judged["ratio"]).all() and (judged["ratio"] <= judged["ratio_high"]).all()
    assert (judged["diff_low"] <= judged["difference"]).all() and (judged["difference"] <= judged["diff_high"]).all()
    race = groups[(groups["attribute"] == "race") & (groups["metric"] == "selection_rate")].set_index("group")
    width = race["ci_high"] - race["ci_low"]
    assert race.loc["White", "size"] > race.loc["Black", "size"] > race.loc["Other", "size"]
    assert width["White"] < width["Black"] < width["Other"]
    assert adult_report.resamples == 300 and adult_report.auc_resamples == 100


# --- a case worked out by hand ---------------------------------------------------------------------------------

# Group A (6 rows): TP 2, FN 1, FP 1, TN 2.  Group B (4 rows): TP 1, FN 0, FP 1, TN 2.
HAND = pd.DataFrame(
    {
        "label": [1, 1, 1, 0, 0, 0, 1, 0, 0, 0],
        "prediction": [1, 1, 0, 1, 0, 0, 1, 1, 0, 0],
        "group": ["A"] * 6 + ["B"] * 4,
    }
)
HAND_EXPECTED = {
    "A": {"base_rate": 3 / 6, "selection_rate": 3 / 6, "tpr": 2 / 3, "fpr": 1 / 3, "fnr": 1 / 3, "tnr": 2 / 3,
          "precision": 2 / 3, "npv": 2 / 3, "fdr": 1 / 3, "for": 1 / 3, "accuracy": 4 / 6},
    "B": {"base_rate": 1 / 4, "selection_rate": 2 / 4, "tpr": 1.0, "fpr": 1 / 3, "fnr": 0.0, "tnr": 2 / 3,
          "precision": 1 / 2, "npv": 1.0, "fdr": 1 / 2, "for": 0.0, "accuracy": 3 / 4},
}  # fmt: skip


def hand_report(**settings):
    return check_bias(
        HAND, BiasSettings(label="label", prediction="prediction", attributes=("group",), min_group_size=1, **settings)
    )


def test_hand_computed_confusion_metrics():
    groups = hand_report().groups.set_index(["group", "metric"])
    for group, metrics in HAND_EXPECTED.items():
        for metric, expected in metrics.items():
            assert groups.loc[(group, metric), "value"] == pytest.approx(expected), (group, metric)
    assert groups.loc[("A", "tpr"), "denominator"] == 3  # actual positives
    assert groups.loc[("B", "npv"), "denominator"] == 2  # predicted negatives
    assert groups.loc[("A", "tpr"), "size"] == 6 and groups.loc[("B", "tpr"), "share"] == pytest.approx(0.4)


def test_hand_computed_ratios_and_differences_to_the_largest_group():
    groups = hand_report().groups.set_index(["group", "metric"])
    assert set(groups["reference"]) == {"A"}
    expected = {"selection_rate": 1.0, "tpr": 1.5, "fpr": 1.0, "precision": 0.75, "accuracy": 1.125, "fnr": 0.0}
    for metric, ratio in expected.items():
        assert groups.loc[("B", metric), "ratio"] == pytest.approx(ratio), metric
    assert groups.loc[("B", "tpr"), "difference"] == pytest.approx(1 / 3)
    assert groups.loc[("B", "precision"), "difference"] == pytest.approx(-1 / 6)
    assert groups.loc[("A", "tpr"), "verdict"] == REFERENCE and groups.loc[("A", "tpr"), "ratio"] == 1.0


def test_a_ratio_to_a_zero_reference_is_unbounded_or_undefined_never_a_number():
    groups = hand_report(reference="B").groups.set_index(["group", "metric"])
    fnr = groups.loc[("A", "fnr")]  # A's FNR 1/3 over B's 0
    assert math.isnan(fnr["ratio"]) and "unbounded" in fnr["ratio_reason"]
    assert fnr["verdict"] == INCONCLUSIVE and fnr["difference"] == pytest.approx(1 / 3)
    both_zero = check_bias(
        HAND.assign(prediction=0),
        BiasSettings(label="label", prediction="prediction", attributes="group", min_group_size=1),
    ).groups.set_index(["group", "metric"])
    assert math.isnan(both_zero.loc[("B", "selection_rate"), "ratio"])
    assert "0 / 0 is undefined" in both_zero.loc[("B", "selection_rate"), "ratio_reason"]


def test_the_best_reference_is_the_best_value_and_the_base_rate_uses_the_largest():
    groups = hand_report(reference="best").groups
    reference = groups.groupby("metric")["reference"].first()
    assert reference["tpr"] == "B"  # 1 > 2/3: higher is better
    assert reference["fnr"] == "B"  # 0 < 1/3: lower is better
    assert reference["precision"] == "A"
    assert reference["base_rate"] == "A"  # no best value: the largest group


def test_a_named_reference_applies_where_it_exists_and_an_unknown_one_is_an_error():
    frame = pd.concat([HAND.assign(other="x"), HAND.assign(other="y", group="A")], ignore_index=True)
    report = check_bias(
        frame,
        BiasSettings(label="label", prediction="prediction", attributes=("group", "other"), reference="B",
                     min_group_size=1),
    )  # fmt: skip
    verdicts = report.verdicts.set_index(["attribute", "metric"])
    assert verdicts.loc[("group", "tpr"), "reference"] == "B"
    assert verdicts.loc[("other", "tpr"), "reference_rule"] == "largest group (no group named 'B' here)"
    with pytest.raises(BiasInputError, match="'C'"):
        hand_report(reference="C")


# --- too little data, missing values, empty intersections -------------------------------------------------------


def small_groups_frame() -> pd.DataFrame:
    """A 200-row group and a 2-row group; attribute b splits only the big group, so (tiny, v) is empty."""
    big = pd.DataFrame(
        {"label": [1, 0] * 100, "prediction": [1, 0, 0, 0] * 50, "a": "big", "b": ["u", "v"] * 100, "score": 0.5}
    )
    tiny = pd.DataFrame({"label": [1, 0], "prediction": [1, 1], "a": "tiny", "b": "u", "score": 0.5})
    return pd.concat([big, tiny], ignore_index=True)


def test_a_two_row_group_is_insufficient_data_and_never_pass_or_fail():
    report = check_bias(small_groups_frame(), BiasSettings(label="label", prediction="prediction", attributes="a"))
    tiny = report.groups[report.groups["group"] == "tiny"]
    assert (tiny["verdict"] == INSUFFICIENT).sum() == len(tiny) - 1  # all but the base rate (not judged)
    assert set(tiny["reason"]) == {"group has 2 rows, fewer than 30"} and tiny["insufficient"].all()
    verdicts = report.verdicts[report.verdicts["metric"] != "base_rate"]
    assert (verdicts["verdict"] == INSUFFICIENT).all()
    assert all(groups == ["tiny"] for groups in verdicts["insufficient_groups"])
    # As the reference it makes every comparison insufficient too.
    named = check_bias(
        small_groups_frame(), BiasSettings(label="label", prediction="prediction", attributes="a", reference="tiny")
    )
    big = named.groups[(named.groups["group"] == "big") & (named.groups["metric"] == "tpr")].iloc[0]
    assert big["verdict"] == INSUFFICIENT and big["verdict_reason"].startswith("reference group tiny: group has 2 rows")


def test_an_empty_intersection_is_a_zero_row_group_with_insufficient_data():
    report = check_bias(
        small_groups_frame(), BiasSettings(label="label", prediction="prediction", attributes=("a", "b"))
    )
    intersection = report.groups[report.groups["attribute"] == "a × b"]
    assert sorted(set(intersection["group"])) == ["big × u", "big × v", "tiny × u", "tiny × v"]
    empty = intersection[intersection["group"] == "tiny × v"]
    assert (empty["size"] == 0).all() and (empty["share"] == 0).all()
    assert empty["value"].isna().all() and empty["insufficient"].all()
    assert set(empty["reason"]) == {"group is empty (0 rows)"}
    assert set(empty["verdict"]) == {INSUFFICIENT, NOT_JUDGED}


def test_a_group_without_actual_positives_has_an_insufficient_tpr_with_the_reason():
    frame = small_groups_frame()
    frame.loc[frame["a"] == "big", "label"] = 0
    frame = pd.concat([frame, frame.assign(a="other", label=[1, 0] * (len(frame) // 2))], ignore_index=True)
    settings = BiasSettings(label="label", prediction="prediction", score="score", attributes="a")
    groups = check_bias(frame, settings).groups
    tpr = groups[(groups["group"] == "big") & (groups["metric"] == "tpr")].iloc[0]
    assert tpr["insufficient"] and tpr["reason"] == "0 actual positives: tpr is undefined"
    assert math.isnan(tpr["value"]) and tpr["verdict"] == INSUFFICIENT
    auc = groups[(groups["group"] == "big") & (groups["metric"] == "auc")].iloc[0]
    assert auc["reason"] == "0 actual positives: auc is undefined" and math.isnan(auc["value"])
    assert groups[(groups["group"] == "big") & (groups["metric"] == "fpr")].iloc[0]["reason"] == ""


def test_a_small_denominator_names_its_count():
    frame = pd.DataFrame({"label": [1] * 3 + [0] * 97, "prediction": [1] * 50 + [0] * 50, "a": "g"})
    frame = pd.concat([frame, frame.assign(a="h")], ignore_index=True)
    groups = check_bias(frame, BiasSettings(label="label", prediction="prediction", attributes="a")).groups
    tpr = groups[(groups["group"] == "h") & (groups["metric"] == "tpr")].iloc[0]
    assert tpr["reason"] == "3 actual positives, fewer than 30" and tpr["value"] == 1.0


def test_missing_attribute_values_form_their_own_group():
    frame = small_groups_frame()
    frame["a"] = frame["a"].astype(object)
    frame.loc[:39, "a"] = None
    groups = check_bias(frame, BiasSettings(label="label", prediction="prediction", attributes="a")).groups
    sizes = groups.drop_duplicates("group").set_index("group")["size"]
    assert sizes.to_dict() == {"big": 160, "tiny": 2, "(missing)": 40}
    assert sizes.sum() == len(frame)


def test_the_json_output_has_no_nan_or_infinity_anywhere():
    frame = small_groups_frame()
    report = check_bias(
        frame, BiasSettings(label="label", prediction="prediction", score="score", attributes=("a", "b"))
    )
    data = report.to_json_dict()
    json.dumps(data, allow_nan=False)

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        else:
            assert value is None or isinstance(value, str | bool | int | float)
            assert not (isinstance(value, float) and not math.isfinite(value))

    walk(data)
    assert data["groups"] and data["verdicts"] and data["summary"]
    # big has no false positives: tiny's FPR ratio to it has no number, and says why.
    (fpr,) = [row for row in data["groups"] if row["group"] == "tiny" and row["metric"] == "fpr"]
    assert fpr["ratio"] is None and fpr["ratio_reason"] == "the reference fpr is 0: the ratio is unbounded"
    assert {"value", "ci_low", "ratio", "ratio_low", "diff_high", "verdict", "reason"} <= set(data["groups"][0])


# --- verdict band -----------------------------------------------------------------------------------------------


def two_groups(selected_a: int, selected_b: int, size: int = 2000) -> pd.DataFrame:
    """Groups a and b of ``size`` rows each; the first ``selected_*`` rows of each are predicted positive."""
    rows = []
    for group, selected in (("a", selected_a), ("b", selected_b)):
        rows.append(
            pd.DataFrame(
                {
                    "label": np.arange(size) % 2,
                    "prediction": (np.arange(size) < selected).astype(int),
                    "group": group,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def selection_verdict(frame: pd.DataFrame, **settings) -> pd.Series:
    report = check_bias(
        frame, BiasSettings(label="label", prediction="prediction", attributes="group", reference="a", **settings)
    )
    groups = report.groups
    return groups[(groups["group"] == "b") & (groups["metric"] == "selection_rate")].iloc[0]


@pytest.mark.parametrize(
    ("selected_b", "verdict"),
    [(1000, PASS), (400, FAIL), (1600, FAIL), (800, INCONCLUSIVE), (1250, INCONCLUSIVE)],
)
def test_the_ratio_interval_against_the_band_decides_pass_fail_or_inconclusive(selected_b, verdict):
    row = selection_verdict(two_groups(1000, selected_b))
    assert row["verdict"] == verdict, row["verdict_reason"]
    low, high = row["ratio_low"], row["ratio_high"]
    inside = 0.8 <= low and high <= 1.25
    outside = high < 0.8 or low > 1.25
    assert {PASS: inside, FAIL: outside, INCONCLUSIVE: not inside and not outside}[verdict]


def test_the_band_is_configurable():
    assert selection_verdict(two_groups(1000, 400), band=(0.3, 1 / 0.3))["verdict"] == PASS


def test_the_overall_verdict_is_the_worst_judged_group():
    frame = pd.concat(
        [
            two_groups(1000, 1000),
            two_groups(1000, 800).query("group == 'b'").assign(group="c"),
            two_groups(1000, 400).query("group == 'b'").assign(group="d"),
            small_groups_frame().query("a == 'tiny'")[["label", "prediction"]].assign(group="e"),
        ],
        ignore_index=True,
    )
    settings = {"label": "label", "prediction": "prediction", "attributes": "group", "reference": "a"}
    overall = check_bias(frame, BiasSettings(**settings)).verdicts.set_index("metric").loc["selection_rate"]
    assert overall["verdict"] == FAIL
    assert overall[["pass_groups", "inconclusive_groups", "fail_groups", "insufficient_groups"]].tolist() == [
        ["b"], ["c"], ["d"], ["e"]
    ]  # fmt: skip
    without_d = check_bias(frame[frame["group"] != "d"], BiasSettings(**settings)).verdicts
    assert without_d.set_index("metric").loc["selection_rate", "verdict"] == INCONCLUSIVE


# --- bootstrap --------------------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_intervals_and_another_seed_others():
    frame = two_groups(150, 120, size=300)
    first = selection_verdict(frame, seed=7, resamples=200)
    again = selection_verdict(frame, seed=7, resamples=200)
    other = selection_verdict(frame, seed=8, resamples=200)
    assert (
        first[["ci_low", "ci_high", "ratio_low", "ratio_high"]].tolist()
        == again[["ci_low", "ci_high", "ratio_low", "ratio_high"]].tolist()
    )
    assert first[["ci_low", "ci_high"]].tolist() != other[["ci_low", "ci_high"]].tolist()


def test_an_attributes_intervals_do_not_depend_on_the_other_attributes(adult):
    settings = {"label": LABEL, "positive_label": ">50K", "prediction": "prediction", "resamples": 50}
    alone = check_bias(adult, BiasSettings(attributes="race", **settings)).groups
    with_sex = check_bias(adult, BiasSettings(attributes=("sex", "race"), **settings)).groups
    pd.testing.assert_frame_equal(alone, with_sex[with_sex["attribute"] == "race"].reset_index(drop=True))


def test_stratified_resamples_keep_every_group_size():
    cells = np.array([[5, 1, 2, 7], [0, 0, 0, 0], [100, 20, 30, 400]])
    resampled = resample_cells(cells, 500, np.random.default_rng(0))
    assert resampled.shape == (500, 3, 4)
    assert (resampled.sum(axis=2) == cells.sum(axis=1)).all()
    # The mean resampled counts approach the observed ones.
    np.testing.assert_allclose(resampled[:, 2].mean(axis=0), cells[2], rtol=0.05)


def test_confusion_cells_count_each_row_once():
    y_true = np.array([1, 1, 0, 0, 1], dtype=bool)
    y_pred = np.array([1, 0, 1, 0, 1], dtype=bool)
    cells = confusion_cells(y_true, y_pred, np.array([0, 0, 0, 1, 1]), 3)
    np.testing.assert_array_equal(cells, [[1, 1, 1, 0], [1, 0, 0, 1], [0, 0, 0, 0]])


def test_resampled_auc_equals_sklearn_on_the_same_draws_with_ties():
    rng = np.random.default_rng(3)
    actual = rng.random(400) < 0.3
    scores = np.round(rng.random(400) + 0.3 * actual, 1)  # rounding makes many ties
    negatives, positives = np.sort(scores[~actual]), scores[actual]
    below = np.searchsorted(negatives, positives, side="left")
    up_to = np.searchsorted(negatives, positives, side="right")
    # Five resamples drawing different numbers of each class; each class's rows resample after resample.
    counts = [(280, 120), (300, 100), (250, 150), (1, 399), (399, 1)]
    rows = [(rng.integers(0, len(negatives), n), rng.integers(0, len(positives), p)) for n, p in counts]
    values = auc_of_draws(
        below,
        up_to,
        len(negatives),
        (np.concatenate([r[0] for r in rows]), np.array([n for n, _ in counts])),
        (np.concatenate([r[1] for r in rows]), np.array([p for _, p in counts])),
    )
    for (negative_rows, positive_rows), value in zip(rows, values, strict=True):
        drawn = np.concatenate([negatives[negative_rows], positives[positive_rows]])
        labels = np.r_[np.zeros(len(negative_rows)), np.ones(len(positive_rows))]
        assert value == pytest.approx(roc_auc_score(labels, drawn), rel=1e-12)


def test_resampled_auc_spreads_like_a_row_bootstrap_and_skips_one_class_groups():
    rng = np.random.default_rng(4)
    actual = rng.random(300) < 0.4
    scores = rng.random(300) + 0.4 * actual
    codes = np.r_[np.zeros(300, dtype=int), 1, 1]  # group 1: two negatives only
    y_true, all_scores = np.r_[actual, False, False], np.r_[scores, 0.1, 0.2]
    resampled = resample_auc(y_true, all_scores, codes, 2, 2000, np.random.default_rng(0))
    assert np.isnan(resampled[:, 1]).all()
    # The textbook bootstrap: resample row indices, AUC by the rank-sum (Mann-Whitney) formula.
    rows = rng.integers(0, 300, size=(2000, 300))
    drawn_actual, ranks = actual[rows], rankdata(scores[rows], axis=1)
    n_positive = drawn_actual.sum(axis=1)
    rank_sum = (ranks * drawn_actual).sum(axis=1)
    naive = (rank_sum - n_positive * (n_positive + 1) / 2) / (n_positive * (300 - n_positive))
    assert resampled[:, 0].mean() == pytest.approx(np.mean(naive), abs=0.003)
    assert resampled[:, 0].std() == pytest.approx(np.std(naive), rel=0.08)


def test_percentile_bounds_skip_undefined_resamples_and_keep_unbounded_ones():
    samples = np.array([[1.0, np.nan, 1.0], [2.0, np.nan, np.inf], [3.0, np.nan, np.inf], [np.nan, np.nan, 2.0]])
    low, high = percentile_interval(samples, 0.5)
    assert low[0] == 1.0 and high[0] == 3.0
    assert np.isnan(low[1]) and np.isnan(high[1])
    assert low[2] == 1.0 and high[2] == np.inf


# --- inputs and settings ----------------------------------------------------------------------------------------


def test_labels_as_booleans_or_text_and_predictions_from_a_score_threshold():
    frame = HAND.assign(score=HAND["prediction"] * 0.9 + 0.05, text=HAND["label"].map({1: "yes", 0: "no"}))
    expected = hand_report().groups["value"]
    for settings in (
        {"label": "text", "positive_label": "yes", "score": "score"},
        {"label": "label", "score": "score", "threshold": 0.9},
    ):
        groups = check_bias(frame, BiasSettings(attributes="group", min_group_size=1, **settings)).groups
        groups = groups[groups["metric"] != "auc"].reset_index(drop=True)
        pd.testing.assert_series_equal(groups["value"], expected)
    as_bool = HAND.assign(label=HAND["label"].astype(bool))
    groups = check_bias(as_bool, BiasSettings(label="label", prediction="prediction", attributes="group")).groups
    pd.testing.assert_series_equal(groups["value"], expected)


@pytest.mark.parametrize(
    ("frame", "settings", "message"),
    [
        (HAND.assign(text="no"), {"label": "text", "positive_label": "yes"}, None),
        (HAND.assign(text=["a", "b", "c"] * 3 + ["a"]), {"label": "text"}, "3 distinct values"),
        (HAND.assign(text=HAND["label"].map({1: "yes", 0: "no"})), {"label": "text"}, "not a value"),
        (HAND.assign(prediction=2), {"label": "label"}, "other than 0 and 1"),
        (HAND.assign(label=np.nan), {"label": "label"}, "missing in 10 rows"),
        (HAND, {"label": "label", "attributes": "nope"}, "no column named 'nope'"),
    ],
)
def test_inputs_that_cannot_be_checked_say_why(frame, settings, message):
    settings = {"prediction": "prediction", "attributes": "group", **settings}
    if message is None:  # a single label value that is not the positive one: every example is negative
        groups = check_bias(frame, BiasSettings(**settings)).groups
        assert (groups[groups["metric"] == "base_rate"]["value"] == 0).all()
        return
    with pytest.raises(BiasInputError, match=message):
        check_bias(frame, BiasSettings(**settings))


@pytest.mark.parametrize(
    "settings",
    [{"band": (1.1, 1.25)}, {"attributes": ()}, {"prediction": None}, {"confidence": 1.0}, {"resamples": 0}],
)
def test_settings_that_make_no_sense_are_refused(settings):
    with pytest.raises(ValueError):
        BiasSettings(**{"label": "label", "prediction": "prediction", "attributes": "group", **settings})


def test_summary_measures_flag_thin_groups_and_leave_out_groups_without_the_rate():
    frame = small_groups_frame()
    frame.loc[frame["a"] == "tiny", "label"] = 0  # tiny has no actual positives: no TPR
    summary = check_bias(frame, BiasSettings(label="label", prediction="prediction", attributes="a")).summary
    summary = summary.set_index("measure")
    assert summary.loc["demographic_parity_difference", "reason"] == "includes groups with too little data: tiny"
    assert math.isnan(summary.loc["equal_opportunity_difference", "value"])
    assert summary.loc["equal_opportunity_difference", "reason"] == "fewer than two groups have a tpr"
    assert summary["insufficient"].all()


# --- fairness tree and logged metrics ---------------------------------------------------------------------------


def test_the_fairness_tree_puts_false_positives_first_for_punitive_actions():
    assert fairness_tree("punitive").metrics == ("fpr", "fdr")
    assert fairness_tree("assistive", reach="most").metrics == ("fnr", "for")
    assert fairness_tree("assistive", reach="few").metrics == ("tpr",)
    assert fairness_tree("assistive").metrics == ("fnr", "for", "tpr")
    representation = fairness_tree("punitive", representation=True)
    assert representation.metrics[0] == "selection_rate" and "Representation" in representation.rationale
    with pytest.raises(ValueError):
        fairness_tree("neutral")


def test_logged_per_group_metrics_are_listed_as_given():
    summary = {
        "fairness/sex/Female/recall": 0.71,
        "fairness/sex/Male/recall": np.float64(0.8),
        "fairness/race/Black/African American/precision": 0.5,
        "fairness/sex/recall_gap": 0.09,
        "fairness/sex/Female/auc": "NaN",
        "val/auc": 0.9,
    }
    logged = logged_group_metrics(summary)
    assert logged[["attribute", "group", "metric"]].values.tolist() == [
        ["race", "Black/African American", "precision"],
        ["sex", "Female", "auc"],
        ["sex", "Female", "recall"],
        ["sex", "Male", "recall"],
    ]
    assert logged["value"].tolist()[2:] == [0.71, 0.8]
    assert math.isnan(logged.loc[1, "value"]) and logged.loc[1, "note"] == "logged 'NaN'"
    assert logged_group_metrics({}).columns.tolist() == ["attribute", "group", "metric", "value", "note"]


def test_the_intervals_cover_the_true_rates_about_as_often_as_they_claim():
    """Coverage on a simulated case: known recall per group (0.70 for A, 0.56 for B, true ratio 0.8); each of 200
    simulated validation sets gets its 95% bootstrap intervals; about 95% of them must hold the true values. With
    200 trials a correct method lands in 0.91-0.98 with probability above 0.99."""
    rng = np.random.default_rng(7)
    true_recall = {"A": 0.70, "B": 0.56}
    trials, covered_value, covered_ratio = 200, 0, 0
    for trial in range(trials):
        groups = np.where(rng.random(600) < 0.5, "A", "B")
        label = np.ones(600, dtype=int)  # recall only depends on the positives
        found = rng.random(600) < np.vectorize(true_recall.get)(groups)
        frame = pd.DataFrame({"label": label, "prediction": found.astype(int), "group": groups})
        report = check_bias(frame, BiasSettings(label="label", prediction="prediction", attributes=("group",),
                                                reference="A", resamples=400, seed=trial, intersections=False))
        rows = report.groups[report.groups["metric"] == "tpr"].set_index("group")
        covered_value += rows.loc["B", "ci_low"] <= true_recall["B"] <= rows.loc["B", "ci_high"]
        covered_ratio += rows.loc["B", "ratio_low"] <= 0.8 <= rows.loc["B", "ratio_high"]
    assert 0.91 <= covered_value / trials <= 0.98
    assert 0.91 <= covered_ratio / trials <= 0.98
