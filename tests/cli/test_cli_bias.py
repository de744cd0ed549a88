"""`sprintboard bias` on the demo store: every number of the check as JSON, and clear refusals."""

from __future__ import annotations

import json
import math

from click.testing import CliRunner

from sprintboard.analytics.bias import BiasSettings, check_bias
from sprintboard.analytics.bias_data import prediction_frame
from sprintboard.cli import main
from sprintboard.store import read_connection


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def walk(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)
    else:
        yield value


def test_json_gives_every_number_and_matches_the_analytics(demo_build):
    db = str(demo_build["db"])
    result = run("bias", "--run", "s3-hgb-reweight-s0", "--attribute", "sex", "--resamples", "200", "--db", db,
                 "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["table"] == "val/predictions" and report["resamples"] == 200
    assert {row["attribute"] for row in report["verdicts"]} == {"sex"}
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in walk(report))
    with read_connection(demo_build["db"]) as con:
        frame = prediction_frame(con, "s3-hgb-reweight-s0", "val/predictions")
    expected = check_bias(frame, BiasSettings(label="label", prediction="prediction", score="score",
                                              attributes=("sex",), resamples=200))
    recall = {(row["group"], row["metric"]): row for row in report["groups"]}
    for row in expected.groups.itertuples():
        got = recall[(row.group, row.metric)]
        assert got["size"] == row.size and got["verdict"] == row.verdict
        assert (got["value"] is None and math.isnan(row.value)) or math.isclose(got["value"], row.value)
    assert {m["measure"] for m in report["summary"]} >= {"demographic_parity_difference",
                                                          "equalized_odds_ratio"}


def test_text_output_names_the_band_convention(demo_build):
    result = run("bias", "--run", "s4-hgb-tuned-s0", "--attribute", "sex", "--resamples", "100",
                 "--db", str(demo_build["db"]))
    assert result.exit_code == 0, result.output
    assert "7541 rows, 100 resamples, band 0.8-1.25 (the four-fifths rule is a convention" in result.output
    assert any(line.split()[:2] == ["sex", "tpr"] for line in result.output.splitlines())


def test_a_run_without_the_table_and_a_bad_column_are_refused_in_one_line(demo_build):
    db = str(demo_build["db"])
    missing = run("bias", "--run", "s2-mlp-s0", "--db", db)
    assert missing.exit_code == 1
    assert "run 's2-mlp-s0' has no logged table" in missing.output and "(its tables: none)" in missing.output
    bad = run("bias", "--run", "s4-hgb-tuned-s0", "--attribute", "shoe_size", "--db", db)
    assert bad.exit_code == 1 and "shoe_size" in bad.output and len(bad.output.strip().splitlines()) == 1
