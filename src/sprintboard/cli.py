"""The ``sprintboard`` command: load data into the store, build the demo store, and say what a store holds.

Every command takes ``--db`` (default: ``$SPRINTBOARD_DB`` or ``data/sprintboard.duckdb``). A failure ends with one
line on stderr that names the file and the problem and a non-zero exit code; ``--debug`` shows the traceback too.
"""

from __future__ import annotations

import functools
import logging
import sys
from datetime import datetime
from pathlib import Path

import click

from sprintboard.cli_output import FORMATS, render_rows, to_json
from sprintboard.store import InputError, StoreError, queries, read_connection, resolve_db_path

# The states W&B's API reports (wandb.apis.public.Run.state), for `sync --state`.
RUN_STATES = ("running", "finished", "failed", "crashed", "killed", "preempting", "preempted", "pending")
EXIT_FAILURE = 1
EXIT_SOME_REJECTED = 2


def _fail(message: str, code: int = EXIT_FAILURE) -> None:
    click.echo(f"sprintboard: error: {message}", err=True)
    sys.exit(code)


class _NoticeHandler(logging.Handler):
    """Warnings of the store layer (a writer waiting for another one) as ``sprintboard: <message>`` lines on
    stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"sprintboard: {record.getMessage()}", err=True)


def _show_store_notices() -> None:
    logger = logging.getLogger("sprintboard.store")
    if not any(isinstance(handler, _NoticeHandler) for handler in logger.handlers):
        logger.addHandler(_NoticeHandler(logging.WARNING))


def store_command(function):
    """Add ``--db`` and ``--debug`` to a command, show the store's notices on stderr, and turn expected failures into
    one-line errors."""

    @click.option("--db", "db", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Store file (default: $SPRINTBOARD_DB or data/sprintboard.duckdb).")
    @click.option("--debug", is_flag=True, help="Show the full traceback when something fails.")
    @functools.wraps(function)
    def wrapper(db: Path | None, debug: bool, **kwargs):
        _show_store_notices()
        try:
            return function(db_path=resolve_db_path(db), **kwargs)
        except (StoreError, InputError) as exc:
            if debug:
                raise
            _fail(str(exc))
        except OSError as exc:
            if debug:
                raise
            _fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
        except KeyboardInterrupt:
            _fail("interrupted; the store holds what was published before the interruption", 130)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sprintboard")
def main() -> None:
    """Sprintboard: a sprint-review dashboard for machine-learning teams.

    Load W&B exports and backlog files with `ingest`, runs live from W&B with `sync`, try it with `demo`, see
    what a store holds with `info`, and start the app with `streamlit run app.py` (or `make run`).
    """


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", help="How to print the outcome.")
@click.option("--summary-from", "summary_from", metavar="COLUMN", default=None,
              help="Runs-table CSV exports: the first summary column (the columns before it are config).")
@click.option("--run", "run_id", metavar="ID", default=None,
              help="History dumps and .table.json files: the run they belong to.")
@click.option("--timezone", default="UTC", show_default=True,
              help="Jira exports: the time zone of dates written without one (an IANA name, e.g. Europe/Berlin).")
@click.option("--sprint-field", default=None, metavar="FIELD",
              help="Jira exports: the field holding sprints (default: detected).")
@click.option("--points-field", default=None, metavar="FIELD",
              help="Jira exports: the field holding story points (default: detected).")
@store_command
def ingest(db_path: Path, paths: tuple[Path, ...], fmt: str, summary_from: str | None, run_id: str | None,
           timezone: str, sprint_field: str | None, points_field: str | None) -> None:
    """Load W&B run folders, .wandb logs, W&B CSV exports (runs table, chart, history), history dumps, table files,
    Jira exports (CSV, REST JSON) and backlog files (YAML, CSV) into the store.

    The format of each file is detected from its content. Each file loads completely or not at all; bad files are
    listed one per line and make the exit code non-zero, while the good ones are loaded.
    """
    from sprintboard.ingest.detect import IngestOptions
    from sprintboard.ingest.driver import ingest_paths
    from sprintboard.ingest.jira_settings import JiraSettings

    try:
        jira = JiraSettings(timezone=timezone, sprint_field=sprint_field, points_field=points_field)
    except ValueError as error:
        raise InputError(Path("--timezone"), str(error)) from None
    options = IngestOptions(summary_from=summary_from, run_id=run_id, jira=jira)
    with _progress_bar("Ingesting") as advance:
        report = ingest_paths(db_path, paths, progress=advance, options=options)

    totals = report.totals()
    loaded = sum(o.status == "loaded" for o in report.outcomes)
    unchanged = sum(o.status == "unchanged" for o in report.outcomes)
    _print_report(
        report, fmt,
        f"{loaded} loaded, {unchanged} unchanged, {len(report.rejected)} rejected: {totals.runs} runs, "
        f"{totals.history_rows} history points, {totals.table_rows} table rows, "
        f"{totals.backlog_rows} backlog rows in {report.seconds:.1f} s -> {db_path}",
    )


@main.command()
@click.argument("project_path", metavar="ENTITY/PROJECT")
@click.option("--tag", "tags", multiple=True, help="Only runs with this tag (repeat: runs with any of them).")
@click.option("--state", "states", multiple=True, type=click.Choice(RUN_STATES),
              help="Only runs in this state (repeat: any of them).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
              help="Only runs created on or after this date or time (UTC).")
@click.option("--full", is_flag=True, help="Read every run again, not only those updated since the last sync.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", help="How to print the outcome.")
@store_command
def sync(db_path: Path, project_path: str, tags: tuple[str, ...], states: tuple[str, ...], since: datetime | None,
         full: bool, fmt: str) -> None:
    """Load the runs of a W&B project live from the W&B API.

    Each run is read completely (config, summary, every history point, logged tables) and loads in its own
    transaction; runs that fail are listed one per line and make the exit code non-zero. After a sync of the whole
    project, the next one reads only the runs updated since (--full reads all). The API key comes from wandb:
    WANDB_API_KEY or `wandb login`.
    """
    from sprintboard.ingest.wandb_api import sync_project

    context = click.get_current_context().obj
    api_factory = context.get("wandb_api_factory") if isinstance(context, dict) else None
    with _progress_bar("Syncing") as advance:
        report = sync_project(db_path, project_path, tags=tags, states=states, since=since, full=full,
                              api_factory=api_factory, progress=advance)

    totals = report.totals()
    loaded = sum(o.status == "loaded" for o in report.outcomes)
    scope = (f"runs updated since {report.updated_since:%Y-%m-%d %H:%M} UTC" if report.updated_since
             else "all runs" if not (tags or states or since) else "all matching runs")
    _print_report(
        report, fmt,
        f"{report.project}: {loaded} loaded, {len(report.rejected)} rejected ({scope}): {totals.runs} runs, "
        f"{totals.history_rows} history points, {totals.table_rows} table rows in {report.seconds:.1f} s "
        f"-> {db_path}",
    )


_REPORT_COLUMNS = ["path", "format", "status", "runs", "history_rows", "table_rows", "backlog_rows", "error",
                   "warnings"]


def _print_report(report, fmt: str, summary: str) -> None:
    """Rejected inputs and warnings one per line on stderr, then ``summary``; or one row per input (JSON, CSV).
    Exits with ``EXIT_SOME_REJECTED`` when an input was rejected."""
    if fmt == "text":
        for outcome in report.rejected:
            click.echo(f"sprintboard: rejected: {outcome.path}: {outcome.error}", err=True)
        for outcome in report.outcomes:
            for warning in outcome.warnings:
                click.echo(f"sprintboard: warning: {outcome.path}: {warning}", err=True)
        click.echo(summary)
    else:
        rows = [
            {"path": o.path, "format": o.format, "status": o.status, "runs": o.counts.runs,
             "history_rows": o.counts.history_rows, "table_rows": o.counts.table_rows,
             "backlog_rows": o.counts.backlog_rows, "error": o.error, "warnings": o.warnings}
            for o in report.outcomes
        ]
        click.echo(render_rows(rows, _REPORT_COLUMNS, fmt))
    if report.rejected:
        sys.exit(EXIT_SOME_REJECTED)


@main.command()
@click.option("--source", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=Path("data/demo/adult.csv"), show_default=True,
              help="The UCI Adult CSV the demo models train on.")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=Path("data/demo"),
              show_default=True, help="Where the demo's backlog file and W&B run folders are written.")
@store_command
def demo(db_path: Path, source: Path, workdir: Path) -> None:
    """Build the demo store: train small models on UCI Adult, log them with wandb (offline), load them.

    The demo team works four two-week sprints; its backlog file and W&B run folders are regenerated under WORKDIR
    and the store at --db is replaced by a fresh one holding only the demo.
    """
    from sprintboard.demo.build import build_demo_store

    with _progress_bar("Building demo") as advance:
        summary = build_demo_store(db_path, source, workdir, progress=advance)
    click.echo(
        f"demo store ready: {summary['runs']} runs, {summary['history_rows']} history points, "
        f"{summary['sprints']} sprints in {summary['seconds']:.1f} s -> {db_path}"
    )


@main.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", help="How to print it.")
@store_command
def info(db_path: Path, fmt: str) -> None:
    """Say what the store holds: row counts, the last ingest, the schema version."""
    with read_connection(db_path) as con:
        counts = queries.table_counts(con)
        document = {
            "store": str(db_path),
            "schema_version": queries.schema_version(con),
            "demo": queries.is_demo_store(con),
            "counts": counts,
            "last_ingest": queries.last_ingest(con),
        }
    if fmt == "json":
        click.echo(to_json(document))
        return
    rows = [{"table": name, "rows": count} for name, count in counts.items()]
    if fmt == "csv":
        click.echo(render_rows(rows, ["table", "rows"], "csv"))
        return
    last = document["last_ingest"]
    click.echo(f"store:          {db_path}{'  (demo data)' if document['demo'] else ''}")
    click.echo(f"schema version: {document['schema_version']}")
    click.echo(
        "last ingest:    "
        + (f"{last['finished_at']:%Y-%m-%d %H:%M} UTC from {last['path']} ({last['format']})" if last else "never")
    )
    click.echo("")
    click.echo(render_rows(rows, ["table", "rows"], "text"))


class _progress_bar:
    """A progress bar on stderr fed by ``advance(done, total, label)`` callbacks; silent when not a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar = None
        self.done = 0

    def __enter__(self):
        return self.advance

    def advance(self, done: int, total: int, item: str) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=max(total, 1), label=self.label, file=sys.stderr,
                                         item_show_func=_shorten)
            self.bar.__enter__()
        self.bar.update(done - self.done, current_item=item)
        self.done = done

    def __exit__(self, *exc_info) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc_info)


def _shorten(text: str | None, width: int = 40) -> str:
    if not text:
        return ""
    return text if len(text) <= width else "…" + text[-(width - 1) :]


# Commands kept in modules of their own register themselves on ``main`` when imported.
from sprintboard import cli_bias, cli_hypotheses, cli_report, cli_sprint  # noqa: E402, F401

if __name__ == "__main__":
    main()
