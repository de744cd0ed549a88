"""Retro notes: what went well, what to improve, and the actions a team agreed on in a sprint's retrospective.

Definitions:

* a note belongs to the sprint whose retro it was written in (``retro_notes.sprint_id``); its *kind* is
  ``went_well``, ``to_improve`` or ``action``;
* only actions have a state: ``open`` when added, ``done`` once someone marks it done (who and when are kept);
  marking it open again clears them;
* sprints are ordered by start date; sprint A is *earlier* than sprint B when A's start date is before B's (the
  same start date is not earlier). A sprint without a start date has no place in that order: its actions are never
  carried and no action is carried into it;
* the retro of sprint S shows S's own notes plus every action of an earlier sprint that is **open now**: such an
  action is *carried* into every later sprint's retro, naming the sprint it came from, until it is marked done.
  The carry follows the actions' state now, so marking an action done takes it out of every later retro (past ones
  included); its own sprint keeps showing it, as done;
* an action can also be recorded as carried over by hand (``carried_from_sprint_id``: an earlier sprint, e.g. when
  moving from another tool); it is then a note of the sprint it was recorded in, and when it is carried further it
  names that original sprint.

The functions that write take a connection in a write session (see ``sprintboard.store``); they raise
``ValueError`` with a sentence a person can act on for a note the store cannot hold.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

KINDS = ("went_well", "to_improve", "action")
KIND_LABELS = {"went_well": "Went well", "to_improve": "To improve", "action": "Actions"}
ACTION_STATES = ("open", "done")
MAX_TEXT_CHARS = 2000

NOTE_COLUMNS = ["note_id", "sprint_id", "kind", "text", "author", "created_at", "action_state", "carried",
                "carried_from_sprint_id", "carried_from_name", "done_at", "done_by"]


def _start_of(con: duckdb.DuckDBPyConnection, sprint_id: str) -> tuple[bool, object]:
    """Whether the sprint exists, and its start date (``None`` when it has none)."""
    row = con.execute("SELECT start_date FROM sprints WHERE sprint_id = ?", [sprint_id]).fetchone()
    return (row is not None, row[0] if row else None)


def add_note(con: duckdb.DuckDBPyConnection, sprint_id: str, kind: str, text: str, author: str | None,
             at: datetime, carried_from_sprint_id: str | None = None) -> int:
    """Store a note in ``sprint_id``'s retro and return its ``note_id``. Actions start ``open``.

    The text is kept as written, less surrounding white space; it may not be empty or longer than
    :data:`MAX_TEXT_CHARS`. ``carried_from_sprint_id`` is only for actions and must name an earlier sprint.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    text = (text or "").strip()
    if not text:
        raise ValueError("a note needs some text")
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"a note is at most {MAX_TEXT_CHARS} characters, this one has {len(text)}")
    exists, start = _start_of(con, sprint_id)
    if not exists:
        raise ValueError(f"there is no sprint {sprint_id!r}")
    if carried_from_sprint_id is not None:
        if kind != "action":
            raise ValueError("only actions are carried over")
        origin_exists, origin_start = _start_of(con, carried_from_sprint_id)
        if not origin_exists or origin_start is None or start is None or not origin_start < start:
            raise ValueError(f"{carried_from_sprint_id!r} is not a sprint that started before {sprint_id!r}")
    (note_id,) = con.execute(
        """INSERT INTO retro_notes (sprint_id, kind, text, author, created_at, action_state, carried_from_sprint_id)
           VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING note_id""",
        [sprint_id, kind, text, (author or "").strip() or None, at, "open" if kind == "action" else None,
         carried_from_sprint_id],
    ).fetchone()
    return int(note_id)


def set_action_state(con: duckdb.DuckDBPyConnection, note_id: int, state: str, by: str | None,
                     at: datetime) -> None:
    """Mark action ``note_id`` ``done`` (recording ``by`` and ``at``) or ``open`` again (clearing them)."""
    if state not in ACTION_STATES:
        raise ValueError(f"state must be one of {', '.join(ACTION_STATES)}, not {state!r}")
    row = con.execute("SELECT kind FROM retro_notes WHERE note_id = ?", [note_id]).fetchone()
    if row is None:
        raise ValueError(f"there is no retro note {note_id}")
    if row[0] != "action":
        raise ValueError(f"note {note_id} is not an action: only actions are open or done")
    done = state == "done"
    con.execute(
        "UPDATE retro_notes SET action_state = ?, done_at = ?, done_by = ? WHERE note_id = ?",
        [state, at if done else None, ((by or "").strip() or None) if done else None, note_id],
    )


def sprint_notes(con: duckdb.DuckDBPyConnection, sprint_id: str) -> pd.DataFrame:
    """The notes of ``sprint_id``'s retro (:data:`NOTE_COLUMNS`), as the module docstring defines them.

    Rows: the sprint's own notes (``carried`` false) and the open actions of earlier sprints (``carried`` true).
    ``carried_from_sprint_id`` (and its name) is where an action came from: for a carried action, the sprint that
    first raised it (its hand-recorded origin if it has one, else its own sprint); for an own note, its
    hand-recorded origin, if any. Ordered by kind (:data:`KINDS`), own notes before carried ones, then carried ones
    by their origin's start, then by when they were written.
    """
    return con.execute(
        """
        WITH this AS (SELECT start_date FROM sprints WHERE sprint_id = ?),
        shown AS (
            SELECT n.*, false AS carried, n.carried_from_sprint_id AS origin
            FROM retro_notes n WHERE n.sprint_id = ?
            UNION ALL
            SELECT n.*, true AS carried, coalesce(n.carried_from_sprint_id, n.sprint_id) AS origin
            FROM retro_notes n JOIN sprints raised ON raised.sprint_id = n.sprint_id
            WHERE n.kind = 'action' AND n.action_state = 'open'
              AND raised.start_date < (SELECT start_date FROM this))
        SELECT s.note_id, s.sprint_id, s.kind, s.text, s.author, s.created_at, s.action_state, s.carried,
               s.origin AS carried_from_sprint_id, o.name AS carried_from_name, s.done_at, s.done_by
        FROM shown s LEFT JOIN sprints o ON o.sprint_id = s.origin
        ORDER BY list_position(?, s.kind), s.carried, o.start_date NULLS FIRST, s.created_at, s.note_id
        """,
        [sprint_id, sprint_id, list(KINDS)],
    ).df()
