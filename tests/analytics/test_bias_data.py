"""Bias checks on the store: a logged table read back as a frame, the policy and its defaults, and the DoD gate."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sprintboard.analytics.bias_data import (
    FairnessPolicy,
    bias_gate,
    candidate_trend,
    fairness_policy,
    guess_roles,
    prediction_frame,
    prediction_tables,
    settings_from_policy,
)
from sprintboard.ingest.loader import save_fairness_policy
from sprintboard.ingest.parsed import ParsedFairnessPolicy
from tests.analytics.rows import add_run


def log_table(con, run_id: str, columns: dict[str, list], key: str = "val/predictions") -> None:
    add_run(con, run_id)
    cells = []
    for name, values in columns.items():
        for row, value in enumerate(values):
            number = float(value) if isinstance(value, int | float) else None
            cells.append((run_id, key, 3, row, name, number, None if number is not None else value))
    cells_table = pa.table(dict(zip(["run_id", "table_key", "step", "row_index", "column_name", "value_num",  # noqa: F841
                               "value_text"], map(list, zip(*cells, strict=True)), strict=True)))
    con.execute("INSERT INTO predictions SELECT * FROM cells_table")


def fair_and_unfair(rows: int = 400, gap: float = 0.0, seed: int = 1) -> dict[str, list]:
    """Labels, predictions and a sex column; men's positives are found with recall 0.8, women's with 0.8 - gap."""
    rng = np.random.default_rng(seed)
    sex = np.where(rng.random(rows) < 0.45, "Female", "Male")  # men are the larger group: the reference
    label = (rng.random(rows) < 0.5).astype(int)
    recall = np.where(sex == "Female", 0.8 - gap, 0.8)
    prediction = np.where(label == 1, rng.random(rows) < recall, rng.random(rows) < 0.1).astype(int)
    return {"label": label.tolist(), "prediction": prediction.tolist(), "sex": sex.tolist()}


def test_a_logged_table_comes_back_as_a_frame_with_numbers_and_text(con):
    log_table(con, "r1", {"label": [1, 0], "score": [0.9, 0.2], "sex": ["Female", "Male"]})
    frame = prediction_frame(con, "r1", "val/predictions")
    assert list(frame.columns) == ["label", "score", "sex"]
    assert frame["score"].tolist() == [0.9, 0.2] and frame["sex"].tolist() == ["Female", "Male"]
    (table,) = prediction_tables(con).itertuples()
    assert (table.run_id, table.table_key, table.rows, list(table.columns)) == ("r1", "val/predictions", 2,
                                                                                ["label", "score", "sex"])


def test_roles_come_from_the_policy_else_from_names_and_text_columns(con):
    log_table(con, "r1", {"y_true": [1, 0], "probability": [0.9, 0.2], "gender": ["F", "M"], "note": ["a", "b"]})
    frame = prediction_frame(con, "r1", "val/predictions")
    guessed = guess_roles(frame, FairnessPolicy())
    assert (guessed["label"], guessed["prediction"], guessed["score"]) == ("y_true", None, "probability")
    assert guessed["attributes"] == ["gender", "note"]
    chosen = guess_roles(frame, FairnessPolicy(attributes=("gender", "absent")))
    assert chosen["attributes"] == ["gender"]


def test_the_policy_defaults_and_a_partial_reload_keeps_what_it_leaves_out(con):
    assert fairness_policy(con) == FairnessPolicy()
    save_fairness_policy(con, ParsedFairnessPolicy(table_key="val/preds", attributes=["sex"], action="punitive",
                                                   band_low=0.9, band_high=1.1, min_group_size=50), "plan.yaml")
    save_fairness_policy(con, ParsedFairnessPolicy(action="assistive", reach="few"), "app")
    policy = fairness_policy(con)
    assert (policy.table_key, policy.attributes, policy.action, policy.reach, policy.band, policy.min_group_size,
            policy.source_path) == ("val/preds", ("sex",), "assistive", "few", (0.9, 1.1), 50, "app")
    assert policy.priority().metrics == ("tpr",)


def test_the_gate_passes_similar_recall_and_fails_a_clear_gap(con):
    save_fairness_policy(con, ParsedFairnessPolicy(attributes=["sex"], action="assistive", reach="few"), "plan.yaml")
    log_table(con, "fair", fair_and_unfair(4000, gap=0.0))
    log_table(con, "unfair", fair_and_unfair(4000, gap=0.4))
    status, detail = bias_gate(con, ["fair"])
    assert status == "pass" and "tpr within the band 0.8–1.25" in detail
    status, detail = bias_gate(con, ["fair", "unfair"])
    assert status == "fail" and detail == "unfair: tpr by sex fail"


def test_the_gate_is_not_applicable_without_a_table_or_with_tiny_groups(con):
    add_run(con, "no-table")
    assert bias_gate(con, ["no-table"])[0] == "n/a"
    assert bias_gate(con, [])[0] == "n/a"
    log_table(con, "tiny", fair_and_unfair(20))
    assert bias_gate(con, ["tiny"]) == ("n/a", "too few rows in the groups to judge")


def test_the_trend_puts_candidate_models_side_by_side(con):
    log_table(con, "fair", fair_and_unfair(4000, gap=0.0))
    log_table(con, "unfair", fair_and_unfair(4000, gap=0.4))
    con.execute("""INSERT INTO run_summary (run_id, key, value_json, value_num)
                   VALUES ('fair', 'val/auc', '0.8', 0.8), ('unfair', 'val/auc', '0.85', 0.85)""")
    frame = prediction_frame(con, "fair", "val/predictions")
    settings = settings_from_policy(FairnessPolicy(attributes=("sex",)), frame)
    trend = candidate_trend(con, ("fair", "unfair"), "val/predictions", settings, "val/auc").rows
    recall = trend[trend["metric"] == "tpr"].set_index("run_id")
    assert recall.loc["fair", "verdict"] == "Pass" and recall.loc["unfair", "verdict"] == "Fail"
    assert recall.loc["unfair", "model_metric"] == 0.85 and recall.loc["unfair", "worst_group"] == "Female"
    assert 0.4 < recall.loc["unfair", "worst_ratio"] < 0.6
