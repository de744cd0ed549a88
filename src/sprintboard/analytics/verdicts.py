"""Verdicts of hypotheses, computed from the runs that test them.

Verdicts:

* **open** -- no finished run yet (none linked, or the linked ones still running, or only failed ones);
* **expired** -- open, and the time-box is over (or, without a time-box, the sprint has ended): no decision came;
* **supported** -- every condition is met;
* **refuted** -- the runs are finished and a condition is clearly not met (a refuted hypothesis is a result too);
* **inconclusive** -- the evidence does not decide: the seeds disagree, or the threshold lies inside the
  run-to-run spread of the mean, or the criteria cannot be evaluated (no baseline, a metric no run logged).

Aggregation over the finished runs (failed, crashed and killed runs are listed but never count as evidence):

* ``mean`` -- each metric is averaged over the runs (seeds). With two or more runs the *spread* is the 95%
  t-interval of the mean; a condition is *met* when every run meets it and the whole interval is on the good side of
  the threshold, *not met* when no run meets it and the whole interval is on the bad side, and *uncertain* otherwise.
  With one run it is met or not met, and the evidence says it rests on a single run;
* ``best`` -- the best run decides: supported when at least one run meets every condition (that run is named),
  refuted when none does. The spread is then the range over runs.

A person's recorded decision overrides the computed verdict; both are kept and shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sprintboard.analytics.criteria import Condition, CriteriaError, parse_criteria

VERDICTS = ("supported", "refuted", "inconclusive", "open", "expired")
FINISHED = "finished"
STILL_RUNNING = frozenset({"running", "pending"})
CONFIDENCE = 0.95


@dataclass
class ConditionEvidence:
    """The numbers behind one condition."""

    condition: str
    metric: str
    threshold: float | None
    observed: float | None
    margin: float | None
    spread_low: float | None
    spread_high: float | None
    runs_meeting: int
    runs_measured: int
    status: str  # met | not met | uncertain | cannot evaluate
    note: str = ""


@dataclass
class Verdict:
    hypothesis_id: str
    computed: str
    reason: str
    evidence: list[ConditionEvidence] = field(default_factory=list)
    evidence_runs: list[str] = field(default_factory=list)
    excluded_runs: dict[str, str] = field(default_factory=dict)
    best_run: str | None = None
    decision: str | None = None
    decision_note: str | None = None

    @property
    def final(self) -> str:
        """The recorded decision when there is one, else the computed verdict."""
        return self.decision or self.computed


def mean_interval(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The two-sided t-interval of the mean of ``values`` (at least two)."""
    # Imported here: scipy.stats takes about a second to import, which every command would pay.
    from scipy import stats

    mean = float(values.mean())
    half = float(stats.t.ppf((1 + confidence) / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values)))
    return mean - half, mean + half


def evaluate_condition(condition: Condition, values: pd.Series, baseline: float | None,
                       aggregation: str) -> ConditionEvidence:
    """Evidence for one condition from the runs' ``values`` of its metric (indexed by run id)."""
    threshold = condition.threshold(baseline)
    measured = values.dropna()
    if threshold is None:
        return ConditionEvidence(str(condition), condition.metric, None, None, None, None, None, 0, len(measured),
                                 "cannot evaluate", "the criteria compare with a baseline, and none is set")
    if measured.empty:
        return ConditionEvidence(str(condition), condition.metric, threshold, None, None, None, None, 0, 0,
                                 "cannot evaluate", f"no finished run logged {condition.metric}")
    meeting = int(sum(condition.holds(v, threshold) for v in measured))
    array = measured.to_numpy(dtype=float)
    if aggregation == "best":
        observed = float(array.max() if condition.higher_is_better else array.min())
        low, high = float(array.min()), float(array.max())
        status = "met" if meeting else "not met"
        note = "single run" if len(array) == 1 else f"best of {len(array)} runs; spread is the range"
    else:
        observed = float(array.mean())
        if len(array) == 1:
            low = high = observed
            status = "met" if meeting else "not met"
            note = "the evidence is a single run: no spread can be estimated"
        else:
            low, high = mean_interval(array)
            inside = low <= threshold <= high
            if meeting == len(array) and not inside:
                status = "met"
            elif meeting == 0 and not inside:
                status = "not met"
            else:
                status = "uncertain"
            note = (f"{meeting} of {len(array)} runs meet it" if 0 < meeting < len(array) else
                    f"the threshold lies inside the {CONFIDENCE:.0%} interval of the mean" if inside else
                    f"mean of {len(array)} runs, {CONFIDENCE:.0%} t-interval")
    return ConditionEvidence(str(condition), condition.metric, threshold, observed,
                             condition.margin(observed, threshold), low, high, meeting, len(array), status, note)


def compute_verdict(hypothesis_id: str, criteria: str | None, aggregation: str, runs: pd.DataFrame,
                    summaries: pd.DataFrame, baseline_value: float | None = None,
                    baseline_summary: dict[str, float] | None = None, timebox_over: bool = False,
                    decision: str | None = None, decision_note: str | None = None) -> Verdict:
    """The verdict of one hypothesis.

    ``runs``: the linked runs (``run_id``, ``state``); ``summaries``: their numeric summary values (``run_id``,
    ``key``, ``value_num``); the baseline is ``baseline_value`` or, per metric, ``baseline_summary`` (the baseline
    run's summary). ``timebox_over`` turns an open verdict into expired.
    """
    verdict = Verdict(hypothesis_id, "open", "", decision=decision, decision_note=decision_note)
    states = dict(zip(runs["run_id"], runs["state"], strict=True)) if len(runs) else {}
    finished = [run for run, state in states.items() if state == FINISHED]
    verdict.excluded_runs = {run: state for run, state in states.items() if state != FINISHED}
    verdict.evidence_runs = finished
    if not finished:
        running = [run for run, state in states.items() if state in STILL_RUNNING]
        verdict.reason = ("runs are still running" if running else
                          f"no finished run ({len(states)} linked)" if states else "no runs are linked yet")
        if timebox_over:
            verdict.computed = "expired"
            verdict.reason = f"the time-box is over with no decision: {verdict.reason}"
        return verdict
    try:
        conditions = parse_criteria(criteria)
    except CriteriaError as error:
        verdict.computed, verdict.reason = "inconclusive", f"the criteria cannot be read: {error}"
        return verdict
    usable = summaries[summaries["run_id"].isin(finished)]
    for condition in conditions:
        values = usable[usable["key"] == condition.metric].set_index("run_id")["value_num"]
        baseline = baseline_value
        if baseline is None and baseline_summary is not None:
            baseline = baseline_summary.get(condition.metric)
        verdict.evidence.append(evaluate_condition(condition, values, baseline, aggregation))
    verdict.computed, verdict.reason = _combine(verdict.evidence, aggregation, conditions, usable, verdict)
    return verdict


def _combine(evidence: list[ConditionEvidence], aggregation: str, conditions: list[Condition],
             usable: pd.DataFrame, verdict: Verdict) -> tuple[str, str]:
    if any(e.status == "cannot evaluate" for e in evidence):
        first = next(e for e in evidence if e.status == "cannot evaluate")
        return "inconclusive", f"{first.condition}: {first.note}"
    if aggregation == "best":
        best = _best_run_meeting_all(conditions, evidence, usable)
        if best is not None:
            verdict.best_run = best
            return "supported", f"run {best} meets every condition"
        return "refuted", "no single run meets every condition"
    if all(e.status == "met" for e in evidence):
        return "supported", "every condition is met"
    if any(e.status == "uncertain" for e in evidence):
        first = next(e for e in evidence if e.status == "uncertain")
        return "inconclusive", f"{first.condition}: {first.note}"
    first = next(e for e in evidence if e.status == "not met")
    return "refuted", f"{first.condition} is not met (margin {first.margin:+.4g})"


def _best_run_meeting_all(conditions: list[Condition], evidence: list[ConditionEvidence],
                          usable: pd.DataFrame) -> str | None:
    """The run meeting every condition with the largest margin on the first condition, if any."""
    table = usable.pivot_table(index="run_id", columns="key", values="value_num", aggfunc="last")
    best, best_margin = None, -math.inf
    for run_id, row in table.iterrows():
        margins = []
        for condition, proof in zip(conditions, evidence, strict=True):
            value = row.get(condition.metric)
            if value is None or pd.isna(value) or not condition.holds(value, proof.threshold):
                break
            margins.append(condition.margin(value, proof.threshold))
        else:
            if margins[0] > best_margin:
                best, best_margin = run_id, margins[0]
    return best
