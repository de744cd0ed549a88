"""Metric series: every point below the budget, and above it M4 buckets that keep spikes and both ends."""

from __future__ import annotations

import math

import pyarrow as pa

from sprintboard.analytics.history import metric_keys, metric_series, run_key_values
from sprintboard.ingest.loader import refresh_metric_keys
from tests.analytics.rows import add_run


def _log(con, run_id: str, key: str, values: list[float]) -> None:
    add_run(con, run_id)
    # Arrow, not pandas: DuckDB reads a pandas NaN as NULL, and a logged NaN must stay a NaN.
    points = pa.table({"step": range(len(values)), "value": pa.array(values, pa.float64())})  # noqa: F841
    con.execute("INSERT INTO history (run_id, step, key, value_num) SELECT ?, step, ?, value FROM points",
                [run_id, key])
    refresh_metric_keys(con, run_id)


def test_below_the_budget_every_point_comes_back_in_step_order(con):
    _log(con, "r1", "loss", [3.0, 2.0, float("nan"), 1.0])
    series = metric_series(con, "r1", "loss", max_points=10)
    assert series["step"].tolist() == [0, 1, 2, 3]
    assert series["value"].iloc[:2].tolist() == [3.0, 2.0] and math.isnan(series["value"].iloc[2])


def test_above_the_budget_a_one_step_spike_and_both_ends_survive(con):
    values = [1.0] * 100_000
    values[73_451] = 50.0  # a single-step spike that random sampling would almost surely drop
    values[12_345] = -7.0
    values[-1] = 2.0
    _log(con, "r1", "loss", values)
    series = metric_series(con, "r1", "loss", max_points=1000)
    assert len(series) <= 1000
    points = dict(zip(series["step"], series["value"], strict=True))
    assert points[73_451] == 50.0 and points[12_345] == -7.0
    assert points[0] == 1.0 and points[99_999] == 2.0
    assert series["step"].is_monotonic_increasing


def test_text_points_are_not_metrics(con):
    _log(con, "r1", "val/auc", [0.8, 0.9])
    con.execute("INSERT INTO history (run_id, step, key, value_text) VALUES ('r1', 0, 'note', 'hello')")
    assert metric_keys(con, "r1") == ["val/auc"]


def test_config_values_come_back_as_logged_json(con):
    add_run(con, "r1")
    con.execute("INSERT INTO run_config (run_id, key, value_json) VALUES ('r1', 'lr', '0.001'), ('r1', 'a', '\"x\"')")
    frame = run_key_values(con, "r1", "run_config")
    assert frame.to_dict("records") == [{"key": "a", "value": '"x"'}, {"key": "lr", "value": "0.001"}]
