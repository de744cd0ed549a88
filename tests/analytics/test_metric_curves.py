"""Metric curves: M4 keeps spikes and ends per line within the budget; zoom re-reads at full resolution; groups
aggregate runs per x bucket into a mean and a band."""

from __future__ import annotations

import math
from datetime import date, datetime

import pyarrow as pa
import pytest

from sprintboard.analytics.metric_curves import CurveQuery, group_lines, metric_catalog, metric_lines, x_extent
from sprintboard.ingest.loader import refresh_metric_keys
from tests.analytics.rows import add_run, add_sprint


def log(con, run_id: str, key: str, values: list[float], runtime_per_step: float = 0.5) -> None:
    add_run(con, run_id)
    # Arrow, not pandas: DuckDB reads a pandas NaN as NULL, and a logged NaN must stay a NaN.
    points = pa.table({"step": pa.array(range(len(values)), pa.int64()),  # noqa: F841 - read by DuckDB
                       "value": pa.array(values, pa.float64())})
    con.execute("""INSERT INTO history (run_id, step, runtime_s, key, value_num)
                   SELECT ?, step, step * ?, ?, value FROM points""", [run_id, runtime_per_step, key])
    refresh_metric_keys(con, run_id)


def test_each_line_keeps_its_spike_and_both_ends_within_the_budget(con):
    for run_id, spike_at in (("a", 73_451), ("b", 12_345)):
        values = [1.0] * 100_000
        values[spike_at] = 50.0
        values[-1] = 2.0
        log(con, run_id, "loss", values)
        log(con, run_id, "acc", [0.5] * 10)
    lines = metric_lines(con, CurveQuery(("a", "b"), ("loss", "acc"), budget=1000))
    for run_id, spike_at in (("a", 73_451), ("b", 12_345)):
        line = lines[(lines["run_id"] == run_id) & (lines["key"] == "loss")]
        assert len(line) <= 1000
        points = dict(zip(line["x"], line["y"], strict=True))
        assert points[spike_at] == 50.0 and points[0] == 1.0 and points[99_999] == 2.0
        assert line["x"].is_monotonic_increasing and set(line["points"]) == {100_000}
        short = lines[(lines["run_id"] == run_id) & (lines["key"] == "acc")]
        assert short["x"].tolist() == list(range(10))  # below the budget: every point


def test_zooming_reads_the_range_at_full_resolution(con):
    log(con, "a", "loss", [float(step % 7) for step in range(50_000)])
    zoomed = metric_lines(con, CurveQuery(("a",), ("loss",), x_range=(20_000, 20_300), budget=1000))
    assert zoomed["x"].tolist() == list(range(20_000, 20_301))
    assert zoomed["y"].tolist() == [float(step % 7) for step in range(20_000, 20_301)]


def test_nan_is_kept_as_logged_and_text_is_not_a_point(con):
    log(con, "a", "loss", [1.0, float("nan"), 3.0])
    con.execute("INSERT INTO history (run_id, step, key, value_text) VALUES ('a', 5, 'loss', 'diverged')")
    line = metric_lines(con, CurveQuery(("a",), ("loss",)))
    assert line["x"].tolist() == [0, 1, 2] and math.isnan(line["y"].iloc[1])


def test_x_axis_relative_time_and_another_metric(con):
    log(con, "a", "loss", [4.0, 3.0, 2.0], runtime_per_step=2.0)
    log(con, "a", "epoch", [0.0, 0.5, 1.0])
    by_time = metric_lines(con, CurveQuery(("a",), ("loss",), "runtime"))
    assert by_time["x"].tolist() == [0.0, 2.0, 4.0]
    by_epoch = metric_lines(con, CurveQuery(("a",), ("loss",), "metric:epoch"))
    assert list(zip(by_epoch["x"], by_epoch["y"], strict=True)) == [(0.0, 4.0), (0.5, 3.0), (1.0, 2.0)]
    assert x_extent(con, CurveQuery(("a",), ("loss",), "metric:epoch")) == (0.0, 1.0)


def test_groups_average_runs_per_bucket_with_a_band(con):
    add_sprint(con, "S1", date(2026, 1, 5), date(2026, 1, 16))
    add_sprint(con, "S2", date(2026, 1, 19), date(2026, 1, 30))
    for run_id, value, start in (("a", 1.0, datetime(2026, 1, 6)), ("b", 3.0, datetime(2026, 1, 7)),
                                 ("c", 10.0, datetime(2026, 1, 20))):
        add_run(con, run_id, created_at=start)
        log(con, run_id, "loss", [value] * 8)
    groups = group_lines(con, CurveQuery(("a", "b", "c"), ("loss",), budget=16), "sprint")
    first = groups[groups["group"] == "S1"]
    assert first["x"].tolist() == list(range(8))
    assert set(first["mean"]) == {2.0} and set(first["low"]) == {1.0} and set(first["high"]) == {3.0}
    assert first["std"].iloc[0] == pytest.approx(math.sqrt(2)) and set(first["runs"]) == {2}
    second = groups[groups["group"] == "S2"]
    assert set(second["mean"]) == {10.0} and second["std"].isna().all()  # one run: no spread


def test_grouping_by_config_value_puts_runs_without_it_in_none(con):
    for run_id, value in (("a", 1.0), ("b", 2.0), ("c", 5.0)):
        log(con, run_id, "loss", [value, value])
    con.execute("""INSERT INTO run_config (run_id, key, value_json, value_text)
                   VALUES ('a', 'model', '"mlp"', 'mlp'), ('b', 'model', '"mlp"', 'mlp')""")
    groups = group_lines(con, CurveQuery(("a", "b", "c"), ("loss",)), "config", "model")
    means = groups.groupby("group")["mean"].first().to_dict()
    assert means == {"mlp": 1.5, "(none)": 5.0}


def test_long_group_lines_stay_within_the_budget(con):
    for run_id in ("a", "b"):
        log(con, run_id, "loss", [float(step) for step in range(10_000)])
    groups = group_lines(con, CurveQuery(("a", "b"), ("loss",), budget=400), "group")
    assert len(groups) == 400 and groups["x"].is_monotonic_increasing


def test_catalog_counts_runs_per_numeric_metric(con):
    log(con, "a", "loss", [1.0])
    log(con, "b", "loss", [1.0])
    log(con, "b", "acc", [1.0])
    assert metric_catalog(con).to_dict("records") == [{"key": "loss", "runs": 2}, {"key": "acc", "runs": 1}]


def test_bad_queries_are_refused():
    with pytest.raises(ValueError, match="x-axis"):
        CurveQuery(("a",), ("loss",), "epoch")
    with pytest.raises(ValueError, match="budget"):
        CurveQuery(("a",), ("loss",), budget=3)


def test_a_value_reached_at_several_steps_is_kept_at_the_first_every_time(con):
    values = [0.5] * 20_000
    for step in (7_882, 7_891, 15_000):  # a capped metric touching 1.0 several times in a bucket
        values[step] = 1.0
    log(con, "a", "acc", values)
    runs = [metric_lines(con, CurveQuery(("a",), ("acc",), budget=400)) for _ in range(3)]
    kept = [sorted(run.loc[run["y"] == 1.0, "x"].tolist()) for run in runs]
    assert kept[0] == kept[1] == kept[2] and 7_882 in kept[0] and 7_891 not in kept[0]
