"""``sprintboard burndown`` and ``sprintboard flow``: the sprint and flow analytics, for people and machines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from sprintboard.analytics.backlog_data import (
    BoardSettings,
    find_sprint,
    flow_metrics,
    open_item_count,
    sprint_burndown,
    throughput_forecast,
)
from sprintboard.analytics.burndown import STATISTICS
from sprintboard.cli import main, store_command
from sprintboard.cli_output import FORMATS, render_rows, to_json
from sprintboard.store import InputError, read_connection

DAY_COLUMNS = ["date", "remaining", "scope", "completed", "guideline"]


def _settings(done_statuses: tuple[str, ...], holidays: tuple[datetime, ...]) -> BoardSettings:
    defaults = BoardSettings()
    return BoardSettings(done_statuses or defaults.done_statuses, tuple(h.date() for h in holidays))


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


board_options = [
    click.option("--done-status", "done_statuses", multiple=True, metavar="STATUS",
                 help="A status that counts as done (repeatable; default: Done, Closed, Resolved)."),
    click.option("--holiday", "holidays", multiple=True, type=click.DateTime(["%Y-%m-%d"]),
                 help="A day off besides weekends, YYYY-MM-DD (repeatable)."),
]


def with_board_options(function):
    for option in reversed(board_options):
        function = option(function)
    return function


@main.command()
@click.option("--sprint", "sprint_name", required=True, help="The sprint's name or id.")
@click.option("--statistic", type=click.Choice(STATISTICS), default="points", show_default=True,
              help="What burns down: story points, original time estimate in hours, or the item count.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", help="How to print it.")
@with_board_options
@store_command
def burndown(db_path: Path, sprint_name: str, statistic: str, fmt: str, done_statuses: tuple[str, ...],
             holidays: tuple[datetime, ...]) -> None:
    """Print a sprint's burndown: one row per day with remaining work, scope, completed work and the guideline.

    Computed as Jira does (see docs/sprints-and-flow.md). When the backlog has no changelog, the lines are
    approximations and a note on stderr says which.
    """
    settings = _settings(done_statuses, holidays)
    with read_connection(db_path) as con:
        if find_sprint(con, sprint_name) is None:
            raise InputError(db_path, f"has no sprint named {sprint_name!r} with start and end dates")
        chart = sprint_burndown(con, sprint_name, statistic, settings, _now())
    days = chart.days.astype(object).where(chart.days.notna(), None)  # days after today have no values yet
    rows = [{"date": row.day, "remaining": row.remaining, "scope": row.scope, "completed": row.completed,
             "guideline": round(row.guideline, 3)} for row in days.itertuples(index=False)]
    click.echo(render_rows(rows, DAY_COLUMNS, fmt))
    for note in chart.approximations:
        click.echo(f"sprintboard: note: {note}", err=True)


@main.command()
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day to measure (default: the first item's creation).")
@click.option("--forecast-items", type=click.IntRange(min=0), default=None,
              help="Forecast when this many more items will be done (default: the open items).")
@click.option("--forecast-date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Forecast how many items will be done by this day (default: 14 days from today).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", help="How to print it.")
@with_board_options
@store_command
def flow(db_path: Path, since: datetime | None, forecast_items: int | None, forecast_date: datetime | None,
         fmt: str, done_statuses: tuple[str, ...], holidays: tuple[datetime, ...]) -> None:
    """Print the flow metrics: cycle-time percentiles, throughput, aging work in progress and a forecast."""
    settings = _settings(done_statuses, holidays)
    now = _now()
    with read_connection(db_path) as con:
        metrics = flow_metrics(con, settings, now, first=since.date() if since else None)
        open_items = open_item_count(con, settings)
    items_left = open_items if forecast_items is None else forecast_items
    until = forecast_date.date() if forecast_date else now.date() + timedelta(days=14)
    when, how_many = throughput_forecast(metrics, settings, items_left, until)
    document = {
        "from": metrics.first, "to": metrics.last, "lanes": metrics.lanes, "exact": metrics.exact,
        "finished_items": len(metrics.cycle_times),
        "cycle_time_percentiles_days": {str(p): v for p, v in metrics.percentiles.items()},
        "throughput_per_week": metrics.throughput_weekly.to_dict("records"),
        "aging_work_in_progress": metrics.aging.to_dict("records"),
        "forecast": {"items": items_left, "done_by": {str(p): d for p, d in when.items()},
                     "until": until, "items_by": {str(p): n for p, n in how_many.items()}},
    }
    if fmt == "json":
        click.echo(to_json(document))
        return
    if fmt == "csv":
        click.echo(render_rows(metrics.cycle_times.to_dict("records"), list(metrics.cycle_times.columns), "csv"))
        return
    click.echo(f"{metrics.first} to {metrics.last}: {len(metrics.cycle_times)} items finished")
    percentiles = ", ".join(f"{p}% within {v:g} days" for p, v in metrics.percentiles.items()) or "none finished"
    click.echo(f"cycle time: {percentiles}")
    oldest = int(metrics.aging["age_days"].max()) if len(metrics.aging) else 0
    click.echo(f"in progress: {len(metrics.aging)} items, the oldest {oldest} days")
    dates = ", ".join(f"{p}%: {d}" for p, d in when.items()) if None not in when.values() else "no throughput yet"
    click.echo(f"{items_left} open items done by: {dates}")
    counts = ", ".join(f"{p}%: {n}" for p, n in how_many.items())
    click.echo(f"items done by {until}: {counts}")
