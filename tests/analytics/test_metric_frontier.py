"""The sprint frontier on a hand-made case: best run per sprint, best so far, deltas, direction."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from sprintboard.analytics.metric_frontier import HIGHER, LOWER, better_direction, sprint_frontier
from tests.analytics.rows import add_run, add_sprint


def summary(con, run_id: str, key: str, value: float) -> None:
    con.execute("INSERT INTO run_summary (run_id, key, value_json, value_num) VALUES (?, ?, ?, ?)",
                [run_id, key, str(value), value])


@pytest.fixture
def sprints(con):
    for index, sprint in enumerate(("S1", "S2", "S3", "S4")):
        start = date(2026, 1, 5) + timedelta(days=14 * index)
        add_sprint(con, sprint, start, start + timedelta(days=11))
    runs = [  # run, sprint, started, val/auc, state
        ("a", "S1", datetime(2026, 1, 6), 0.80, "finished"),
        ("b", "S1", datetime(2026, 1, 7), 0.84, "finished"),
        ("c", "S2", datetime(2026, 1, 20), 0.82, "finished"),  # worse than S1's best: frontier stays
        ("d", "S2", datetime(2026, 1, 21), 0.95, "failed"),  # a failed run never counts
        ("e", "S4", datetime(2026, 2, 17), 0.88, "finished"),
        ("f", "S4", datetime(2026, 2, 18), 0.88, "finished"),  # a tie: the earlier run is the best
    ]
    for run_id, sprint, started, auc, state in runs:
        add_run(con, run_id, created_at=started, sprint_ref=sprint, state=state)
        summary(con, run_id, "val/auc", auc)
        summary(con, run_id, "val/loss", 1 - auc)
    return con


def test_frontier_best_runs_and_deltas(sprints):
    table = sprint_frontier(sprints, "val/auc", baseline=0.81)
    assert table["sprint_id"].tolist() == ["S1", "S2", "S3", "S4"]
    assert table["runs"].tolist() == [2, 1, 0, 2]
    assert table["best_run_id"].fillna("-").tolist() == ["b", "c", "-", "e"]
    assert table["best"].tolist()[:2] == [0.84, 0.82] and table["best"].isna().tolist() == [False, False, True, False]
    assert table["frontier"].tolist() == [0.84, 0.84, 0.84, 0.88]
    assert table["delta_previous"].tolist()[1] == pytest.approx(-0.02)
    assert table["delta_previous"].tolist()[3] == pytest.approx(0.06)  # against S2, the last sprint with a run
    assert table["frontier_gain"].fillna(-1).tolist() == pytest.approx([-1, 0.0, 0.0, 0.04])
    assert table["delta_baseline"].tolist() == pytest.approx([0.03, 0.03, 0.03, 0.07])


def test_lower_is_better_is_known_from_the_name_and_settable(sprints):
    assert better_direction("val/loss") == LOWER and better_direction("val/auc") == HIGHER
    assert better_direction("test_RMSE") == LOWER
    loss = sprint_frontier(sprints, "val/loss")
    assert loss["best_run_id"].fillna("-").tolist() == ["b", "c", "-", "e"]
    assert loss["frontier"].tolist() == pytest.approx([0.16, 0.16, 0.16, 0.12])
    flipped = sprint_frontier(sprints, "val/auc", direction=LOWER)
    assert flipped["best_run_id"].fillna("-").tolist() == ["a", "c", "-", "e"]
    assert flipped["frontier"].tolist() == pytest.approx([0.80, 0.80, 0.80, 0.80])


def test_a_tie_goes_to_the_run_that_started_first_whatever_its_id(con):
    add_sprint(con, "S1", date(2026, 1, 5), date(2026, 1, 16))
    for run_id, started in (("a-later", datetime(2026, 1, 9)), ("z-earlier", datetime(2026, 1, 6))):
        add_run(con, run_id, created_at=started, sprint_ref="S1")
        summary(con, run_id, "val/auc", 0.9)
    for direction in (HIGHER, LOWER):
        assert sprint_frontier(con, "val/auc", direction)["best_run_id"].tolist() == ["z-earlier"]


def test_a_sprint_with_only_unfinished_runs_or_non_finite_values_has_no_best(con):
    add_sprint(con, "S1", date(2026, 1, 5), date(2026, 1, 16))
    add_run(con, "crashed", created_at=datetime(2026, 1, 6), sprint_ref="S1", state="crashed")
    summary(con, "crashed", "val/auc", 0.99)
    add_run(con, "nan", created_at=datetime(2026, 1, 7), sprint_ref="S1")
    summary(con, "nan", "val/auc", float("nan"))
    table = sprint_frontier(con, "val/auc", baseline=0.5)
    assert table["runs"].tolist() == [0]
    assert table[["best", "frontier", "delta_previous", "frontier_gain", "delta_baseline"]].isna().all(axis=None)
    assert table["best_run_id"].isna().all()


def test_an_unknown_direction_is_refused(con):
    with pytest.raises(ValueError, match="direction must be 'higher' or 'lower'"):
        sprint_frontier(con, "val/auc", "sideways")
