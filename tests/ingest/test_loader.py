"""What the loader writes for one parsed run: values typed by the documented rule, NaN kept apart from missing."""

from __future__ import annotations

import math

from sprintboard.ingest.loader import load_run
from sprintboard.ingest.parsed import ParsedRun, ParsedTable


def _run() -> ParsedRun:
    run = ParsedRun(run_id="r1", state="finished", config={"lr": 0.1, "opt": "adam", "flag": True},
                    summary={"loss": float("nan"), "best": float("inf")})
    for step, loss in enumerate([1.0, float("nan"), 0.5]):
        run.history.append(step, 1_750_000_000.5 + step, float(step), "loss", loss)
    run.history.append(2, 1_750_000_002.5, 2.0, "note", "diverged, restarted")
    run.history.append(2, 1_750_000_002.5, 2.0, "flag", None)
    run.tables.append(ParsedTable("val/predictions", ["label", "score"], [[1, 0.9], [0, float("nan")]], step=2))
    return run


def test_a_logged_nan_stays_a_nan_and_a_null_stays_text(con):
    load_run(con, _run(), "x.wandb")
    rows = con.execute("SELECT step, key, value_num, value_text FROM history ORDER BY key, step").fetchall()
    assert rows[0] == (2, "flag", None, "null")
    losses = [row for row in rows if row[1] == "loss"]
    assert [row[2] for row in losses][::2] == [1.0, 0.5] and math.isnan(losses[1][2])
    assert rows[-1] == (2, "note", None, "diverged, restarted")
    summary = dict(con.execute("SELECT key, value_num FROM run_summary").fetchall())
    assert math.isnan(summary["loss"]) and summary["best"] == math.inf
    config = con.execute("SELECT key, value_json, value_num, value_text FROM run_config ORDER BY key").fetchall()
    assert config == [("flag", "true", None, "true"), ("lr", "0.1", 0.1, None), ("opt", '"adam"', None, "adam")]


def test_timestamps_are_utc_to_the_microsecond(con):
    load_run(con, _run(), "x.wandb")
    first = con.execute("SELECT strftime(timestamp, '%Y-%m-%d %H:%M:%S.%f') FROM history WHERE step = 0").fetchone()
    assert first[0] == "2025-06-15 15:06:40.500000"  # 1750000000 s after the epoch, in UTC


def test_table_cells_keep_nan_and_row_order(con):
    load_run(con, _run(), "x.wandb")
    cells = con.execute(
        "SELECT row_index, column_name, value_num FROM predictions WHERE column_name = 'score' ORDER BY row_index"
    ).fetchall()
    assert cells[0] == (0, "score", 0.9) and math.isnan(cells[1][2])


def test_logged_data_only_keeps_what_the_store_knows_about_the_run(con):
    load_run(con, _run(), "x.wandb")
    chart = ParsedRun(run_id="r1", name="from a chart", logged_data_only=True)
    for step, loss in enumerate([0.9, 0.8]):
        chart.history.append(step, None, None, "loss", loss)
    counts = load_run(con, chart, "chart.csv")
    assert (counts.runs, counts.history_rows) == (1, 2)
    assert con.execute("SELECT name, state, source_path FROM runs").fetchall() == [(None, "finished", "x.wandb")]
    assert con.execute("SELECT count(*) FROM run_config").fetchone()[0] == 3
    assert con.execute("SELECT count(*) FROM run_summary").fetchone()[0] == 2
    history = con.execute("SELECT step, key, value_num, value_text FROM history ORDER BY key, step").fetchall()
    # loss at steps 0-1 is replaced; loss at step 2 and the other keys at step 2 are kept
    assert [row for row in history if row[1] == "loss"][:2] == [(0, "loss", 0.9, None), (1, "loss", 0.8, None)]
    assert len(history) == 5 and (2, "note", None, "diverged, restarted") in history
    assert con.execute("SELECT count(*) FROM predictions").fetchone()[0] == 4


def test_logged_data_only_adds_a_bare_row_for_a_new_run(con):
    chart = ParsedRun(run_id="name:gpt2", name="gpt2", logged_data_only=True)
    chart.history.append(0, None, None, "train/loss", 10.9)
    load_run(con, chart, "chart.csv")
    load_run(con, chart, "chart.csv")
    assert con.execute("SELECT run_id, name, state, tags FROM runs").fetchall() == [("name:gpt2", "gpt2", "unknown",
                                                                                      [])]
    assert con.execute("SELECT count(*) FROM history").fetchone()[0] == 1


def test_a_jira_hypothesis_keeps_the_criteria_a_backlog_file_gave_it(con):
    from sprintboard.ingest.loader import load_backlog
    from sprintboard.ingest.parsed import ParsedBacklog, ParsedHypothesis

    from_file = ParsedHypothesis("ML-7", "We believe focal loss helps", item_id="ML-7", criteria="val/f1 > 0.8",
                                 aggregation="mean", baseline_value=0.7)
    from_jira = ParsedHypothesis("ML-7", "Focal loss helps rare classes", item_id="ML-7", owner="Amira")
    load_backlog(con, ParsedBacklog(hypotheses=[from_file]), "plan.yaml")
    load_backlog(con, ParsedBacklog(hypotheses=[from_jira]), "jira.json")
    row = con.execute("SELECT statement, owner, criteria, aggregation, baseline_value, source_path FROM hypotheses"
                      ).fetchone()
    assert row == ("Focal loss helps rare classes", "Amira", "val/f1 > 0.8", "mean", 0.7, "jira.json")


def test_loading_metric_goals_again_replaces_each_keys_row(con):
    from sprintboard.ingest.loader import load_backlog
    from sprintboard.ingest.parsed import ParsedBacklog, ParsedMetricGoal

    load_backlog(con, ParsedBacklog(metric_goals=[ParsedMetricGoal("val/auc", "higher", 0.9, 0.93, True),
                                                  ParsedMetricGoal("val/loss", baseline=0.4)]), "plan.yaml")
    load_backlog(con, ParsedBacklog(metric_goals=[ParsedMetricGoal("val/auc", "higher", 0.91, 0.95, True)]),
                 "plan.yaml")
    rows = con.execute("SELECT key, better, baseline, target, headline FROM metric_goals ORDER BY key").fetchall()
    assert rows == [("val/auc", "higher", 0.91, 0.95, True), ("val/loss", None, 0.4, None, False)]


def test_the_metric_list_follows_the_history_of_a_resumed_run(con):
    first = ParsedRun(run_id="r1", state="running/killed")
    for step in range(3):
        first.history.append(step, None, None, "loss", 1.0 / (step + 1))
    first.history.append(0, None, None, "note", "text only")
    load_run(con, first, "a.wandb")
    resumed = ParsedRun(run_id="r1", state="finished")
    for step in range(3, 5):
        resumed.history.append(step, None, None, "loss", 0.1)
        resumed.history.append(step, None, None, "acc", 0.9)
    load_run(con, resumed, "b.wandb")
    assert con.execute("SELECT key, points FROM metric_keys ORDER BY key").fetchall() == [("acc", 2), ("loss", 5)]


def test_values_are_stored_as_the_json_that_json_dumps_writes():
    import json

    from sprintboard.ingest.parsed import to_json

    for value in [0.1, 1e300, -0.0, float("nan"), float("inf"), -float("inf"), 5, -7, 10**40, 'a"b\u00e9\n\x00', "",
                  None, True, False, [1, "x"], {"b": 1, "a": [float("nan")]}]:
        assert to_json(value) == json.dumps(value, allow_nan=True, default=str, sort_keys=True)


def test_a_whole_number_beyond_float_range_is_kept_as_its_digits(con):
    huge = 10**400
    load_run(con, ParsedRun(run_id="r1", state="finished", config={"seed": huge, "lr": 0.1},
                            summary={"count": huge}), "x.wandb")
    config = con.execute("SELECT key, value_json, value_num, value_text FROM run_config ORDER BY key").fetchall()
    assert config == [("lr", "0.1", 0.1, None), ("seed", str(huge), None, str(huge))]
    assert con.execute("SELECT value_json, value_num, value_text FROM run_summary").fetchone() == (
        str(huge), None, str(huge))
