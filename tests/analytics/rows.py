"""Inserting hand-made rows with only the columns a test cares about; the rest get neutral values."""

from __future__ import annotations

from datetime import date, datetime


def add_run(con, run_id: str, *, created_at: datetime | None = None, sprint_ref: str | None = None,
            state: str = "finished") -> None:
    con.execute(
        """INSERT INTO runs (run_id, state, created_at, tags, sprint_ref, source_path, loaded_at)
           VALUES (?, ?, ?, [], ?, 'test', now()) ON CONFLICT DO NOTHING""",
        [run_id, state, created_at, sprint_ref],
    )


def add_sprint(con, sprint_id: str, start: date, end: date, name: str | None = None) -> None:
    con.execute(
        "INSERT INTO sprints (sprint_id, name, start_date, end_date, source_path) VALUES (?, ?, ?, ?, 'test')",
        [sprint_id, name or sprint_id, start, end],
    )


def add_item(con, item_id: str, sprint_id: str | None, status: str, points: float | None = None,
             item_type: str = "story") -> None:
    con.execute(
        """INSERT INTO work_items (item_id, title, item_type, status, points, sprint_id, labels, source_path)
           VALUES (?, ?, ?, ?, ?, ?, [], 'test')""",
        [item_id, f"title of {item_id}", item_type, status, points, sprint_id],
    )
