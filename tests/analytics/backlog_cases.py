"""Hand-made backlogs for the sprint and flow analytics, as ``work_items`` and ``item_events`` frames."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from sprintboard.analytics.burndown import SprintWindow

ITEM_COLUMNS = ["item_id", "title", "item_type", "status", "points", "timebox_hours", "sprint_id", "assignee",
                "created_at", "resolved_at"]
EVENT_COLUMNS = ["item_id", "occurred_at", "field", "from_value", "to_value"]

# Two weeks, Monday 5 to Friday 16 January 2026; the weekend of the 10th and 11th between them.
SPRINT = SprintWindow("S1", "Sprint 1", date(2026, 1, 5), date(2026, 1, 16))


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 1, day, hour)


PLANNING = datetime(2026, 1, 2, 9)  # when the default item is created, before the sprint


def item(item_id, status, points, sprint="S1", created=PLANNING, item_type="story", timebox=None, resolved=None):
    return [item_id, f"title {item_id}", item_type, status, points, timebox, sprint, None, created, resolved]


def frames(items: list[list], events: list[list]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame(items, columns=ITEM_COLUMNS), pd.DataFrame(events, columns=EVENT_COLUMNS)


def sprint_with_every_kind_of_change() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A: done; B: re-estimated 3 -> 5, done; C: added on Friday; D: removed on Saturday; E: done, reopened,
    done again; F: done before the start; G: another sprint's."""
    items = [item("A", "Done", 5), item("B", "Done", 5), item("C", "In Progress", 2, created=at(9, 11)),
             item("D", "To Do", 8, sprint=None), item("E", "Done", 1), item("F", "Done", 4),
             item("G", "To Do", 3, sprint="S2")]
    events = [
        ["A", at(2), "sprint", None, "S1"], ["B", at(2), "sprint", None, "S1"], ["D", at(2), "sprint", None, "S1"],
        ["E", at(2), "sprint", None, "S1"], ["F", at(2), "sprint", None, "S1"], ["G", at(2), "sprint", None, "S2"],
        ["F", at(2, 15), "status", "To Do", "Done"],
        ["E", at(6), "status", "To Do", "Done"],
        ["A", at(6), "status", "To Do", "In Progress"], ["A", at(7), "status", "In Progress", "Done"],
        ["B", at(8), "points", "3", "5"],
        ["C", at(9, 12), "sprint", None, "S1"],
        ["D", at(10), "sprint", "S1", None],
        ["E", at(12), "status", "Done", "In Progress"],
        ["B", at(13), "status", "In Progress", "Done"], ["B", at(6), "status", "To Do", "In Progress"],
        ["E", at(14), "status", "In Progress", "Done"],
        ["C", at(9, 11), "status", None, "To Do"], ["C", at(12, 9), "status", "To Do", "In Progress"],
    ]
    return frames(items, events)
