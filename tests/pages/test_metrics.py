"""The model-metrics page: curves with every logged point (or a faint raw line under the smoothed one), groups as a
mean with a band, zoom from the URL, the sprint frontier with its tiles, and runs side by side."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sprintboard.analytics.smoothing import twema
from sprintboard.store import read_connection
from tests.plotly_arrays import values

PAGE = "pages/metrics.py"


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def logged(db, run_id: str, key: str) -> tuple[list, list]:
    with read_connection(db) as con:
        rows = con.execute("SELECT step, value_num FROM history WHERE run_id = ? AND key = ? ORDER BY step",
                           [run_id, key]).fetchall()
    return [row[0] for row in rows], [row[1] for row in rows]


def test_curves_draw_every_logged_point_of_each_chosen_run(app, demo_build):
    at = app(PAGE, view="curves", metrics="val/auc,train/loss", runs="s2-hgb-s0,s2-mlp-s0", smooth="none")
    auc, loss = figures(at)
    assert auc["layout"]["title"]["text"] == "val/auc" and loss["layout"]["title"]["text"] == "train/loss"
    assert [trace["name"] for trace in auc["data"]] == ["s2-hgb-s0", "s2-mlp-s0"]
    steps, points = logged(demo_build["db"], "s2-mlp-s0", "val/auc")
    trace = auc["data"][1]
    assert values(trace["x"]) == steps
    assert values(trace["y"]) == pytest.approx(points, rel=1e-6)  # sent as float32
    total = len(steps) + len(logged(demo_build["db"], "s2-hgb-s0", "val/auc")[0])
    assert any(f"{total:,} points drawn of {total:,} logged" in caption.value for caption in at.caption)


def test_smoothing_keeps_the_logged_line_faint_underneath(app, demo_build):
    at = app(PAGE, view="curves", metrics="val/auc", runs="s2-hgb-s0", smooth="twema", w="0.9")
    (figure,) = figures(at)
    raw, smoothed = figure["data"]
    assert raw["opacity"] == 0.25 and "opacity" not in smoothed
    steps, points = logged(demo_build["db"], "s2-hgb-s0", "val/auc")
    expected = twema(np.array(steps, float), np.array(points), 0.9)
    assert values(smoothed["y"]) == pytest.approx(expected.tolist(), rel=1e-5)


def test_zoom_in_the_url_reads_that_range(app, demo_build):
    at = app(PAGE, view="curves", metrics="val/auc", runs="s2-hgb-s0", smooth="none", x="10:20")
    (figure,) = figures(at)
    assert values(figure["data"][0]["x"]) == list(range(10, 21))
    assert any("Zoomed to Step 10 – 20" in caption.value for caption in at.caption)


def test_grouping_by_sprint_draws_a_mean_and_band_per_sprint(app, demo_build):
    at = app(PAGE, view="curves", metrics="val/auc", runs="s1-logreg-s0,s1-logreg-s1,s2-hgb-s0", lines="sprint",
             band="minmax")
    (figure,) = figures(at)
    means = [trace for trace in figure["data"] if trace.get("name")]
    assert [trace["name"].rsplit(" (", 1)[1] for trace in means] == ["2 runs)", "1 run)"]
    first = [logged(demo_build["db"], run, "val/auc")[1][0] for run in ("s1-logreg-s0", "s1-logreg-s1")]
    assert values(means[0]["y"])[0] == pytest.approx(sum(first) / 2, rel=1e-6)
    low, high = figure["data"][1], figure["data"][0]
    assert values(low["y"])[0] == pytest.approx(min(first), rel=1e-6)
    assert values(high["y"])[0] == pytest.approx(max(first), rel=1e-6)


def test_sprint_view_tiles_and_frontier(app, demo_build):
    at = app(PAGE, view="sprints", metric="val/auc", sprint="S2", **{"baseline.val/auc": "0.85",
                                                                       "target.val/auc": "0.93"})
    with read_connection(demo_build["db"]) as con:
        best = dict(con.execute(
            """SELECT rs.sprint_id, max(s.value_num) FROM run_summary s JOIN runs r USING (run_id)
               JOIN run_sprints rs USING (run_id) WHERE s.key = 'val/auc' AND r.state = 'finished'
               GROUP BY 1""").fetchall())
    tiles = {metric.label: metric for metric in at.metric}
    assert tiles["Best this sprint"].value == f"{best['S2']:.4g}"
    assert tiles["Best this sprint"].proto.delta == f"{best['S2'] - best['S1']:+.4f} vs previous sprint"
    assert tiles["Best so far"].value == f"{max(best['S1'], best['S2']):.4g}"
    (figure,) = figures(at)
    frontier = next(trace for trace in figure["data"] if trace["name"] == "best so far")
    assert values(frontier["y"]) == pytest.approx(np.maximum.accumulate(
        [best[s] for s in ("S1", "S2", "S3", "S4")]).tolist())
    assert {shape["y0"] for shape in figure["layout"]["shapes"]} == {0.85, 0.93}


def test_the_teams_goals_are_the_defaults_and_lower_is_better_for_the_brier_score(app):
    at = app(PAGE, view="sprints")
    assert at.selectbox(key="url_select_metric").value == "val/auc"  # the backlog's headline metric
    (figure,) = figures(at)
    assert {shape["y0"] for shape in figure["layout"]["shapes"]} == {0.900, 0.925}
    brier = app(PAGE, view="sprints", metric="val/brier")
    assert brier.selectbox(key="url_select_better.val/brier").value == "lower"
    (figure,) = figures(brier)
    best_so_far = values(next(t for t in figure["data"] if t["name"] == "best so far")["y"])
    assert best_so_far == sorted(best_so_far, reverse=True)  # lower is better: never goes up


def test_compare_runs_highlights_what_differs(app):
    at = app(PAGE, view="compare", runs="s2-hgb-s0,s2-mlp-s0", pmetric="val/auc")
    table = at.dataframe[0].value
    differing = set(table.loc[table["differs"], "field"])
    assert "model" in differing and "seed" not in differing
    assert table["differs"].all()  # "only what differs" is on by default
    figures_ = figures(at)
    assert figures_ and figures_[0]["data"][0]["type"] == "parcoords"


def test_compared_values_are_text_with_numbers_to_ten_digits(app):
    at = app(PAGE, view="compare", runs="s2-hgb-s0,s2-mlp-s0", pmetric="val/auc")
    table = at.dataframe[0].value.set_index("field")
    for column in table.columns.drop(["section", "differs"]):
        assert table[column].map(type).eq(str).all(), column  # one type per column: no Arrow fallback
    values = {field: table.loc[field].drop(["section", "differs"]).tolist() for field in ("model", "epochs")}
    assert values["model"] == ["boosting", "mlp"] and values["epochs"] == ["", "20"]  # the boosted trees have none
