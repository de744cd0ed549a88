"""Summary measures of one attribute's groups, as Fairlearn defines them (``method="between_groups"``).

* demographic parity difference / ratio -- max - min and min / max of the groups' selection rates
  (``fairlearn.metrics.demographic_parity_difference`` / ``_ratio``);
* equal opportunity difference / ratio -- the same over the true positive rates
  (``equal_opportunity_difference`` / ``_ratio``);
* equalized odds difference -- the larger of the TPR difference and the FPR difference; equalized odds ratio -- the
  smaller of the TPR ratio and the FPR ratio (``equalized_odds_difference`` / ``_ratio`` with ``agg="worst_case"``).

Edge cases: a measure is taken over the non-empty groups whose rate is defined. Fairlearn scores a group without
actual positives as TPR 0 (and without actual negatives as FPR 0); here such a group has no rate and is left out, so
the two agree whenever every group has both classes. A measure needs at least two such groups; a ratio whose max is
0 is undefined; equalized odds is undefined when either of its two parts is. An undefined measure is a missing value
flagged ``insufficient`` with the reason. A measure that includes a group with insufficient data keeps its value and
is flagged ``insufficient``, naming those groups: a 2-row group can set the max or the min on its own.

The interval of a measure comes from the same stratified resamples as the groups' metrics: in each resample the
measure is recomputed over the groups defined in that resample.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from sprintboard.analytics.bias_bootstrap import percentile_interval
from sprintboard.analytics.bias_metrics import GroupValues, Partition, ratio

SUMMARY_MEASURES: dict[str, tuple[str, ...]] = {
    "demographic_parity": ("selection_rate",),
    "equal_opportunity": ("tpr",),
    "equalized_odds": ("tpr", "fpr"),
}

# Per kind: how the parts of equalized odds combine into its worst case (NaN-propagating on purpose).
_WORST: dict[str, Callable[[list], np.ndarray]] = {"difference": np.maximum.reduce, "ratio": np.minimum.reduce}


@dataclass(frozen=True)
class _Spread:
    """One kind of spread (difference or ratio) of one metric over the groups."""

    value: float
    samples: np.ndarray
    reason: str  # why the value is undefined, or ""


def summary_measures(
    part: Partition, sizes: np.ndarray, measured: Mapping[str, GroupValues], confidence: float
) -> list[dict[str, object]]:
    """Rows (attribute, measure, value, ci_low, ci_high, insufficient, reason) for one partition."""
    rows = []
    for name, metric_names in SUMMARY_MEASURES.items():
        spreads = [_spreads(part, sizes, measured[metric]) for metric in metric_names]
        thin = [group for group in part.groups if any(group in used_thin for _, used_thin in spreads)]
        for kind, worst in _WORST.items():
            parts = [by_kind[kind] for by_kind, _ in spreads]
            value = float(worst([spread.value for spread in parts]))
            low, high = percentile_interval(worst([spread.samples for spread in parts]), confidence)
            reason = next((spread.reason for spread in parts if spread.reason), "")
            if not reason and thin:
                reason = f"includes groups with too little data: {', '.join(thin)}"
            rows.append(
                {
                    "attribute": part.attribute,
                    "measure": f"{name}_{kind}",
                    "value": value,
                    "ci_low": float(low),
                    "ci_high": float(high),
                    "insufficient": bool(reason),
                    "reason": reason,
                }
            )
    return rows


def _spreads(part: Partition, sizes: np.ndarray, measure: GroupValues) -> tuple[dict[str, _Spread], set[str]]:
    """Difference and ratio of one metric over the groups where it is defined; and which of those are thin."""
    used = np.flatnonzero((sizes > 0) & ~np.isnan(measure.values))
    thin = {part.groups[g] for g in used if measure.reasons[g] is not None}
    name = measure.metric.name
    samples = measure.samples[:, used]
    missing = np.isnan(samples)
    # A group undefined in a resample (its denominator drew 0) sits that resample out.
    enough = (~missing).sum(axis=1) >= 2
    high = np.where(enough, np.where(missing, -np.inf, samples).max(axis=1, initial=-np.inf), np.nan)
    low = np.where(enough, np.where(missing, np.inf, samples).min(axis=1, initial=np.inf), np.nan)
    if len(used) < 2:
        reason = f"fewer than two groups have a {name}"
        undefined = {
            "difference": _Spread(math.nan, high - low, reason),
            "ratio": _Spread(math.nan, ratio(low, high), reason),
        }
        return undefined, thin
    values = measure.values[used]
    min_over_max = float(ratio(values.min(), values.max()))
    undefined = "" if math.isfinite(min_over_max) else f"every group's {name} is 0: min / max is undefined"
    return {
        "difference": _Spread(float(values.max() - values.min()), high - low, ""),
        "ratio": _Spread(min_over_max, ratio(low, high), undefined),
    }, thin
