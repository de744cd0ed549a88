"""Which format a path holds, decided by its content, never by its name.

A path becomes one or more *units*: a unit is what one transaction loads (a run folder with its log and side files,
a bare ``.wandb`` log, a backlog file). Folders are searched for run folders and loose files; files inside a run
folder belong to that run and are not units of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from sprintboard.ingest.backlog_yaml import backlog_from_document, looks_like_backlog
from sprintboard.ingest.parsed import ParsedBacklog, ParsedRun
from sprintboard.store.errors import InputError

WANDB_LOG_MAGIC = b":W&B"
_SNIFF_BYTES = 4096
# Backlog files are small; a text file larger than this is not parsed as YAML just to find out it is not one.
_MAX_BACKLOG_BYTES = 50 * 1024 * 1024


@dataclass
class Unit:
    """One loadable thing: ``parse()`` returns the runs or backlog it holds, or raises :class:`InputError`."""

    path: Path
    format: str
    parse: Callable[[], list[ParsedRun] | ParsedBacklog]
    files: tuple[Path, ...]


def is_run_folder(folder: Path) -> bool:
    """A W&B run folder holds a ``run-<id>.wandb`` log (``wandb/run-*`` and ``wandb/offline-run-*`` do)."""
    return folder.is_dir() and any(folder.glob("run-*.wandb"))


def units_for(path: Path) -> Iterator[Unit]:
    """The units under ``path``, in a stable order; raises :class:`InputError` for a path that does not exist."""
    if not path.exists():
        raise InputError(path, "no such file or folder")
    if path.is_dir():
        yield from _units_in_folder(path)
    else:
        yield detect_file(path)


def _units_in_folder(folder: Path) -> Iterator[Unit]:
    if is_run_folder(folder):
        yield _run_folder_unit(folder)
        return
    for child in sorted(folder.iterdir()):
        if child.name.startswith(".") or child.is_symlink():
            continue
        if child.is_dir():
            yield from _units_in_folder(child)
        elif child.name not in {"debug.log", "debug-internal.log"}:
            yield detect_file(child)


def _run_folder_unit(folder: Path) -> Unit:
    from sprintboard.ingest.wandb_run_file import parse_run_folder

    files = tuple(sorted(p for p in folder.rglob("*") if p.is_file() and "logs" not in p.relative_to(folder).parts))
    return Unit(folder, "wandb-run-folder", lambda: [parse_run_folder(folder)], files)


def detect_file(path: Path) -> Unit:
    """Decide a single file's format from its first bytes; raises :class:`InputError` when no format fits."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror})") from None
    if not head:
        raise InputError(path, "is empty")
    if head.startswith(WANDB_LOG_MAGIC):
        from sprintboard.ingest.wandb_run_file import parse_run_file

        return Unit(path, "wandb-log", lambda: [parse_run_file(path)], (path,))
    if b"\x00" in head:
        raise InputError(path, "is a binary file of no format Sprintboard reads (a .wandb log starts with ':W&B')")
    document = _yaml_document(path)
    if looks_like_backlog(document):
        return Unit(path, "backlog-yaml", lambda: _backlog(path, document), (path,))
    raise InputError(
        path,
        "is not a format Sprintboard reads (a W&B run folder or .wandb log, or a backlog YAML file "
        "with 'sprints', 'items' or 'events')",
    )


def _yaml_document(path: Path) -> object:
    if path.stat().st_size > _MAX_BACKLOG_BYTES:
        return None
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return None


def _backlog(path: Path, document: dict) -> ParsedBacklog:
    return backlog_from_document(path, document)
