"""A logged table on its own: a ``.table.json`` file (``{"columns": [...], "data": [[...], ...]}``) as W&B writes
it under a run folder's ``files/media/table/``, offered by itself (copied out, downloaded from the run's Files tab,
or picked from inside a run folder). Its cells go to ``predictions``.

* Key and step come from the name, as the run-folder reader takes them (``wandb_side_files.table_ref_from_name``):
  ``media/table/eval/preds_5_<hash>.table.json`` is key ``eval/preds`` at step 5 (a sub-folder of ``media/table``
  is a ``/`` in the key). Outside a ``media/table`` folder, a name ``<key>_<step>_<hash>.table.json`` gives key and
  step the same way; any other name gives the key as the name without ``.table.json`` (or ``.json``) and no step.
* The run is the one named with ``sprintboard ingest --run ID``; else the nearest folder above the file named
  ``run-<date>-<id>`` or ``offline-run-<date>-<id>`` (the W&B run folder it came from). A file with neither is refused,
  with a message naming the option.

Cells are kept as logged (``NaN`` and ``Infinity`` as the float values), except a whole number too large for a
float (10**400), which is kept as its digits with a warning (:mod:`sprintboard.ingest.large_numbers`). An object
with a key written twice, which ``json`` would read as its last value silently, is refused, naming the key.

Not loaded twice: a run folder offered as a folder loads its own tables and its files are not offered again one by
one. Tables are replaced per run and key, so offering a run folder and also one of its table files stores the table
once.
"""

from __future__ import annotations

import re
from pathlib import Path

from sprintboard.ingest import strict_json
from sprintboard.ingest.large_numbers import LargeNumbers, beyond_float
from sprintboard.ingest.parsed import ParsedRun, ParsedTable
from sprintboard.store.errors import InputError

_RUN_FOLDER = re.compile(r"^(?:offline-)?run-\d{8}_\d{6}-(?P<id>[^-]+)$")
_COLUMNS = re.compile(r'"columns"\s*:\s*\[')
_DATA = re.compile(r'"data"\s*:\s*\[')


def looks_like_table_json(head: str) -> bool:
    """A logged table: a JSON object whose start (``head``) holds a ``columns`` list and a ``data`` list."""
    return head.lstrip("\ufeff \t\r\n").startswith("{") and bool(_COLUMNS.search(head)) and bool(_DATA.search(head))


def run_folder_id(path: Path) -> str | None:
    """The run id of the nearest folder above ``path`` named ``run-<date>-<id>`` or ``offline-run-<date>-<id>``."""
    for folder in path.resolve().parents:
        if match := _RUN_FOLDER.match(folder.name):
            return match.group("id")
    return None


def table_key_and_step(path: Path) -> tuple[str, int | None]:
    """The key the table was logged under and the step, from the file's name (see the module docstring)."""
    # Imported here: the run-folder reader loads wandb's protobuf classes, which detection does not need.
    from sprintboard.ingest.wandb_side_files import table_ref_from_name

    for table_dir in path.parents:
        if table_dir.name == "table" and table_dir.parent.name == "media":
            files = table_dir.parent.parent
            ref = table_ref_from_name(path, table_dir, path.relative_to(files).as_posix())
            if ref is not None:
                return ref.key, ref.step
            break
    ref = table_ref_from_name(path, path.parent, path.name)
    if ref is not None:
        return ref.key, ref.step
    name = path.name
    for suffix in (".table.json", ".json"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], None
    return name, None


def parse_table_file(path: Path | str, run_id: str | None = None) -> list[ParsedRun]:
    """Parse a ``.table.json`` file into a :class:`ParsedRun` holding one table and nothing else.

    Raises :class:`InputError` when the run cannot be told, the file is not valid JSON or has an object with a key
    written twice, or it does not hold a ``columns`` list and a ``data`` list of rows as long as ``columns``.
    """
    path = Path(path)
    run_id = run_id or run_folder_id(path)
    if not run_id:
        raise InputError(path, "the run that logged this table cannot be told (the file is not inside a W&B run "
                               "folder run-<date>-<id>); name it with --run ID")
    try:
        document = strict_json.loads(path.read_bytes().decode("utf-8-sig"))  # NaN and Infinity as W&B writes them
    except UnicodeDecodeError as exc:
        raise InputError(path, f"is not UTF-8 text (byte {exc.start})") from None
    except strict_json.RepeatedKeyError as exc:
        where = f"{strict_json.dotted(exc.where)}: " if exc.where else ""
        raise InputError(path, f"{where}key {exc.key!r} appears more than once, so which value was logged cannot "
                               "be told") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(path, f"is not valid JSON: {exc}") from None
    key, step = table_key_and_step(path)
    table = ParsedTable.from_document(key, document, step, str(path))
    if table is None:
        raise InputError(path, "holds no 'columns' and 'data' lists, as a logged table does")
    large = LargeNumbers()
    for index, row in enumerate(table.rows):
        if not isinstance(row, list) or len(row) != len(table.columns):
            size = len(row) if isinstance(row, list) else "no list of"
            raise InputError(path, f"data[{index}] has {size} cells where there are {len(table.columns)} columns")
        for column, cell in enumerate(row):
            if beyond_float(cell):
                row[column] = large.kept(cell, f"data[{index}], column {table.columns[column]!r}")
    run = ParsedRun(run_id=run_id, tables=[table], logged_data_only=True)
    if warning := large.warning():
        run.warnings.append(warning)
    return [run]
