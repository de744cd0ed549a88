"""Which format a path holds, decided by its content, never by its name.

A path becomes one or more *units*: a unit is what one transaction loads (a run folder with its log and side files,
a bare ``.wandb`` log, a W&B CSV export, a history dump, a table file, a backlog file). Folders are searched for run
folders and loose files; files inside a run folder belong to that run and are not units of their own.

Text files are told apart by their head: a JSON object with ``columns`` and ``data`` lists is a logged table; JSON
records with a ``_step`` key are a history dump; a CSV header is a runs table (``Name`` and two of State, Created,
Runtime, Tags, ID), a history dump (``_step``) or a chart panel (an x-axis, then ``<run> - <metric>`` columns, and a
first row of numbers); anything else may still be a backlog YAML file.

A file that is recognisably one of these formats but cannot be read goes to that format's reader, or is refused
here, so that the reason given is the real one rather than "not a format Sprintboard reads":

* a head that is not UTF-8 is looked at with the bad bytes replaced, and the reader then says where the text stops
  being UTF-8 (``is not UTF-8 text (byte 67)``, a runs table saved as Latin-1);
* text with a UTF-16 or UTF-32 byte-order mark is refused naming that encoding (its zero bytes would otherwise
  make it look binary);
* a CSV header that only reads as one of the formats when split at ``;`` or tabs is refused naming the separator
  (a spreadsheet saves CSV with ``;`` in many locales);
* text with a top-level backlog key (``items:``) that is not valid YAML, or that YAML loading refuses (a key twice,
  an alias bomb), goes to the backlog reader, which names the line.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sprintboard.ingest.backlog_csv import backlog_csv_table, parse_backlog_csv
from sprintboard.ingest.backlog_yaml import (
    backlog_from_document,
    looks_like_backlog,
    looks_like_backlog_text,
    parse_backlog_yaml,
)
from sprintboard.ingest.chart_csv import looks_like_chart_export, parse_chart_export, row_is_points
from sprintboard.ingest.csv_cells import head_records
from sprintboard.ingest.history_dump import history_json_layout, looks_like_history_csv, parse_history_dump
from sprintboard.ingest.jira_csv import looks_like_jira_csv, parse_jira_csv
from sprintboard.ingest.jira_json import read_jira_json
from sprintboard.ingest.jira_settings import JiraSettings
from sprintboard.ingest.parsed import ParsedBacklog, ParsedRun
from sprintboard.ingest.runs_table_csv import looks_like_runs_table, parse_runs_table
from sprintboard.ingest.strict_yaml import YamlRefused, load_yaml
from sprintboard.ingest.table_file import looks_like_table_json, parse_table_file
from sprintboard.store.errors import InputError

WANDB_LOG_MAGIC = b":W&B"
_SNIFF_BYTES = 4096
# A runs table with hundreds of config and summary columns has a header far longer than _SNIFF_BYTES.
_TEXT_HEAD_BYTES = 1 << 20
# Backlog files are small; a text file larger than this is not parsed as YAML just to find out it is not one.
_MAX_BACKLOG_BYTES = 50 * 1024 * 1024
# Byte-order marks of the other Unicode encodings an editor or a spreadsheet saves text in; UTF-32's come first,
# as UTF-32-LE's starts with UTF-16-LE's.
_OTHER_UNICODE = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                  (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))
# Separators other than ',' that a spreadsheet saves "CSV" with, and how a message names them.
_OTHER_SEPARATORS = {";": "';'", "\t": "tabs"}
# What each format is called in a message, and for the CSV ones who puts ',' between the columns.
_DESCRIPTIONS = {
    "wandb-runs-csv": ("a W&B runs table", "W&B writes"),
    "wandb-history-csv": ("a W&B history export", "W&B writes"),
    "wandb-chart-csv": ("a W&B chart export", "W&B writes"),
    "jira-csv": ("a Jira CSV export", "Jira writes"),
    "backlog-csv": ("a backlog table", "Sprintboard reads"),
    "wandb-table-json": ("a W&B table file", None),
    "wandb-history-json": ("a W&B history dump", None),
    "jira-json": ("a Jira JSON export", None),
    "backlog-yaml": ("a backlog YAML file", None),
}


@dataclass(frozen=True)
class IngestOptions:
    """What the user tells ``sprintboard ingest`` about inputs whose content cannot say it.

    ``summary_from`` (``--summary-from``): the first summary column of a runs-table export whose columns are not in
    W&B's sorted order. ``run_id`` (``--run``): the run a history dump or a table file belongs to. ``jira``
    (``--timezone``, ``--sprint-field``, ``--points-field``): how to read Jira exports. Each reaches only the
    formats it is about.
    """

    summary_from: str | None = None
    run_id: str | None = None
    jira: JiraSettings = field(default_factory=JiraSettings)

    @property
    def jira_used(self) -> str:
        """The Jira settings as fingerprint text (empty for the defaults)."""
        if self.jira == JiraSettings():
            return ""
        return f"jira={self.jira.timezone},{self.jira.sprint_field},{self.jira.points_field}"


@dataclass
class Unit:
    """One loadable thing: ``parse()`` returns the runs or backlog it holds, or raises :class:`InputError`.

    ``options_used`` names the :class:`IngestOptions` the parse depends on; it is part of the unit's fingerprint, so
    the same file loaded again with another option value is loaded again rather than reported unchanged.
    """

    path: Path
    format: str | None
    parse: Callable[[], list[ParsedRun] | ParsedBacklog]
    files: tuple[Path, ...]
    options_used: str = ""


def is_run_folder(folder: Path) -> bool:
    """A W&B run folder holds a ``run-<id>.wandb`` log (``wandb/run-*`` and ``wandb/offline-run-*`` do)."""
    return folder.is_dir() and any(folder.glob("run-*.wandb"))


def units_for(path: Path, options: IngestOptions | None = None) -> Iterator[Unit]:
    """The units under ``path``, in a stable order; raises :class:`InputError` for a path that does not exist."""
    options = options or IngestOptions()
    if not path.exists():
        raise InputError(path, "no such file or folder")
    if path.is_dir():
        yield from _units_in_folder(path, options)
    else:
        yield detect_file(path, options)


def _units_in_folder(folder: Path, options: IngestOptions) -> Iterator[Unit]:
    if is_run_folder(folder):
        yield _run_folder_unit(folder)
        return
    for child in sorted(folder.iterdir()):
        if child.name.startswith(".") or child.is_symlink():
            continue
        if child.is_dir():
            yield from _units_in_folder(child, options)
        elif child.name not in {"debug.log", "debug-internal.log"}:
            try:
                yield detect_file(child, options)
            except InputError as error:
                # One unreadable or unknown file is reported on its own; the folder's other files still load.
                yield _rejected_unit(child, error)


def _rejected_unit(path: Path, error: InputError) -> Unit:
    def refuse() -> list[ParsedRun]:
        raise error

    return Unit(path, None, refuse, ())


def _run_folder_unit(folder: Path) -> Unit:
    from sprintboard.ingest.wandb_run_file import parse_run_folder

    files = tuple(sorted(p for p in folder.rglob("*") if p.is_file() and "logs" not in p.relative_to(folder).parts))
    return Unit(folder, "wandb-run-folder", lambda: [parse_run_folder(folder)], files)


def detect_file(path: Path, options: IngestOptions | None = None) -> Unit:
    """Decide a single file's format from its first bytes; raises :class:`InputError` when no format fits, or when
    one does but the file is in an encoding or with a separator Sprintboard does not read."""
    options = options or IngestOptions()
    try:
        with open(path, "rb") as handle:
            head = handle.read(_TEXT_HEAD_BYTES)
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror})") from None
    if not head:
        raise InputError(path, "is empty")
    if head.startswith(WANDB_LOG_MAGIC):
        from sprintboard.ingest.wandb_run_file import parse_run_file

        return Unit(path, "wandb-log", lambda: [parse_run_file(path)], (path,))
    whole_file = len(head) < _TEXT_HEAD_BYTES
    encoding = next((name for mark, name in _OTHER_UNICODE if head.startswith(mark)), None)
    if encoding is not None:
        raise InputError(path, _other_unicode_problem(path, head, whole_file, encoding, options))
    if b"\x00" in head[:_SNIFF_BYTES]:
        raise InputError(path, "is a binary file of no format Sprintboard reads (a .wandb log starts with ':W&B')")
    # Bytes that are not UTF-8 are replaced, for looking only: the reader of the format found refuses the file
    # naming the first of them.
    text = head.decode("utf-8", errors="replace")
    export = _export_unit(path, text, whole_file, options)
    if export is not None:
        return export
    separated = _other_separator_problem(text, whole_file)
    if separated is not None:
        raise InputError(path, separated)
    backlog = _backlog_yaml_unit(path)
    if backlog is not None:
        return backlog
    raise InputError(
        path,
        "is not a format Sprintboard reads (a W&B run folder or .wandb log; a W&B CSV export of a runs table, a "
        "chart panel or a run's history; a run's history as JSON; a logged table .table.json; a Jira CSV export or "
        "REST JSON; or a backlog file, YAML with 'sprints', 'items' or 'events' or CSV of one of those tables)",
    )


def _export_unit(path: Path, text: str, whole_file: bool, options: IngestOptions) -> Unit | None:
    """The unit for a W&B export, history dump, table file or Jira export, told by the file's head (``text``, all of
    the file when ``whole_file``); ``None`` if none fits."""
    run_id = options.run_id
    used_run = f"run={run_id}" if run_id else ""
    jira = options.jira
    if looks_like_table_json(text):
        return Unit(path, "wandb-table-json", lambda: parse_table_file(path, run_id), (path,), used_run)
    if history_json_layout(text):
        return Unit(path, "wandb-history-json", lambda: parse_history_dump(path, run_id), (path,), used_run)
    if _looks_like_json_issues(text):
        # Told by the head alone, so the file is parsed once, when it is loaded; a JSON file that only looks like
        # Jira issues is refused then, with the reason.
        return Unit(path, "jira-json", lambda: read_jira_json(path, jira), (path,), options.jira_used)
    records = head_records(text.encode("utf-8"), whole_file)
    header = records[0] if records and len(records[0]) >= 2 else None
    if header is None:
        return None
    fmt = _csv_format(header)
    if fmt == "jira-csv":
        return Unit(path, fmt, lambda: parse_jira_csv(path, jira), (path,), options.jira_used)
    if fmt == "backlog-csv":
        return Unit(path, fmt, lambda: parse_backlog_csv(path), (path,))
    if fmt == "wandb-runs-csv":
        summary_from = options.summary_from
        used = f"summary_from={summary_from}" if summary_from else ""
        return Unit(path, fmt, lambda: parse_runs_table(path, summary_from), (path,), used)
    if fmt == "wandb-history-csv":
        return Unit(path, fmt, lambda: parse_history_dump(path, run_id), (path,), used_run)
    # A chart header is loose enough that the first line of a YAML file can pass for one ("# Plan, Sprint 1 - goals"),
    # so the first row must be points as well.
    points_follow = row_is_points(header, records[1]) if len(records) == 2 else whole_file
    if looks_like_chart_export(header) and points_follow:
        return Unit(path, "wandb-chart-csv", lambda: parse_chart_export(path), (path,))
    return None


def _csv_format(header: list[str]) -> str | None:
    """The CSV format a header alone tells (a chart export needs its first row as well, so it is not among them)."""
    if looks_like_jira_csv(header):
        return "jira-csv"
    if backlog_csv_table(header) is not None:
        return "backlog-csv"
    if looks_like_runs_table(header):
        return "wandb-runs-csv"
    if looks_like_history_csv(header):
        return "wandb-history-csv"
    return None


def _other_separator_problem(text: str, whole_file: bool) -> str | None:
    """Why a file whose header reads as a CSV format only when split at ``;`` or tabs is refused; ``None`` when it
    does not."""
    if not whole_file:
        text = text[: text.rfind("\n") + 1]  # complete lines only
    for separator, name in _OTHER_SEPARATORS.items():
        try:
            header = next(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=separator), None)
        except csv.Error:
            continue
        fmt = _csv_format(header) if header and len(header) >= 2 else None
        if fmt is not None:
            description, writer = _DESCRIPTIONS[fmt]
            return (f"is {description} with its columns separated by {name}, where {writer} ',': save it as CSV "
                    "with ',' between the columns")
    return None


def _other_unicode_problem(path: Path, head: bytes, whole_file: bool, encoding: str, options: IngestOptions) -> str:
    """Why a text file in UTF-16 or UTF-32 (told by its byte-order mark) is refused, with the format it holds when
    its head tells one."""
    # The codec named after the encoding alone reads the byte-order mark and drops it.
    text = head.decode(encoding.lower(), errors="replace")
    unit = _export_unit(path, text, whole_file, options)
    fmt = unit.format if unit is not None else "backlog-yaml" if looks_like_backlog_text(text) else None
    what = f"is {_DESCRIPTIONS[fmt][0]} saved as {encoding}" if fmt else f"is text saved as {encoding}"
    advice = ": save it as UTF-8" if fmt else ""
    return f"{what} (it starts with a {encoding} byte-order mark), and Sprintboard reads text as UTF-8{advice}"


def _looks_like_json_issues(text: str) -> bool:
    """A cheap first look before parsing a whole JSON file: Jira issues carry ``"key"`` and ``"fields"``."""
    return text.lstrip()[:1] in ("{", "[") and '"fields"' in text and '"key"' in text


def _backlog_yaml_unit(path: Path) -> Unit | None:
    """The unit for a backlog YAML file; ``None`` for a file that is neither a backlog nor text that reads as one.

    A file that parses is loaded from the document parsed here. One that does not, but has a top-level backlog key,
    goes to :func:`parse_backlog_yaml` all the same, which refuses it with the reason (the line of the YAML error,
    the key written twice, the text that is not UTF-8).
    """
    if path.stat().st_size > _MAX_BACKLOG_BYTES:
        return None
    data = path.read_bytes()
    try:
        document = load_yaml(data.decode("utf-8"))
    except (UnicodeDecodeError, YamlRefused):
        if looks_like_backlog_text(data.decode("utf-8", errors="replace")):
            return Unit(path, "backlog-yaml", lambda: parse_backlog_yaml(path), (path,))
        return None
    if looks_like_backlog(document):
        return Unit(path, "backlog-yaml", lambda: _backlog(path, document), (path,))
    return None


def _backlog(path: Path, document: dict) -> ParsedBacklog:
    return backlog_from_document(path, document)
