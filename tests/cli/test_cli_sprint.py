"""`sprintboard burndown` and `sprintboard flow` on the demo store."""

from __future__ import annotations

import json

from click.testing import CliRunner

from sprintboard.cli import main


def test_burndown_prints_one_row_per_day_in_csv_and_json(demo_store):
    csv_out = CliRunner().invoke(main, ["burndown", "--db", str(demo_store), "--sprint", "S2", "--format", "csv"])
    assert csv_out.exit_code == 0, csv_out.output
    lines = csv_out.output.strip().splitlines()
    assert lines[0] == "date,remaining,scope,completed,guideline"
    assert len(lines) == 1 + 12  # Monday 14 to Friday 25 September 2026
    assert lines[1].startswith("2026-09-14,") and lines[-1] == "2026-09-25,0.0,22.0,22.0,0.0"
    json_out = CliRunner().invoke(main, ["burndown", "--db", str(demo_store), "--sprint", "Sprint 2 - Boosting",
                                         "--statistic", "count", "--format", "json"])
    days = json.loads(json_out.output)
    assert days[0]["date"] == "2026-09-14" and days[-1]["remaining"] == 0


def test_burndown_of_an_unknown_sprint_is_a_one_line_error(demo_store):
    result = CliRunner().invoke(main, ["burndown", "--db", str(demo_store), "--sprint", "S9"])
    assert result.exit_code == 1
    expected = f"sprintboard: error: {demo_store}: has no sprint named 'S9' with start and end dates"
    assert result.output.strip() == expected


def test_flow_json_holds_percentiles_throughput_aging_and_forecast(demo_store):
    result = CliRunner().invoke(main, ["flow", "--db", str(demo_store), "--format", "json",
                                       "--forecast-items", "3", "--forecast-date", "2027-01-29"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert set(document["cycle_time_percentiles_days"]) == {"50", "70", "85", "95"}
    assert document["finished_items"] == 23
    assert [row["item_id"] for row in document["aging_work_in_progress"]] == ["INC-404"]
    assert document["forecast"]["items"] == 3 and set(document["forecast"]["done_by"]) == {"50", "70", "85", "95"}
