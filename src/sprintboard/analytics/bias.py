"""Bias checks of a binary classifier's predictions: group metrics, disparities, summary measures and verdicts.

Groups and metrics are defined in :mod:`sprintboard.analytics.bias_metrics` (per attribute, per pair of attributes,
missing values as the group ``(missing)``, empty intersections kept with size 0), intervals in
:mod:`sprintboard.analytics.bias_bootstrap` (resampled within each group). This module compares the groups.

Reference group, per attribute and metric (``BiasSettings.reference``):

* ``"largest"`` (default) -- the group with the most rows (the first of equals);
* ``"best"`` -- the group with the best value of the metric among groups with enough data (higher is better for
  selection rate, TPR, TNR, precision, NPV, accuracy and AUC; lower for FPR, FNR, FDR and FOR). The base rate has no
  best value and uses the largest group, as does a metric no group has enough data for. The group is chosen once,
  on the full data; the resamples compare with that same group;
* a group name -- that group, in each attribute that has it; other attributes use their largest group (and say so).
  A name that no attribute has is an error.

Disparity of a group to the reference, per metric: ``ratio = group / reference`` and ``difference = group -
reference``. A ratio whose reference value is 0 is not a number: ``+inf`` when the group's value is above 0
("unbounded"), undefined when both are 0. Neither is reported as a ratio; ``ratio_reason`` says which. The same rule
holds inside the resamples, so an interval's upper bound can be ``inf`` (unbounded); JSON output writes it as null.

Verdict per group and metric, from the bootstrap interval of the ratio and the band (default 0.8 to 1.25):

* **Insufficient data** -- the group or the reference has fewer than ``min_group_size`` rows, or fewer than that in
  the metric's denominator (a 2-row group is never Pass or Fail);
* **Pass** -- the whole interval lies inside the band;
* **Fail** -- the whole interval lies outside it (above or below);
* **Inconclusive** -- the interval straddles an edge of the band, or the ratio is unbounded or undefined;
* **Reference** for the reference group itself, and **Not judged** for the base rate, which describes the labels,
  not the model (its ratios are shown for context).

Verdict per attribute and metric: the worst verdict among the non-reference groups that can be judged, with Fail
worse than Inconclusive worse than Pass; groups with insufficient data are listed apart and never decide it. When no
group can be judged (all insufficient, or the attribute has a single group) the verdict is Insufficient data.

The default band is the "four-fifths rule" (a selection-rate ratio below 0.8 suggests adverse impact, and 1.25 =
1/0.8 mirrors it). It is a convention from US employment guidelines used here as a screening threshold, not a legal
test and not proof of fairness or of discrimination; choose the band and the metrics for the use case.

Summary measures per attribute (demographic parity, equal opportunity and equalized odds, difference and ratio) are
Fairlearn's between-group measures; their definitions and edge cases are in :mod:`sprintboard.analytics.bias_summary`.
Which metrics to look at first for a use case: :mod:`sprintboard.analytics.bias_context`.

Every interval comes from ``resamples`` stratified bootstrap resamples (AUC from ``auc_resamples``, default the
same) seeded by ``seed``. Each attribute (and intersection) draws from its own streams, keyed by the seed and its
name, so adding an attribute or a score column leaves the other intervals as they were.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from sprintboard.analytics.bias_bootstrap import percentile_interval, resample_auc, resample_cells
from sprintboard.analytics.bias_metrics import (
    METRICS,
    BiasInputError,
    GroupValues,
    Metric,
    Partition,
    auc_values,
    binary_outcomes,
    confusion_cells,
    partitions,
    rate_values,
    ratio,
)
from sprintboard.analytics.bias_summary import summary_measures

PASS = "Pass"
FAIL = "Fail"
INCONCLUSIVE = "Inconclusive"
INSUFFICIENT = "Insufficient data"
REFERENCE = "Reference"
NOT_JUDGED = "Not judged"


@dataclass(frozen=True)
class BiasSettings:
    """What to check and how strictly. Columns are named by ``label``, ``prediction``/``score`` and ``attributes``.

    ``attributes`` takes one name or several. ``prediction`` wins over ``score >= threshold`` when both are named;
    the score then serves AUC only. ``reference`` is ``"largest"``, ``"best"`` or a group name; ``band`` is the
    (low, high) range of acceptable ratios; ``min_group_size`` the fewest rows (and denominator) a judged value needs;
    ``auc_resamples`` defaults to ``resamples``; ``intersections`` adds every pair of attributes.
    """

    label: str
    prediction: str | None = None
    score: str | None = None
    threshold: float = 0.5
    positive_label: object = 1
    attributes: tuple[str, ...] = ()
    reference: str = "largest"
    band: tuple[float, float] = (0.8, 1.25)
    min_group_size: int = 30
    resamples: int = 1000
    auc_resamples: int | None = None
    seed: int = 0
    confidence: float = 0.95
    intersections: bool = True

    def __post_init__(self) -> None:
        # A single attribute given as a string would otherwise be read letter by letter.
        attributes = (self.attributes,) if isinstance(self.attributes, str) else tuple(self.attributes)
        object.__setattr__(self, "attributes", attributes)
        object.__setattr__(self, "band", tuple(float(edge) for edge in self.band))
        if not attributes or len(set(attributes)) != len(attributes):
            raise ValueError("name at least one sensitive attribute, each once")
        if self.prediction is None and self.score is None:
            raise ValueError("name a prediction column or a score column")
        low, high = self.band
        if not 0 < low <= 1 <= high:
            raise ValueError(f"band {self.band} must be positive and contain 1 (equal rates)")
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence {self.confidence} must be between 0 and 1")
        if self.resamples < 1 or (self.auc_resamples is not None and self.auc_resamples < 1):
            raise ValueError("resamples must be at least 1")
        if self.min_group_size < 1:
            raise ValueError("min_group_size must be at least 1")
        if self.seed < 0:
            raise ValueError("seed must be 0 or more")


@dataclass
class BiasReport:
    """The outcome of :func:`check_bias`: three tidy tables and how they were computed.

    * ``groups`` -- one row per attribute, group and metric: size, share, value with its interval, denominator,
      insufficient + reason, reference group, ratio and difference to it with intervals, verdict + reason;
    * ``verdicts`` -- one row per attribute and metric: the overall verdict and the groups behind it;
    * ``summary`` -- one row per attribute and Fairlearn summary measure, with its interval.
    """

    settings: BiasSettings
    population: int
    resamples: int
    auc_resamples: int | None
    groups: pd.DataFrame
    verdicts: pd.DataFrame
    summary: pd.DataFrame

    def to_json_dict(self) -> dict[str, object]:
        """Plain data for ``json.dumps``: missing and infinite numbers become null, numpy scalars Python ones."""
        return {
            "settings": _plain(asdict(self.settings)),
            "population": self.population,
            "resamples": self.resamples,
            "auc_resamples": self.auc_resamples,
            "groups": _records(self.groups),
            "verdicts": _records(self.verdicts),
            "summary": _records(self.summary),
        }


def check_bias(frame: pd.DataFrame, settings: BiasSettings) -> BiasReport:
    """Check the predictions in ``frame`` for disparities between the groups of each sensitive attribute."""
    y_true, y_pred, scores = binary_outcomes(
        frame, settings.label, settings.prediction, settings.score, settings.threshold, settings.positive_label
    )
    parts = partitions(frame, settings.attributes, settings.intersections)
    _check_reference_name(settings.reference, parts)
    auc_resamples = (settings.auc_resamples or settings.resamples) if scores is not None else None
    group_rows: list[dict[str, object]] = []
    verdict_rows: list[dict[str, object]] = []
    summary_rows: list[dict[str, object]] = []
    for part in parts:
        cells = confusion_cells(y_true, y_pred, part.codes, len(part.groups))
        sizes = cells.sum(axis=1)
        resampled = resample_cells(cells, settings.resamples, _stream(settings.seed, part.attribute, "cells"))
        measured = [rate_values(metric, cells, resampled, settings.min_group_size) for metric in METRICS]
        if scores is not None:
            auc_samples = resample_auc(
                y_true,
                scores,
                part.codes,
                len(part.groups),
                auc_resamples,
                _stream(settings.seed, part.attribute, "auc"),
            )
            measured.append(auc_values(y_true, scores, part, cells, auc_samples, settings.min_group_size))
        for measure in measured:
            rows, verdict = _compare_groups(part, sizes, measure, settings, len(frame))
            group_rows.extend(rows)
            verdict_rows.append(verdict)
        summary_rows.extend(summary_measures(part, sizes, {m.metric.name: m for m in measured}, settings.confidence))
    return BiasReport(
        settings=settings,
        population=len(frame),
        resamples=settings.resamples,
        auc_resamples=auc_resamples,
        groups=pd.DataFrame(group_rows),
        verdicts=pd.DataFrame(verdict_rows),
        summary=pd.DataFrame(summary_rows),
    )


def _stream(seed: int, attribute: str, purpose: str) -> np.random.Generator:
    """A generator keyed by the seed, the attribute's name and what it draws -- not by the attribute's position."""
    return np.random.default_rng([seed, zlib.crc32(attribute.encode()), zlib.crc32(purpose.encode())])


def _check_reference_name(reference: str, parts: list[Partition]) -> None:
    if reference not in ("largest", "best") and not any(reference in part.groups for part in parts):
        raise BiasInputError(f"reference group {reference!r} is not a group of any attribute")


def _reference(part: Partition, sizes: np.ndarray, measure: GroupValues, rule: str) -> tuple[int, str]:
    """The reference group's index for this metric, and how it was chosen."""
    largest = int(np.argmax(sizes))
    if rule == "largest":
        return largest, "largest group"
    if rule != "best":
        if rule in part.groups:
            return part.groups.index(rule), "named group"
        return largest, f"largest group (no group named {rule!r} here)"
    better_high = measure.metric.higher_is_better
    if better_high is None:
        return largest, "largest group (the base rate has no best value)"
    eligible = [group for group, reason in enumerate(measure.reasons) if reason is None]
    if not eligible:
        return largest, "largest group (no group has enough data to be best)"
    values = measure.values[eligible]
    best = eligible[int(np.argmax(values) if better_high else np.argmin(values))]
    return best, "best value among groups with enough data"


def _compare_groups(
    part: Partition, sizes: np.ndarray, measure: GroupValues, settings: BiasSettings, population: int
) -> tuple[list[dict[str, object]], dict[str, object]]:
    """Rows of the groups table for one metric of one partition, and its row of the verdicts table."""
    metric = measure.metric
    ref, rule = _reference(part, sizes, measure, settings.reference)
    values, samples = measure.values, measure.samples
    ratios = ratio(values, values[ref])
    ratio_low, ratio_high = percentile_interval(ratio(samples, samples[:, [ref]]), settings.confidence)
    value_low, value_high = percentile_interval(samples, settings.confidence)
    diff_low, diff_high = percentile_interval(samples - samples[:, [ref]], settings.confidence)
    rows = []
    for g, group in enumerate(part.groups):
        ratio_reason = _ratio_reason(metric, values[g], values[ref], ratio_high[g])
        verdict, why = _verdict(g, ref, part, measure, ratios[g], ratio_low[g], ratio_high[g], settings.band)
        rows.append(
            {
                "attribute": part.attribute,
                "group": group,
                "size": int(sizes[g]),
                "share": sizes[g] / population,
                "metric": metric.name,
                "value": values[g],
                "ci_low": value_low[g],
                "ci_high": value_high[g],
                "denominator": int(measure.denominators[g]),
                "insufficient": measure.reasons[g] is not None,
                "reason": measure.reasons[g] or "",
                "reference": part.groups[ref],
                "ratio": ratios[g] if np.isfinite(ratios[g]) else np.nan,
                "ratio_low": ratio_low[g],
                "ratio_high": ratio_high[g],
                "ratio_reason": ratio_reason,
                "difference": values[g] - values[ref],
                "diff_low": diff_low[g],
                "diff_high": diff_high[g],
                "verdict": verdict,
                "verdict_reason": why,
            }
        )
    return rows, _overall(part, ref, rule, metric, rows)


def _ratio_reason(metric: Metric, value: float, reference: float, high: float) -> str:
    """Why a ratio (or its upper bound) is not a number, or "" when it is."""
    if math.isnan(value):
        return f"the group's {metric.name} is undefined"
    if math.isnan(reference):
        return f"the reference group's {metric.name} is undefined"
    if reference == 0:
        return f"the reference {metric.name} is 0: " + ("the ratio is unbounded" if value > 0 else "0 / 0 is undefined")
    if high == math.inf:
        return f"upper bound unbounded: the reference {metric.name} was 0 in some resamples"
    return ""


def _verdict(
    g: int,
    ref: int,
    part: Partition,
    measure: GroupValues,
    point: float,
    low: float,
    high: float,
    band: tuple[float, float],
) -> tuple[str, str]:
    """The verdict on group g's ratio to the reference (``point``, interval ``low`` to ``high``), and why."""
    if g == ref:
        return REFERENCE, "the group the others are compared with"
    if measure.metric.higher_is_better is None:
        return NOT_JUDGED, "the base rate describes the labels, not the model"
    if measure.reasons[g] is not None:
        return INSUFFICIENT, measure.reasons[g]
    if measure.reasons[ref] is not None:
        return INSUFFICIENT, f"reference group {part.groups[ref]}: {measure.reasons[ref]}"
    if not math.isfinite(point) or math.isnan(low) or math.isnan(high):
        return INCONCLUSIVE, "the ratio to the reference is not a number (see ratio_reason); compare the difference"
    interval = f"ratio interval {low:.3g} to {high:.3g}"
    if band[0] <= low and high <= band[1]:
        return PASS, f"{interval} lies inside the band {band[0]:g} to {band[1]:g}"
    if high < band[0] or low > band[1]:
        return FAIL, f"{interval} lies outside the band {band[0]:g} to {band[1]:g}"
    return INCONCLUSIVE, f"{interval} straddles an edge of the band {band[0]:g} to {band[1]:g}"


def _overall(part: Partition, ref: int, rule: str, metric: Metric, rows: list[dict[str, object]]) -> dict[str, object]:
    """The verdict of one attribute on one metric: the worst judged group decides; insufficient ones are listed."""
    by_verdict: dict[str, list[str]] = {FAIL: [], INCONCLUSIVE: [], PASS: [], INSUFFICIENT: []}
    for row in rows:
        if row["verdict"] in by_verdict:
            by_verdict[str(row["verdict"])].append(str(row["group"]))
    if metric.higher_is_better is None:
        verdict, reason = NOT_JUDGED, "the base rate describes the labels, not the model"
    else:
        decided = [v for v in (FAIL, INCONCLUSIVE, PASS) if by_verdict[v]]
        verdict = decided[0] if decided else INSUFFICIENT
        compared = sum(len(by_verdict[v]) for v in (FAIL, INCONCLUSIVE, PASS))
        reason = (
            f"{len(by_verdict[verdict])} of {compared} compared groups: {verdict}"
            if decided
            else "no group other than the reference has enough data to compare"
        )
    return {
        "attribute": part.attribute,
        "metric": metric.name,
        "reference": part.groups[ref],
        "reference_rule": rule,
        "verdict": verdict,
        "reason": reason,
        "fail_groups": by_verdict[FAIL],
        "inconclusive_groups": by_verdict[INCONCLUSIVE],
        "pass_groups": by_verdict[PASS],
        "insufficient_groups": by_verdict[INSUFFICIENT],
    }


def _plain(value: object) -> object:
    """JSON-ready copy of ``value``: NaN and infinities become None, containers lists and dicts."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    return None if pd.isna(value) else str(value)


def _records(frame: pd.DataFrame) -> list[object]:
    return [_plain(row) for row in frame.to_dict("records")]
