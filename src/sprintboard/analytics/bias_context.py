"""Context for the bias checks: which metrics matter for a use case, and per-group metrics a run logged itself.

Which metrics matter -- :func:`fairness_tree` follows the fairness tree of Aequitas (the bias audit toolkit of the
Center for Data Science and Public Policy, University of Chicago). Its questions, in short:

1. Is the concern *representation* -- that each group is selected in proportion (or in equal numbers) regardless of
   the labels? Then compare selection rates (demographic parity).
2. Otherwise the concern is *errors*, and it depends on what the model's positive prediction does to a person:

   * a **punitive** action (an audit, a fraud flag, a denial) harms the people it wrongly selects, so compare the
     false positive rate (errors among people who did not warrant the action) and the false discovery rate (errors
     among the people the action was taken on);
   * an **assistive** action (an offer of help, a benefit) harms the people it misses. When the programme can reach
     most of the people in need, compare the false negative rate (people in need who were missed) and the false
     omission rate (people left out who were in need); when it can reach only a small share of them, compare recall
     (TPR): each group's people in need should be found at similar rates.

Aequitas also offers false positives / false negatives per group size for concern about everyone regardless of the
label; those are not computed here. The tree orders priorities, it does not replace a discussion of the use case.

Logged metrics -- a W&B run can log its own per-group metrics as summary keys
``fairness/<attribute>/<group>/<metric>`` (``fairness/sex/Female/recall`` = 0.71). :func:`logged_group_metrics` lists
them as given: they come with no counts, so no interval or verdict can be computed from them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pandas as pd

LOGGED_PREFIX = "fairness/"
LOGGED_COLUMNS = ["attribute", "group", "metric", "value", "note"]


@dataclass(frozen=True)
class FairnessPriority:
    """Metrics to look at first (names as in the bias report, most important first) and why."""

    metrics: tuple[str, ...]
    rationale: str


def fairness_tree(
    action: Literal["punitive", "assistive"],
    reach: Literal["most", "few"] | None = None,
    representation: bool = False,
) -> FairnessPriority:
    """The metrics whose parity matters most for a model whose positive prediction triggers ``action``.

    ``reach`` (assistive actions only; ignored for punitive ones): can the intervention reach ``"most"`` of the
    people in need, or only a ``"few"`` of them? Unknown (``None``) lists the metrics of both answers.
    ``representation``: the selection itself must be proportionate across groups; selection rate comes first.
    """
    if action == "punitive":
        metrics: tuple[str, ...] = ("fpr", "fdr")
        rationale = (
            "A punitive action harms the people it wrongly selects: compare false positive rates (among people who "
            "did not warrant it) and false discovery rates (among the people it was taken on)."
        )
    elif action == "assistive":
        if reach not in ("most", "few", None):
            raise ValueError(f"reach must be 'most', 'few' or None, not {reach!r}")
        missed = (
            "An assistive action harms the people it misses: compare false negative rates (people in need who were "
            "missed) and false omission rates (people left out who were in need)."
        )
        scarce = "When only a few of the people in need can be helped, compare recall: each group's people in need "
        scarce += "should be found at similar rates."
        metrics, rationale = {
            "most": (("fnr", "for"), missed),
            "few": (("tpr",), scarce),
            None: (("fnr", "for", "tpr"), f"{missed} {scarce}"),
        }[reach]
    else:
        raise ValueError(f"action must be 'punitive' or 'assistive', not {action!r}")
    if representation:
        metrics = ("selection_rate", *metrics)
        rationale = f"Representation matters: compare selection rates (demographic parity) first. {rationale}"
    return FairnessPriority(metrics, rationale)


def logged_group_metrics(summary: Mapping[str, object]) -> pd.DataFrame:
    """Per-group metrics from a run summary's ``fairness/<attribute>/<group>/<metric>`` keys, one row each.

    The group is everything between the attribute and the metric, so a group name may contain ``/``. Other keys
    (including attribute-level ones such as ``fairness/sex/recall_gap``) are not per-group metrics and are left
    out. A value that is not a finite number keeps its row with a missing value and a ``note`` saying what was
    logged. Rows are sorted by attribute, group and metric.
    """
    rows = []
    for key, logged in summary.items():
        if not isinstance(key, str) or not key.startswith(LOGGED_PREFIX):
            continue
        parts = key[len(LOGGED_PREFIX) :].split("/")
        if len(parts) < 3 or not parts[0] or not parts[-1]:
            continue
        value, note = _logged_number(logged)
        rows.append(
            {"attribute": parts[0], "group": "/".join(parts[1:-1]), "metric": parts[-1], "value": value, "note": note}
        )
    frame = pd.DataFrame(rows, columns=LOGGED_COLUMNS)
    return frame.sort_values(["attribute", "group", "metric"], kind="stable", ignore_index=True)


def _logged_number(logged: object) -> tuple[float, str]:
    # W&B summaries hold JSON values; numpy numbers count as numbers, booleans do not.
    if isinstance(logged, bool) or not isinstance(logged, numbers.Real | str):
        return math.nan, f"logged {logged!r}, not a number"
    try:
        value = float(logged)
    except ValueError:
        return math.nan, f"logged {logged!r}, not a number"
    if not math.isfinite(value):
        return math.nan, f"logged {logged!r}"
    return value, ""
