"""The files a W&B run folder holds beside its log: ``config.yaml``, ``wandb-summary.json``,
``wandb-metadata.json`` and logged tables (``media/table/**/*.table.json``)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from sprintboard.ingest.parsed import ParsedRun, ParsedTable, flatten, parse_utc
from sprintboard.ingest.wandb_history import TableRef

# media/table/<key>_<step>_<hash>.table.json; <key> may hold "_", and a "/" in the key is a sub-folder.
_TABLE_NAME = re.compile(r"^(?P<key>.+)_(?P<step>\d+)_(?P<hash>[0-9a-f]+)\.table\.json$")


def merge_side_files(run: ParsedRun, files: Path, table_refs: list[TableRef]) -> None:
    """Fill ``run`` from the side files in a run folder's ``files`` folder (see :func:`parse_run_folder`)."""
    _merge_config(run, _read_side_file(run, files / "config.yaml", _load_yaml))
    _merge_summary(run, _read_side_file(run, files / "wandb-summary.json", _load_json))
    _merge_metadata(run, _read_side_file(run, files / "wandb-metadata.json", _load_json))
    run.tables = _read_tables(run, files, table_refs)


class _ConfigLoader(yaml.SafeLoader):
    """YAML as W&B writes ``config.yaml``: PyYAML follows YAML 1.1, where ``6e-05`` (no dot) is a string, but
    W&B writes floats that way, so exponent-only numbers resolve to floats here."""


_ConfigLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9]+[eE][-+]?[0-9]+$"), list("-+0123456789")
)


def _load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_ConfigLoader)  # noqa: S506 - a SafeLoader


def _load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))  # accepts NaN and Infinity, as W&B writes them


def _read_side_file(run: ParsedRun, path: Path, load: Any) -> dict[str, Any]:
    """The mapping in a side file; ``{}`` when it is absent, and ``{}`` with a warning when it is unreadable."""
    if not path.is_file():
        return {}
    try:
        document = load(path)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, yaml.YAMLError) as exc:
        run.warnings.append(f"{path.name} skipped: {' '.join(str(exc).split())[:200]}")
        return {}
    if document is None:
        return {}
    if not isinstance(document, dict):
        run.warnings.append(f"{path.name} skipped: it does not hold a mapping")
        return {}
    return document


def _merge_config(run: ParsedRun, document: dict[str, Any]) -> None:
    """Fill config keys the log lacks from ``config.yaml``, whose values are wrapped as ``{"value": ...}``."""
    unwrapped = {
        key: value["value"] if isinstance(value, dict) and "value" in value else value
        for key, value in document.items()
        if key != "_wandb"
    }
    for key, value in flatten(unwrapped).items():
        run.config.setdefault(key, value)


def _merge_summary(run: ParsedRun, document: dict[str, Any]) -> None:
    """``wandb-summary.json`` is the final summary: its keys win over the log's, which are kept too."""
    run.summary.update(flatten({key: value for key, value in document.items() if key != "_wandb"}))


def _merge_metadata(run: ParsedRun, meta: dict[str, Any]) -> None:
    git = meta.get("git") if isinstance(meta.get("git"), dict) else {}
    for name, value in (("git_commit", git.get("commit")), ("git_remote", git.get("remote")),
                        ("program", meta.get("program")), ("host", meta.get("host"))):
        if getattr(run, name) is None and isinstance(value, str) and value:
            setattr(run, name, value)
    if run.created_at is None:
        # startedAt is ISO 8601 in UTC (wandb 0.16 leaves out the Z)
        run.created_at = parse_utc(meta.get("startedAt"))


def _read_tables(run: ParsedRun, files: Path, refs: list[TableRef]) -> list[ParsedTable]:
    table_dir = files / "media" / "table"
    if not table_dir.is_dir():
        return []
    by_path = {ref.path: ref for ref in refs}
    tables = []
    for path in sorted(table_dir.rglob("*.table.json")):
        relative = path.relative_to(files).as_posix()
        ref = by_path.get(relative) or table_ref_from_name(path, table_dir, relative)
        if ref is None:
            run.warnings.append(f"{relative} skipped: the logged key cannot be told from its name")
            continue
        table = _load_table(run, path, ref)
        if table is not None:
            tables.append(table)
    return tables


def table_step_from_name(name: str) -> int | None:
    """The step in a table file's name ``<key>_<step>_<hash>.table.json``; ``None`` for another name."""
    match = _TABLE_NAME.match(name.rsplit("/", 1)[-1])
    return int(match.group("step")) if match else None


def table_ref_from_name(path: Path, table_dir: Path, relative: str) -> TableRef | None:
    """Key and step from ``media/table/<dirs>/<key>_<step>_<hash>.table.json``; sub-folders are ``/`` in the key."""
    match = _TABLE_NAME.match(path.name)
    if not match:
        return None
    folder = path.parent.relative_to(table_dir).as_posix()
    key = match.group("key") if folder == "." else f"{folder}/{match.group('key')}"
    return TableRef(key, int(match.group("step")), relative)


def _load_table(run: ParsedRun, path: Path, ref: TableRef) -> ParsedTable | None:
    document = _read_side_file(run, path, _load_json)
    table = ParsedTable.from_document(ref.key, document, ref.step, str(path))
    if table is None and document:
        run.warnings.append(f"{ref.path} skipped: no 'columns' and 'data' lists")
    return table
