"""Everything a sprint review shows on one screen, computed once: the overview page, presentation mode and the HTML
report all read this.

For the chosen sprint:

* **progress** -- points and items done of those in the sprint (:mod:`sprintboard.analytics.sprint_summary`), and the
  burndown of story points (or of issue count when nothing is estimated) by Jira's rules;
* **hypotheses** -- how many ended in each verdict (a recorded decision counts over the computed verdict);
* **headline metric** -- the team's headline metric (``metric_goals``; else the most widely logged metric ending in
  ``auc``): the sprint's best finished run, the best so far, and their deltas against the previous sprint, the
  baseline and the target (:mod:`sprintboard.analytics.metric_frontier`);
* **bias status of the current best model** -- the best-so-far run's logged predictions checked with the team's
  policy (:mod:`sprintboard.analytics.bias_data`): the verdict of each metric that matters, per attribute;
* **Definition of Done** -- how many items pass, fail or cannot be checked for each gate;
* **needs a decision** -- hypotheses that expired or stay inconclusive with no recorded decision, and Definition-of-
  Done gates that fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pandas as pd

from sprintboard.analytics import metric_frontier
from sprintboard.analytics.backlog_data import BoardSettings, sprint_burndown
from sprintboard.analytics.bias import check_bias
from sprintboard.analytics.bias_data import fairness_policy, prediction_frame, prediction_tables, settings_from_policy
from sprintboard.analytics.burndown import Burndown
from sprintboard.analytics.done_checks import CHECKS, definition_of_done
from sprintboard.analytics.hypothesis_data import HypothesisCard, sprint_hypotheses
from sprintboard.analytics.metric_curves import metric_catalog
from sprintboard.analytics.sprint_summary import sprint_overview
from sprintboard.analytics.verdicts import VERDICTS
from sprintboard.store.queries import metric_goals

NEEDS_DECISION = ("expired", "inconclusive")


@dataclass
class HeadlineMetric:
    key: str
    direction: str
    best: float | None
    best_run: str | None
    frontier: float | None
    delta_previous: float | None
    frontier_gain: float | None
    baseline: float | None
    target: float | None
    best_so_far_run_id: str | None


@dataclass
class BiasStatus:
    """The bias verdicts of the best model so far: ``verdicts`` rows (attribute, metric, verdict); ``note`` says why
    there are none."""

    run_id: str | None
    table_key: str | None
    verdicts: pd.DataFrame = field(default_factory=pd.DataFrame)
    note: str = ""


@dataclass
class SprintReview:
    sprint_id: str
    name: str
    goal: str | None
    start_date: object
    end_date: object
    points_done: float
    points: float
    items_done: int
    items: int
    runs: int
    burndown: Burndown | None
    verdict_counts: dict[str, int]
    hypotheses: list[HypothesisCard]
    headline: HeadlineMetric | None
    bias: BiasStatus
    done_checks: pd.DataFrame  # check, pass, fail, n/a (counts of items)
    decisions: list[str]  # one sentence each


def headline_key(con: duckdb.DuckDBPyConnection) -> str | None:
    """The team's headline metric, else the most widely logged metric whose name ends in ``auc``, else ``None``."""
    goals = metric_goals(con)
    marked = goals[goals["headline"]]
    if len(marked):
        return str(marked["key"].iloc[0])
    catalog = metric_catalog(con)
    aucs = [key for key in catalog["key"] if key.lower().endswith("auc")]
    return aucs[0] if aucs else None


def _headline(con: duckdb.DuckDBPyConnection, sprint_id: str) -> HeadlineMetric | None:
    key = headline_key(con)
    if key is None:
        return None
    goals = metric_goals(con).set_index("key")
    goal = goals.loc[key] if key in goals.index else None
    direction = (goal["better"] if goal is not None and pd.notna(goal["better"]) else None) or \
        metric_frontier.better_direction(key)
    baseline = float(goal["baseline"]) if goal is not None and pd.notna(goal["baseline"]) else None
    target = float(goal["target"]) if goal is not None and pd.notna(goal["target"]) else None
    table = metric_frontier.sprint_frontier(con, key, direction, baseline)
    if sprint_id not in set(table["sprint_id"]):
        return None
    position = table.index[table["sprint_id"] == sprint_id][0]
    row = table.loc[position]
    so_far = table.loc[:position].dropna(subset=["best"])
    best_so_far = None
    if len(so_far):
        pick = so_far["best"].idxmax() if direction == metric_frontier.HIGHER else so_far["best"].idxmin()
        best_so_far = so_far.loc[pick, "best_run_id"]

    def number(value: object) -> float | None:
        return None if pd.isna(value) else float(value)

    return HeadlineMetric(key, direction, number(row["best"]), None if pd.isna(row["best_run"]) else row["best_run"],
                          number(row["frontier"]), number(row["delta_previous"]), number(row["frontier_gain"]),
                          baseline, target, best_so_far)


def _bias(con: duckdb.DuckDBPyConnection, run_id: str | None) -> BiasStatus:
    if run_id is None:
        return BiasStatus(None, None, note="no finished run has a value of the headline metric yet")
    policy = fairness_policy(con)
    tables = prediction_tables(con)
    logged = tables[tables["run_id"] == run_id]["table_key"].tolist()
    key = policy.table_key if policy.table_key in logged else (logged[0] if len(logged) == 1 else None)
    if key is None:
        return BiasStatus(run_id, None, note="the best model logged no predictions table")
    frame = prediction_frame(con, run_id, key)
    settings = settings_from_policy(policy, frame)
    if settings is None:
        return BiasStatus(run_id, key, note="its table lacks a label, a prediction or a sensitive attribute")
    verdicts = check_bias(frame, settings).verdicts
    matter = policy.priority().metrics if policy.action else ("selection_rate", "tpr", "fpr")
    chosen = verdicts[verdicts["metric"].isin(matter)][["attribute", "metric", "verdict"]].reset_index(drop=True)
    why = "" if policy.action else "no action set in the fairness policy: selection rate, recall and FPR shown"
    return BiasStatus(run_id, key, chosen, why)


def _done_counts(checks: pd.DataFrame) -> pd.DataFrame:
    counts = checks.groupby(["check", "status"]).size().unstack(fill_value=0)
    counts = counts.reindex(index=list(CHECKS), columns=["pass", "fail", "n/a"], fill_value=0)
    return counts.reset_index()


def sprint_review(con: duckdb.DuckDBPyConnection, sprint_id: str, as_of: datetime) -> SprintReview | None:
    """The review of ``sprint_id`` as of ``as_of`` (see the module docstring); ``None`` for an unknown sprint."""
    overview = sprint_overview(con).set_index("sprint_id")
    if sprint_id not in overview.index:
        return None
    row = overview.loc[sprint_id]
    settings = BoardSettings()
    burndown = sprint_burndown(con, sprint_id, "points" if row["points"] > 0 else "count", settings, as_of)
    cards = [card for card in sprint_hypotheses(con, None, as_of) if card.sprint_id == sprint_id]
    counts = {verdict: sum(card.verdict.final == verdict for card in cards) for verdict in VERDICTS}
    headline = _headline(con, sprint_id)
    bias = _bias(con, headline.best_so_far_run_id if headline else None)
    checks = definition_of_done(con, sprint_id, as_of)
    decisions = [f"{card.hypothesis_id} is {card.verdict.final} with no decision recorded: {card.verdict.reason}"
                 for card in cards if card.verdict.final in NEEDS_DECISION and not card.verdict.decision]
    decisions += [f"{item_id} fails {check}: {detail}" for item_id, check, detail in
                  checks[checks["status"] == "fail"][["item_id", "check", "detail"]].itertuples(index=False)]
    return SprintReview(
        sprint_id=sprint_id, name=row["name"], goal=row["goal"] if pd.notna(row["goal"]) else None,
        start_date=row["start_date"], end_date=row["end_date"], points_done=float(row["points_done"]),
        points=float(row["points"]), items_done=int(row["items_done"]), items=int(row["items"]),
        runs=int(row["runs"]), burndown=burndown, verdict_counts=counts, hypotheses=cards, headline=headline,
        bias=bias, done_checks=_done_counts(checks), decisions=decisions)
