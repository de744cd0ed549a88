"""The runs page lists a sprint's runs and draws a run's metric with every logged point."""

from __future__ import annotations

import json

from sprintboard.store import read_connection
from tests.plotly_arrays import values


def _figure(at) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_a_sprints_runs_and_one_runs_curve(app, demo_build):
    at = app("pages/runs.py", sprint="S2", run="s2-hgb-s0", metric="val/auc")
    runs = at.dataframe[0].value
    assert sorted(runs["name"]) == ["s2-hgb-s0", "s2-hgb-s1", "s2-hgb-s2", "s2-mlp-s0", "s2-mlp-s1", "s2-mlp-s2"]
    assert set(runs["state"]) == {"finished"}
    figure = _figure(at)
    (trace,) = figure["data"]
    with read_connection(demo_build["db"]) as con:
        steps, logged = zip(*con.execute(
            "SELECT step, value_num FROM history WHERE run_id = 's2-hgb-s0' AND key = 'val/auc' ORDER BY step"
        ).fetchall(), strict=True)
    assert values(trace["x"]) == list(steps) and len(steps) == 150
    assert values(trace["y"]) == list(logged)
    config = at.dataframe[1].value
    assert json.loads(config.set_index("key").loc["learning_rate", "value"]) == 0.1


def test_the_crashed_run_shows_as_failed(app):
    at = app("pages/runs.py", sprint="S4", run="s4-hgb-tuned-s1", metric="val/auc")
    runs = at.dataframe[0].value.set_index("name")
    assert runs.loc["s4-hgb-tuned-s1", "state"] == "failed"
    assert runs.loc["s4-hgb-tuned-s0", "state"] == "finished"
    (trace,) = _figure(at)["data"]
    assert values(trace["x"]) == list(range(121))  # it crashed after step 120
