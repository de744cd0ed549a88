"""Per-group confusion metrics for the bias checks: inputs, groups, counts and rates.

Inputs (one row per example):

* the label is positive where it equals ``positive_label`` (``1`` by default, which ``True`` also equals); a label
  column holds at most two distinct values and no missing ones;
* the prediction is a 0/1 (or boolean) column, or -- when it holds the label's own values -- positive where it
  equals ``positive_label``; without a prediction column it is ``score >= threshold``;
* a sensitive attribute column may hold strings or numbers. Every distinct value is a group, named by its text
  (whole floats without ``.0``, so an integer column with gaps still reads ``25``); missing values form the group
  ``(missing)`` instead of being dropped. A value spelled ``(missing)`` joins that group.
* the intersection of two attributes ``a × b`` has one group per pair of values, named ``"<a value> × <b value>"``,
  including pairs that no row has (size 0): an empty intersection is a finding, not something to hide.

Confusion cells per group: TP, FP, FN, TN. Rates (value = numerator / denominator):

============== ======================== =====================
metric         numerator                denominator
============== ======================== =====================
base_rate      TP + FN                  group size
selection_rate TP + FP                  group size
accuracy       TP + TN                  group size
tpr (recall)   TP                       actual positives (TP + FN)
fnr            FN                       actual positives
fpr            FP                       actual negatives (FP + TN)
tnr            TN                       actual negatives
precision      TP                       predicted positives (TP + FP)
fdr            FP                       predicted positives
npv            TN                       predicted negatives (FN + TN)
for            FN                       predicted negatives
auc            (ranks; see group_auc)   the smaller class, min(actual positives, actual negatives)
============== ======================== =====================

A rate whose denominator is 0 is undefined (``NaN`` inside this module; the report turns it into a missing value
with a reason). A metric is *insufficient* when the group has fewer than ``min_group_size`` rows or the metric's
denominator is below it -- or is 0, whatever the minimum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

MISSING_GROUP = "(missing)"
INTERSECTION = " × "

# Column order of the confusion cells in every count array.
TP, FP, FN, TN = range(4)


class BiasInputError(ValueError):
    """The predictions frame cannot be checked as given (missing columns, labels, predictions or scores)."""


@dataclass(frozen=True)
class Metric:
    """One group metric: which confusion cells it counts over which, and which direction is better.

    ``higher_is_better`` is ``None`` for the base rate, which describes the data, not the model.
    """

    name: str
    title: str
    numerator: tuple[int, ...]
    denominator: tuple[int, ...]
    denominator_name: str
    higher_is_better: bool | None


ALL_CELLS = (TP, FP, FN, TN)
METRICS: tuple[Metric, ...] = (
    Metric("base_rate", "Base rate", (TP, FN), ALL_CELLS, "rows", None),
    Metric("selection_rate", "Selection rate", (TP, FP), ALL_CELLS, "rows", True),
    Metric("tpr", "True positive rate (recall)", (TP,), (TP, FN), "actual positives", True),
    Metric("fpr", "False positive rate", (FP,), (FP, TN), "actual negatives", False),
    Metric("fnr", "False negative rate", (FN,), (TP, FN), "actual positives", False),
    Metric("tnr", "True negative rate", (TN,), (FP, TN), "actual negatives", True),
    Metric("precision", "Precision (PPV)", (TP,), (TP, FP), "predicted positives", True),
    Metric("npv", "Negative predictive value", (TN,), (FN, TN), "predicted negatives", True),
    Metric("fdr", "False discovery rate", (FP,), (TP, FP), "predicted positives", False),
    Metric("for", "False omission rate", (FN,), (FN, TN), "predicted negatives", False),
    Metric("accuracy", "Accuracy", (TP, TN), ALL_CELLS, "rows", True),
)
AUC = Metric("auc", "AUC", (), (), "actual positives or negatives, whichever are fewer", True)


@dataclass(frozen=True)
class Partition:
    """The groups of one attribute (or of an intersection of two): ``codes[i]`` is row i's group index."""

    attribute: str
    groups: tuple[str, ...]
    codes: np.ndarray


def binary_outcomes(
    frame: pd.DataFrame,
    label: str,
    prediction: str | None,
    score: str | None,
    threshold: float,
    positive_label: object,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Boolean actual and predicted outcomes, and the float scores when a score column is named."""
    _require_columns(frame, [name for name in (label, prediction, score) if name is not None])
    if frame.empty:
        raise BiasInputError("the predictions have no rows")
    labels = frame[label]
    _require_complete(labels, "label")
    distinct = pd.unique(labels)
    if len(distinct) > 2:
        raise BiasInputError(f"label column {label!r} has {len(distinct)} distinct values; a binary label has two")
    y_true = (labels == positive_label).to_numpy(dtype=bool)
    if len(distinct) == 2 and not y_true.any():
        raise BiasInputError(
            f"positive label {positive_label!r} is not a value of {label!r} ({distinct[0]!r}, {distinct[1]!r})"
        )
    scores = None
    if score is not None:
        _require_complete(frame[score], "score")
        if not pd.api.types.is_numeric_dtype(frame[score]) or pd.api.types.is_bool_dtype(frame[score]):
            raise BiasInputError(f"score column {score!r} is not numeric")
        scores = frame[score].to_numpy(dtype=float)
        if not np.isfinite(scores).all():
            raise BiasInputError(f"score column {score!r} has infinite values")
    if prediction is not None:
        y_pred = _predicted_positive(frame[prediction], distinct, positive_label)
    elif scores is not None:
        y_pred = scores >= threshold
    else:
        raise BiasInputError("name a prediction column or a score column")
    return y_true, y_pred, scores


def _predicted_positive(predictions: pd.Series, label_values: np.ndarray, positive_label: object) -> np.ndarray:
    _require_complete(predictions, "prediction")
    if pd.api.types.is_bool_dtype(predictions) or pd.api.types.is_numeric_dtype(predictions):
        if not predictions.isin([0, 1]).all():
            raise BiasInputError(f"prediction column {predictions.name!r} holds values other than 0 and 1")
        return predictions.to_numpy(dtype=bool)
    # A text prediction column speaks the label's language (">50K" / "<=50K").
    if not predictions.isin(list(label_values)).all():
        raise BiasInputError(f"prediction column {predictions.name!r} holds values the label column does not have")
    return (predictions == positive_label).to_numpy(dtype=bool)


def _require_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise BiasInputError(f"no column named {', '.join(map(repr, missing))} in the predictions")


def _require_complete(column: pd.Series, role: str) -> None:
    gaps = int(column.isna().sum())
    if gaps:
        raise BiasInputError(f"{role} column {column.name!r} is missing in {gaps} rows")


def partitions(frame: pd.DataFrame, attributes: Sequence[str], intersections: bool = True) -> list[Partition]:
    """One partition per attribute, then one per pair of attributes (in the order given) when ``intersections``."""
    _require_columns(frame, attributes)
    singles = [_partition(frame[name], name) for name in attributes]
    pairs = []
    if intersections:
        for i, first in enumerate(singles):
            for second in singles[i + 1 :]:
                pairs.append(
                    Partition(
                        attribute=f"{first.attribute}{INTERSECTION}{second.attribute}",
                        groups=tuple(f"{a}{INTERSECTION}{b}" for a in first.groups for b in second.groups),
                        codes=first.codes * len(second.groups) + second.codes,
                    )
                )
    return singles + pairs


def _partition(column: pd.Series, attribute: str) -> Partition:
    try:
        codes, uniques = pd.factorize(column, sort=True)
    except TypeError:  # mixed types (numbers and text) do not sort; keep the order they appear in
        codes, uniques = pd.factorize(column, sort=False)
    names = [_group_name(value) for value in uniques]
    if (codes < 0).any():
        names.append(MISSING_GROUP)
        codes = np.where(codes < 0, len(names) - 1, codes)
    # Distinct values can share a text (1 and "1", or "(missing)" and a gap): they are one group.
    merged: dict[str, int] = {}
    remap = np.array([merged.setdefault(name, len(merged)) for name in names], dtype=np.int64)
    return Partition(attribute, tuple(merged), remap[codes])


def _group_name(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def confusion_cells(y_true: np.ndarray, y_pred: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Counts of TP, FP, FN, TN per group: an integer array of shape (n_groups, 4)."""
    # cell index: TP=0 (1,1), FP=1 (0,1), FN=2 (1,0), TN=3 (0,0)
    cell = np.where(y_pred, np.where(y_true, TP, FP), np.where(y_true, FN, TN))
    return np.bincount(codes * 4 + cell, minlength=n_groups * 4).reshape(n_groups, 4)


@dataclass(frozen=True)
class GroupValues:
    """One metric over the groups of one partition.

    ``values`` (n_groups,) and ``samples`` (resamples, n_groups) are NaN where undefined; ``reasons[g]`` says why
    group g's value is not enough to judge (``None`` when it is).
    """

    metric: Metric
    values: np.ndarray
    samples: np.ndarray
    denominators: np.ndarray
    reasons: list[str | None]


def rate_values(metric: Metric, cells: np.ndarray, resampled: np.ndarray, min_group_size: int) -> GroupValues:
    """A confusion rate per group from ``cells`` (n_groups, 4) and ``resampled`` (resamples, n_groups, 4)."""
    values, denominators = _rate(cells, metric)
    samples, _ = _rate(resampled, metric)
    reasons = [
        _insufficiency(int(size), int(den), metric.name, metric.denominator_name, min_group_size)
        for size, den in zip(cells.sum(axis=1), denominators, strict=True)
    ]
    return GroupValues(metric, values, samples, denominators, reasons)


def auc_values(
    y_true: np.ndarray, scores: np.ndarray, part: Partition, cells: np.ndarray, samples: np.ndarray, min_group_size: int
) -> GroupValues:
    """ROC AUC per group (scikit-learn's ``roc_auc_score``), NaN for a group without both classes.

    Its denominator is the smaller class, min(actual positives, actual negatives): AUC compares every actual positive
    with every actual negative, so the rarer class limits it.
    """
    # Imported here: scikit-learn takes over a second to import, which the commands without a bias check would pay.
    from sklearn.metrics import roc_auc_score

    values = np.full(len(part.groups), np.nan)
    for group in range(len(part.groups)):
        in_group = part.codes == group
        actual = y_true[in_group]
        if actual.any() and not actual.all():
            values[group] = roc_auc_score(actual, scores[in_group])
    positives = cells[:, TP] + cells[:, FN]
    negatives = cells[:, FP] + cells[:, TN]
    reasons = [
        _insufficiency(
            int(size), int(min(p, n)), AUC.name, "actual positives" if p <= n else "actual negatives", min_group_size
        )
        for size, p, n in zip(cells.sum(axis=1), positives, negatives, strict=True)
    ]
    return GroupValues(AUC, values, samples, np.minimum(positives, negatives), reasons)


def ratio(numerator: np.ndarray | float, denominator: np.ndarray | float) -> np.ndarray:
    """numerator / denominator; +inf where only the denominator is 0, NaN where both are or either is NaN."""
    numerator, denominator = np.broadcast_arrays(np.asarray(numerator, float), np.asarray(denominator, float))
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    out[(denominator == 0) & (numerator > 0)] = np.inf
    return out


def _rate(cells: np.ndarray, metric: Metric) -> tuple[np.ndarray, np.ndarray]:
    """The metric's values and denominators over the leading axes of ``cells`` (..., 4); NaN where undefined."""
    numerator = cells[..., list(metric.numerator)].sum(axis=-1)
    denominator = cells[..., list(metric.denominator)].sum(axis=-1)
    values = np.divide(numerator, denominator, out=np.full(numerator.shape, np.nan), where=denominator > 0)
    return values, denominator


def _insufficiency(size: int, denominator: int, metric: str, denominator_name: str, min_group_size: int) -> str | None:
    """Why a group's value of ``metric`` is not enough to judge, or ``None`` when it is."""
    if size == 0:
        return "group is empty (0 rows)"
    if size < min_group_size:
        return f"group has {_count(size, 'rows')}, fewer than {min_group_size}"
    if denominator == 0:
        return f"0 {denominator_name}: {metric} is undefined"
    if denominator < min_group_size:
        return f"{_count(denominator, denominator_name)}, fewer than {min_group_size}"
    return None


def _count(number: int, plural: str) -> str:
    # every denominator name is a plural ending in "s" ("rows", "actual positives")
    return f"{number} {plural if number != 1 else plural[:-1]}"
