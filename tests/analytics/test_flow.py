"""Flow metrics on a five-item board, against counts and day spans worked out by hand."""

from __future__ import annotations

from datetime import date

import pandas as pd

from sprintboard.analytics.flow import (
    ML_LANES,
    aging_wip,
    cumulative_flow,
    cycle_time_percentiles,
    cycle_times,
    status_lanes,
    throughput,
)
from tests.analytics.backlog_cases import at, frames, item


def board():
    items = [item(k, s, 1, sprint=None, created=at(5, 8)) for k, s in
             [("K1", "Done"), ("K2", "Done"), ("K3", "Test Hypothesis"), ("K4", "Done"), ("K5", "To Do")]]
    events = [
        ["K1", at(5), "status", "To Do", "Test Hypothesis"], ["K1", at(7), "status", "Test Hypothesis", "Done"],
        ["K2", at(6), "status", "To Do", "Update Model"],
        ["K2", at(8, 9), "status", "Update Model", "Code Review Update Model"],
        ["K2", at(8, 15), "status", "Code Review Update Model", "Done"],
        ["K3", at(7), "status", "To Do", "Test Hypothesis"],
        ["K4", at(9), "status", "To Do", "Done"],
    ]
    return frames(items, events)


def test_ml_lanes_are_the_default_board():
    items, events = board()
    assert status_lanes(events, items) == list(ML_LANES)


def test_lanes_of_another_board_come_from_the_data_in_workflow_order():
    items, events = frames([item("X", "Closed", 1), item("Y", "Review", 1)], [
        ["X", at(5), "status", "Open", "Doing"], ["X", at(6), "status", "Doing", "Review"],
        ["X", at(7), "status", "Review", "Closed"], ["Y", at(6), "status", "Open", "Doing"],
        ["Y", at(8), "status", "Doing", "Review"]])
    assert status_lanes(events, items) == ["Open", "Doing", "Review", "Closed"]


def test_cumulative_flow_counts_items_per_lane_at_the_end_of_each_day():
    items, events = board()
    cfd = cumulative_flow(items, events, date(2026, 1, 5), date(2026, 1, 9)).set_index("day")
    assert list(cfd.columns) == list(ML_LANES)
    assert cfd.loc[date(2026, 1, 7)].tolist() == [2, 1, 0, 1, 0, 1]
    assert cfd.loc[date(2026, 1, 9)].tolist() == [1, 1, 0, 0, 0, 3]
    assert (cfd.sum(axis=1) == 5).all()


def test_cycle_times_count_both_ends_and_straight_to_done_is_one_day():
    items, events = board()
    cycles = cycle_times(items, events).set_index("item_id")["cycle_days"].to_dict()
    assert cycles == {"K1": 3, "K2": 3, "K4": 1}


def test_percentiles_are_observed_values_by_nearest_rank():
    assert cycle_time_percentiles(pd.Series(range(1, 11))) == {50: 5, 70: 7, 85: 9, 95: 10}
    assert cycle_time_percentiles(pd.Series([], dtype=float)) == {}


def test_throughput_per_day_and_week_includes_empty_days():
    items, events = board()
    finished = cycle_times(items, events)["finished"]
    daily = throughput(finished, date(2026, 1, 5), date(2026, 1, 11))
    assert daily["items"].tolist() == [0, 0, 1, 1, 1, 0, 0]
    weekly = throughput(finished, date(2026, 1, 5), date(2026, 1, 18), period="week")
    assert weekly.values.tolist() == [[date(2026, 1, 5), 3], [date(2026, 1, 12), 0]]


def test_aging_wip_lists_started_unfinished_items_with_their_age():
    items, events = board()
    aging = aging_wip(items, events, as_of=at(9, 12))
    assert aging[["item_id", "status", "age_days"]].values.tolist() == [["K3", "Test Hypothesis", 3]]
