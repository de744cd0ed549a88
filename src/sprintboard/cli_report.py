"""``sprintboard report``: the sprint review as one self-contained HTML file to send to stakeholders."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from sprintboard.analytics.backlog_data import find_sprint
from sprintboard.cli import main, store_command
from sprintboard.store import InputError, read_connection


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 1e6 else f"{count / 1e3:.0f} kB"


@main.command()
@click.option("--sprint", "sprint_name", required=True, help="The sprint's name or id.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The HTML file to write (default: review-<sprint id>.html).")
@store_command
def report(db_path: Path, sprint_name: str, out: Path | None) -> None:
    """Write the sprint review as one HTML file: goal and progress, burndown, hypotheses, headline metric, bias
    status of the best model, Definition of Done and open decisions, with a glossary.

    The file carries its charts' library inside, so it opens offline in any browser and prints one section per page.
    """
    # Plotly and the analytics load only for this command, so the other commands start fast.
    from sprintboard.report.html_report import render_report, report_file_name

    with read_connection(db_path) as con:
        sprint = find_sprint(con, sprint_name)
        if sprint is None:
            raise InputError(db_path, f"has no sprint named {sprint_name!r} with start and end dates")
        document = render_report(con, sprint.sprint_id, datetime.now(UTC).replace(tzinfo=None))
    path = out or Path(report_file_name(sprint.sprint_id))
    data = document.encode("utf-8")
    path.write_bytes(data)
    click.echo(f"{path} ({_size(len(data))})")
