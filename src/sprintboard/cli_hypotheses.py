"""``sprintboard hypotheses``, ``decide`` and ``check``: verdicts, recorded decisions and the Definition of Done."""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from sprintboard.analytics.backlog_data import find_sprint
from sprintboard.analytics.done_checks import definition_of_done
from sprintboard.analytics.hypothesis_data import DECISIONS, record_decision, sprint_hypotheses
from sprintboard.cli import main, store_command
from sprintboard.cli_output import FORMATS, render_rows, to_json
from sprintboard.store import InputError, read_connection, write_session

EXIT_GATE_FAILED = 1


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _sprint_id(con, db_path: Path, name: str | None) -> str | None:
    if name is None:
        return None
    sprint = find_sprint(con, name)
    if sprint is None:
        raise InputError(db_path, f"has no sprint named {name!r} with start and end dates")
    return sprint.sprint_id


@main.command()
@click.option("--sprint", "sprint_name", default=None, help="The sprint's name or id (default: every sprint).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", help="How to print it.")
@store_command
def hypotheses(db_path: Path, sprint_name: str | None, fmt: str) -> None:
    """Print every hypothesis with its verdict and the evidence behind it."""
    with read_connection(db_path) as con:
        cards = sprint_hypotheses(con, _sprint_id(con, db_path, sprint_name), _now())
    if fmt == "json":
        click.echo(to_json([{
            "hypothesis_id": c.hypothesis_id, "sprint_id": c.sprint_id, "statement": c.statement,
            "criteria": c.criteria, "aggregation": c.aggregation, "baseline": c.baseline,
            "verdict": c.verdict.final, "computed_verdict": c.verdict.computed, "reason": c.verdict.reason,
            "decision": c.verdict.decision, "decision_note": c.verdict.decision_note, "decided_by": c.decided_by,
            "evidence": [vars(e) for e in c.verdict.evidence], "evidence_runs": c.verdict.evidence_runs,
            "excluded_runs": c.verdict.excluded_runs, "best_run": c.verdict.best_run,
        } for c in cards]))
        return
    rows = [{"hypothesis": c.hypothesis_id, "sprint": c.sprint_id, "verdict": c.verdict.final,
             "runs": len(c.runs), "reason": c.verdict.reason} for c in cards]
    click.echo(render_rows(rows, ["hypothesis", "sprint", "verdict", "runs", "reason"], fmt))


@main.command()
@click.argument("hypothesis_id")
@click.option("--decision", type=click.Choice(DECISIONS), required=True, help="The final decision.")
@click.option("--note", default=None, help="Why, in a sentence.")
@click.option("--by", "decided_by", default=None, help="Who decided (default: the current user).")
@store_command
def decide(db_path: Path, hypothesis_id: str, decision: str, note: str | None, decided_by: str | None) -> None:
    """Record a final decision on a hypothesis; it overrides the computed verdict, which is kept and shown too."""
    with write_session(db_path) as writer:
        try:
            record_decision(writer.con, hypothesis_id, decision, note, decided_by or getpass.getuser(), _now())
        except ValueError as error:
            raise InputError(db_path, str(error)) from None
    click.echo(f"{hypothesis_id}: decided {decision}")


@main.command()
@click.option("--sprint", "sprint_name", required=True, help="The sprint's name or id.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", help="How to print it.")
@store_command
def check(db_path: Path, sprint_name: str, fmt: str) -> None:
    """Check the sprint's items against the Definition of Done; exit 1 when any check fails (for CI)."""
    with read_connection(db_path) as con:
        checks = definition_of_done(con, _sprint_id(con, db_path, sprint_name), _now())
    click.echo(render_rows(checks.to_dict("records"), list(checks.columns), fmt))
    failed = checks[checks["status"] == "fail"]
    if len(failed):
        click.echo(f"sprintboard: {len(failed)} Definition-of-Done checks failed", err=True)
        sys.exit(EXIT_GATE_FAILED)
