"""Burndown of a real Jira board export (tests/fixtures/jira, SOURCES.md): every issue in it is done."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sprintboard.analytics.backlog_data import BoardSettings, sprint_burndown
from sprintboard.ingest.driver import ingest_paths
from sprintboard.store import read_connection

BOARD = Path(__file__).parents[1] / "fixtures" / "jira" / "au-heartbeat__Heartbeat__jira.board.1963.issue.alldone.json"


def test_a_closed_sprint_of_a_real_board_burns_down_to_zero_and_says_it_is_approximate(store_path):
    assert not ingest_paths(store_path, [BOARD]).rejected
    with read_connection(store_path) as con:
        points = con.execute("SELECT sum(points) FROM work_items WHERE sprint_id = '11606'").fetchone()[0]
        chart = sprint_burndown(con, "Apollo Sprint 66", "points", BoardSettings(), datetime(2026, 1, 1))
    assert (chart.sprint.first_day, chart.sprint.last_day) == (date(2022, 8, 29), date(2022, 9, 11))
    last = chart.days.iloc[-1]
    assert last["remaining"] == 0 and last["completed"] == last["scope"] == points  # every issue is done
    assert chart.committed + chart.changes.loc[chart.changes["kind"] == "scope added", "delta"].sum() == points
    assert not chart.exact  # the board export has no changelog
