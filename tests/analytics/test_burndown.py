"""Burndown and burnup against values worked out by hand with Jira's rules (see the module docstring)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from sprintboard.analytics.burndown import compute_burndown
from sprintboard.analytics.work_calendar import WorkCalendar
from tests.analytics.backlog_cases import SPRINT, at, frames, item, sprint_with_every_kind_of_change


def test_every_kind_of_change_moves_the_lines_by_hand_computed_amounts():
    items, events = sprint_with_every_kind_of_change()
    chart = compute_burndown(SPRINT, items, events, "points", as_of=datetime(2026, 2, 1))
    assert chart.committed == 17  # A 5 + B 3 + D 8 + E 1; F was done before the start, G is another sprint's
    got = chart.changes[["item_id", "kind", "delta", "remaining", "scope", "completed"]].values.tolist()
    assert got == [
        ["E", "completed", -1, 16, 17, 1],
        ["A", "completed", -5, 11, 17, 6],
        ["B", "estimate changed", 2, 13, 19, 6],
        ["C", "scope added", 2, 15, 21, 6],
        ["D", "scope removed", -8, 7, 13, 6],
        ["E", "reopened", 1, 8, 13, 5],
        ["B", "completed", -5, 3, 13, 10],
        ["E", "completed", -1, 2, 13, 11],
    ]
    assert chart.exact


def test_days_carry_the_end_of_day_values_and_the_guideline_is_flat_over_the_weekend():
    items, events = sprint_with_every_kind_of_change()
    days = compute_burndown(SPRINT, items, events, "points", as_of=datetime(2026, 2, 1)).days.set_index("day")
    assert days.loc[date(2026, 1, 5), "remaining"] == 17  # nothing happened on day one
    assert days.loc[date(2026, 1, 10), "remaining"] == 7  # D left on Saturday
    assert days.loc[date(2026, 1, 16), "remaining"] == 2
    guideline = days["guideline"]
    assert guideline[date(2026, 1, 5)] == pytest.approx(17 * 9 / 10)
    assert guideline[date(2026, 1, 9)] == guideline[date(2026, 1, 10)] == guideline[date(2026, 1, 11)]
    assert guideline[date(2026, 1, 9)] == pytest.approx(17 * 5 / 10)
    assert guideline[date(2026, 1, 16)] == 0
    assert days["working_day"].sum() == 10


def test_a_holiday_is_flat_too():
    items, events = sprint_with_every_kind_of_change()
    holiday = WorkCalendar.from_settings(holidays=[date(2026, 1, 6)])
    guideline = compute_burndown(SPRINT, items, events, calendar=holiday, as_of=at(20)).days.set_index("day")[
        "guideline"]
    assert guideline[date(2026, 1, 5)] == pytest.approx(17 * 8 / 9)
    assert guideline[date(2026, 1, 6)] == guideline[date(2026, 1, 5)]


def test_count_statistic_counts_items():
    items, events = sprint_with_every_kind_of_change()
    chart = compute_burndown(SPRINT, items, events, "count", as_of=at(20))
    assert chart.committed == 4
    assert chart.changes["delta"].tolist() == [-1, -1, 1, -1, 1, -1, -1]  # no row for B's re-estimate
    assert chart.days["remaining"].iloc[-1] == 1


def test_a_running_sprint_stops_at_as_of():
    items, events = sprint_with_every_kind_of_change()
    chart = compute_burndown(SPRINT, items, events, as_of=at(8, 12))
    assert chart.changes["item_id"].tolist() == ["E", "A", "B"]
    days = chart.days.set_index("day")
    assert days.loc[date(2026, 1, 8), "remaining"] == 13
    assert pd.isna(days.loc[date(2026, 1, 9), "remaining"])


def test_without_a_changelog_the_chart_says_it_is_an_approximation():
    items, events = frames([item("A", "Done", 3, resolved=at(7)), item("B", "To Do", 2)], [])
    chart = compute_burndown(SPRINT, items, events, as_of=at(20))
    assert chart.committed == 5
    assert chart.changes[["item_id", "kind", "remaining"]].values.tolist() == [["A", "completed", 2]]
    assert not chart.exact and len(chart.approximations) == 2


def test_an_unknown_statistic_is_refused():
    items, events = frames([], [])
    with pytest.raises(ValueError, match="statistic must be one of points, hours, count"):
        compute_burndown(SPRINT, items, events, "effort")


def test_unfinished_work_moved_to_the_next_sprint_on_the_last_day_is_carried_over_not_removed():
    items, events = frames([item("H", "In Progress", 5, sprint="S2"), item("I", "Done", 2)], [
        ["H", at(2), "sprint", None, "S1"], ["I", at(2), "sprint", None, "S1"],
        ["I", at(8), "status", "To Do", "Done"],
        ["H", at(16, 17), "sprint", "S1", "S1, S2"]])  # Jira keeps every sprint the issue has been in
    chart = compute_burndown(SPRINT, items, events, as_of=at(25))
    assert chart.changes[["item_id", "kind", "delta", "remaining"]].values.tolist() == [
        ["I", "completed", -2, 5], ["H", "carried over", 0, 5]]
    assert chart.days["remaining"].iloc[-1] == 5
