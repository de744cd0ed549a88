"""Changes people make from the pages, written to the store in one write session each (see ``ui.access``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sprintboard.analytics.hypothesis_data import record_decision
from sprintboard.analytics.retro_notes import add_note, set_action_state
from sprintboard.ingest.loader import save_fairness_policy
from sprintboard.ingest.parsed import ParsedFairnessPolicy
from sprintboard.store import write_session
from sprintboard.ui.data import db_path


def save_decision(hypothesis_id: str, decision: str, note: str | None, decided_by: str) -> None:
    """Record a person's final decision on a hypothesis; the pages show it at once (the store version changes)."""
    with write_session(db_path()) as writer:
        record_decision(writer.con, hypothesis_id, decision, note or None, decided_by,
                        datetime.now(UTC).replace(tzinfo=None))


def save_fairness_action(action: str, reach: str | None) -> None:
    """Record, for the whole project, what the model's positive prediction does to a person (see bias_context)."""
    with write_session(db_path()) as writer:
        save_fairness_policy(writer.con, ParsedFairnessPolicy(action=action, reach=reach), "app")


def save_retro_note(sprint_id: str, kind: str, text: str, author: str) -> int:
    """Add a note to a sprint's retro (actions start open); returns its id."""
    with write_session(db_path()) as writer:
        return add_note(writer.con, sprint_id, kind, text, author, datetime.now(UTC).replace(tzinfo=None))


def save_action_state(note_id: int, state: str, by: str) -> None:
    """Mark a retro action done (or open again), recording who did it."""
    with write_session(db_path()) as writer:
        set_action_state(writer.con, note_id, state, by, datetime.now(UTC).replace(tzinfo=None))
