"""Per-sprint headline numbers on a hand-made backlog, checked against counts done by hand."""

from __future__ import annotations

from datetime import date, datetime

from sprintboard.analytics.sprint_summary import sprint_items, sprint_overview
from tests.analytics.rows import add_item, add_run, add_sprint


def test_counts_points_hypotheses_and_runs_per_sprint(con):
    add_sprint(con, "S1", date(2026, 1, 5), date(2026, 1, 16))
    add_sprint(con, "S2", date(2026, 1, 19), date(2026, 1, 30))
    add_sprint(con, "S3", date(2026, 2, 2), date(2026, 2, 13))  # nothing in it yet
    add_item(con, "A", "S1", "Done", 3)
    add_item(con, "B", "S1", "In Progress", 5)
    add_item(con, "C", "S1", "closed", None, item_type="hypothesis")  # done, no points
    add_item(con, "D", "S2", "To Do", 8, item_type="hypothesis")
    add_run(con, "tagged", sprint_ref="S2", created_at=datetime(2026, 1, 6))  # the tag wins over the date
    add_run(con, "dated", created_at=datetime(2026, 1, 16, 23, 59))  # the last day of S1 is inside S1
    add_run(con, "outside", created_at=datetime(2026, 3, 1))

    rows = sprint_overview(con).set_index("sprint_id")

    assert list(rows.index) == ["S3", "S2", "S1"]  # newest first
    s1, s2, s3 = rows.loc["S1"], rows.loc["S2"], rows.loc["S3"]
    assert (s1["items"], s1["items_done"], s1["points"], s1["points_done"]) == (3, 2, 8, 3)
    assert (s1["hypotheses"], s1["runs"]) == (1, 1)
    assert (s2["items"], s2["items_done"], s2["points"], s2["hypotheses"], s2["runs"]) == (1, 0, 8, 1, 1)
    assert (s3["items"], s3["points"], s3["runs"]) == (0, 0, 0)


def test_sprint_items_lists_only_that_sprint(con):
    add_sprint(con, "S1", date(2026, 1, 5), date(2026, 1, 16))
    add_item(con, "B", "S1", "Done", 2)
    add_item(con, "A", "S1", "To Do", 1)
    add_item(con, "Z", None, "To Do", 1)
    assert sprint_items(con, "S1")["item_id"].tolist() == ["A", "B"]
