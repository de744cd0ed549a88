"""Velocity per sprint: commitment at the start, completed during the sprint, mean of the last three."""

from __future__ import annotations

from datetime import date

import pandas as pd

from sprintboard.analytics.velocity import velocity
from tests.analytics.backlog_cases import at, sprint_with_every_kind_of_change


def test_commitment_completed_and_the_three_sprint_average():
    items, events = sprint_with_every_kind_of_change()
    events.loc[len(events)] = ["G", at(20), "status", "To Do", "Done"]
    items.loc[items["item_id"] == "G", "status"] = "Done"
    sprints = pd.DataFrame(
        [["S2", "Sprint 2", date(2026, 1, 19), date(2026, 1, 30)], ["S1", "Sprint 1", date(2026, 1, 5),
                                                                    date(2026, 1, 16)],
         ["S3", "Sprint 3", date(2026, 2, 2), date(2026, 2, 13)]],  # S3 has not started on 25 January
        columns=["sprint_id", "name", "start_date", "end_date"])
    rows = velocity(sprints, items, events, as_of=at(25))
    assert rows[["sprint_id", "finished", "committed", "completed", "average_3"]].values.tolist() == [
        ["S1", True, 17, 11, 11], ["S2", False, 3, 3, 7]]
