"""Time-boxes: working hours in progress against the agreed time, by hand."""

from __future__ import annotations

from datetime import datetime

from sprintboard.analytics.timeboxes import timebox_report, working_hours
from sprintboard.analytics.work_calendar import WorkCalendar
from tests.analytics.backlog_cases import at, frames, item


def spikes():
    items = [item("S1", "Done", None, item_type="spike", timebox=16),
             item("S2", "In Progress", None, item_type="spike", timebox=8),
             item("H1", "Done", None, item_type="hypothesis", timebox=4),
             item("S3", "To Do", None, item_type="spike", timebox=8),
             item("T1", "Done", 3)]  # no time-box: not listed
    events = [["S1", at(5, 9), "status", "To Do", "In Progress"], ["S1", at(7, 9), "status", "In Progress", "Done"],
              ["S2", at(9, 12), "status", "To Do", "In Progress"],
              ["H1", at(5, 9), "status", "To Do", "Test Hypothesis"], ["H1", at(6, 9), "status", "Test Hypothesis",
                                                                         "Done"]]
    return frames(items, events)


def test_working_hours_skip_the_weekend():
    assert working_hours(at(9, 12), at(12, 12), WorkCalendar()) == 8  # half of Friday, half of Monday


def test_report_flags_overruns_and_time_boxes_that_ran_out():
    items, events = spikes()
    report = timebox_report(items, events, as_of=at(12, 12)).set_index("item_id")
    assert report.loc["S1", ["spent_hours", "status"]].tolist() == [16, "within"]
    assert report.loc["S2", ["spent_hours", "status"]].tolist() == [8, "within"]
    assert report.loc["H1", ["spent_hours", "overrun_hours", "status"]].tolist() == [8, 4, "overrun"]
    assert report.loc["S3", "status"] == "not started"
    assert "T1" not in report.index
    later = timebox_report(items, events, as_of=datetime(2026, 1, 12, 18)).set_index("item_id")
    assert later.loc["S2", ["spent_hours", "status"]].tolist() == [10, "ran out, no outcome"]
    assert later.index[0] == "S2"  # findings first
