"""Bias checks on what the store holds: logged predictions tables, the team's policy, the sprint's candidates.

A predictions table is a table a run logged (``predictions``, one row per cell) read back as a frame: one row per
logged row, one column per logged column, a cell's number where it has one and its text otherwise.

The **policy** (table ``fairness_policy``) gives the defaults: which table and columns, the sensitive attributes,
what the model's action does to people, the band and the minimum group size. Where it is silent, columns are
guessed from their names (``label``/``y_true``/``target``; ``prediction``/``y_pred``; ``score``/``probability``)
and the attributes are the table's text columns with at most :data:`MAX_ATTRIBUTE_GROUPS` distinct values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from sprintboard.analytics.bias import FAIL, INCONCLUSIVE, PASS, BiasReport, BiasSettings, check_bias
from sprintboard.analytics.bias_context import FairnessPriority, fairness_tree

MAX_ATTRIBUTE_GROUPS = 20
_ROLE_NAMES = {
    "label": ("label", "y_true", "target", "actual", "truth", "ground_truth"),
    "prediction": ("prediction", "pred", "y_pred", "predicted", "predicted_label"),
    "score": ("score", "y_score", "probability", "prob", "proba", "confidence"),
}


@dataclass(frozen=True)
class FairnessPolicy:
    """The stored policy (see the module docstring), with the documented defaults where it is silent."""

    table_key: str | None = None
    label: str | None = None
    prediction: str | None = None
    score: str | None = None
    threshold: float = 0.5
    attributes: tuple[str, ...] = ()
    action: str | None = None
    reach: str | None = None
    band: tuple[float, float] = (0.8, 1.25)
    min_group_size: int = 30
    source_path: str | None = None

    def priority(self) -> FairnessPriority | None:
        """The metrics that matter for the policy's action (Aequitas' fairness tree); ``None`` when not set."""
        return fairness_tree(self.action, self.reach) if self.action else None  # type: ignore[arg-type]


def fairness_policy(con: duckdb.DuckDBPyConnection) -> FairnessPolicy:
    """The store's policy, or the defaults when none was loaded."""
    row = con.execute(
        """SELECT table_key, label, prediction, score, threshold, attributes, action, reach, band_low, band_high,
                  min_group_size, source_path FROM fairness_policy"""
    ).fetchone()
    if row is None:
        return FairnessPolicy()
    (table_key, label, prediction, score, threshold, attributes, action, reach, low, high, size, source) = row
    return FairnessPolicy(table_key, label, prediction, score, 0.5 if threshold is None else threshold,
                          tuple(attributes or ()), action, reach,
                          (0.8 if low is None else low, 1.25 if high is None else high),
                          30 if size is None else size, source)


def prediction_tables(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every logged table in the store, newest run first: ``run_id, run, sprint_id, state, created_at, table_key,
    step, rows, columns``."""
    return con.execute(
        """SELECT p.run_id, coalesce(r.name, p.run_id) AS run, rs.sprint_id, r.state, r.created_at, p.table_key,
                  any_value(p.step) AS step, count(DISTINCT p.row_index) AS rows,
                  list(DISTINCT p.column_name ORDER BY p.column_name) AS columns
           FROM predictions p LEFT JOIN runs r USING (run_id) LEFT JOIN run_sprints rs USING (run_id)
           GROUP BY ALL ORDER BY r.created_at DESC NULLS LAST, p.run_id, p.table_key"""
    ).df()


def prediction_frame(con: duckdb.DuckDBPyConnection, run_id: str, table_key: str) -> pd.DataFrame:
    """The table ``table_key`` of run ``run_id`` as a frame, in logged row order (see the module docstring)."""
    cells = con.execute(
        """SELECT row_index, column_name, value_num, value_text FROM predictions
           WHERE run_id = ? AND table_key = ? ORDER BY row_index""",
        [run_id, table_key],
    ).df()
    if cells.empty:
        return pd.DataFrame()
    order = list(dict.fromkeys(cells["column_name"]))
    cells["value"] = cells["value_num"].astype(object).where(cells["value_num"].notna(), cells["value_text"])
    frame = cells.pivot(index="row_index", columns="column_name", values="value")[order]
    frame.columns.name = None
    for column in frame.columns:  # numbers back to numbers, text stays text
        converted = pd.to_numeric(frame[column], errors="coerce")
        if converted.notna().sum() == frame[column].notna().sum():
            frame[column] = converted
    return frame.reset_index(drop=True)


def guess_roles(frame: pd.DataFrame, policy: FairnessPolicy) -> dict[str, object]:
    """``label``, ``prediction``, ``score`` and ``attributes`` for ``frame``: the policy's where they exist in the
    frame, else guessed (see the module docstring); a role nothing fits is ``None`` (attributes: empty)."""
    columns = list(frame.columns)
    lowered = {column.lower(): column for column in columns}
    roles: dict[str, object] = {}
    for role, names in _ROLE_NAMES.items():
        chosen = getattr(policy, role)
        roles[role] = chosen if chosen in columns else next((lowered[n] for n in names if n in lowered), None)
    taken = {roles["label"], roles["prediction"], roles["score"]}
    wanted = [a for a in policy.attributes if a in columns]
    roles["attributes"] = wanted or [
        column for column in columns if column not in taken and not pd.api.types.is_numeric_dtype(frame[column])
        and frame[column].nunique(dropna=False) <= MAX_ATTRIBUTE_GROUPS]
    return roles


def run_bias_report(con: duckdb.DuckDBPyConnection, run_id: str, table_key: str,
                    settings: BiasSettings) -> BiasReport:
    """:func:`~sprintboard.analytics.bias.check_bias` of one run's logged table."""
    return check_bias(prediction_frame(con, run_id, table_key), settings)


@dataclass
class CandidateTrend:
    """The bias verdicts of several candidate models side by side: one row per run, attribute and metric."""

    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    errors: dict[str, str] = field(default_factory=dict)  # run id -> why its table could not be checked


def candidate_trend(con: duckdb.DuckDBPyConnection, run_ids: tuple[str, ...], table_key: str,
                    settings: BiasSettings, metric_key: str | None) -> CandidateTrend:
    """For each run: its summary ``metric_key`` (the model metric the review follows) and, per attribute and
    metric, the verdict and the ratio of the group furthest from the reference. Intersections are left out: the
    trend compares models, and an intersection's verdict is in each run's own report."""
    trend = CandidateTrend()
    rows = []
    for run_id in run_ids:
        try:
            report = run_bias_report(con, run_id, table_key, _without_intersections(settings))
        except ValueError as exc:
            trend.errors[run_id] = str(exc)
            continue
        model_value = con.execute("SELECT value_num FROM run_summary WHERE run_id = ? AND key = ?",
                                  [run_id, metric_key]).fetchone() if metric_key else None
        groups = report.groups
        for verdict in report.verdicts.itertuples():
            judged = groups[(groups["attribute"] == verdict.attribute) & (groups["metric"] == verdict.metric)
                            & groups["ratio"].notna() & ~groups["insufficient"]]
            furthest = judged.loc[(judged["ratio"] - 1).abs().idxmax()] if len(judged) else None
            rows.append({"run_id": run_id, "model_metric": None if model_value is None else model_value[0],
                         "attribute": verdict.attribute, "metric": verdict.metric, "verdict": verdict.verdict,
                         "worst_group": None if furthest is None else furthest["group"],
                         "worst_ratio": None if furthest is None else furthest["ratio"]})
    trend.rows = pd.DataFrame(rows, columns=["run_id", "model_metric", "attribute", "metric", "verdict",
                                             "worst_group", "worst_ratio"])
    return trend


def _without_intersections(settings: BiasSettings) -> BiasSettings:
    values = {name: getattr(settings, name) for name in settings.__dataclass_fields__}
    values["intersections"] = False
    return BiasSettings(**values)


def settings_from_policy(policy: FairnessPolicy, frame: pd.DataFrame) -> BiasSettings | None:
    """Settings for a gate check of ``frame`` under ``policy`` (no AUC: the gate judges the metrics that matter);
    ``None`` when the frame lacks a label, a prediction or score, or an attribute."""
    roles = guess_roles(frame, policy)
    if roles["label"] is None or (roles["prediction"] is None and roles["score"] is None) or not roles["attributes"]:
        return None
    return BiasSettings(label=roles["label"], prediction=roles["prediction"],
                        score=None if roles["prediction"] else roles["score"], threshold=policy.threshold,
                        attributes=tuple(roles["attributes"]), band=policy.band,
                        min_group_size=policy.min_group_size, intersections=False)


def bias_gate(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> tuple[str, str]:
    """The Definition-of-Done bias gate over ``run_ids``: ``(status, detail)``.

    Each run's table (the policy's, else its only one) is checked with the policy; the metrics judged are those that
    matter for the policy's action (all but the base rate when no action is set). ``fail`` when any verdict is Fail
    or Inconclusive (the gate asks for a check that *passed*), ``pass`` when every judged verdict is Pass, ``n/a``
    when no run logged a table that can be checked or every group has insufficient data.
    """
    if not run_ids:
        return "n/a", "no finished runs"
    policy = fairness_policy(con)
    matter = policy.priority().metrics if policy.action else None
    tables = prediction_tables(con)
    failing, passing, skipped = [], 0, []
    for run_id in run_ids:
        logged = tables[tables["run_id"] == run_id]["table_key"].tolist()
        key = policy.table_key if policy.table_key in logged else (logged[0] if len(logged) == 1 else None)
        if key is None:
            skipped.append(run_id)
            continue
        settings = settings_from_policy(policy, prediction_frame(con, run_id, key))
        if settings is None:
            skipped.append(run_id)
            continue
        try:
            verdicts = check_bias(prediction_frame(con, run_id, key), settings).verdicts
        except ValueError as exc:  # labels or predictions that are not binary: say why, do not pass
            failing.append(f"{run_id}: cannot check {key}: {exc}")
            continue
        if matter is not None:
            verdicts = verdicts[verdicts["metric"].isin(matter)]
        bad = verdicts[verdicts["verdict"].isin([FAIL, INCONCLUSIVE])]
        failing += [f"{run_id}: {row.metric} by {row.attribute} {row.verdict.lower()}" for row in bad.itertuples()]
        passing += int((verdicts["verdict"] == PASS).sum())
    if failing:
        return "fail", "; ".join(failing)
    if passing:
        judged = ", ".join(matter) if matter else "every group metric"
        return "pass", f"{judged} within the band {policy.band[0]:g}–{policy.band[1]:g} for every attribute"
    if skipped and len(skipped) == len(run_ids):
        return "n/a", "no run logged a predictions table with a label, a prediction and an attribute"
    return "n/a", "too few rows in the groups to judge"
