"""A project's ingest against the bare parse of the same files: its W&B run folders, and its backlog.

The run folders are :attr:`bench.generate_project.Project.run_folders` (every run of the small project; for medium
and large, the sample of their runs); the backlog is the project's ``backlog.yaml``. Each is ingested on its own, so
each rate says what it is about. *Bare* is the least any reader must do, keeping nothing: every ``.wandb`` log's
records parsed with wandb's ``Record`` class (:func:`bench.wandb_ingest.bare_scan`) and each run's side files and
tables with ``json.loads``/PyYAML's C loader; the backlog with PyYAML's C loader. *Ingest* is ``sprintboard ingest``
of the same paths into a new store (detect, parse, validate, load, commit, publish). Each is run ``repeats`` times,
interleaved, and the medians compared.

Run folders are counted in numeric history points (runs x steps x metrics), the backlog in entries (sprints, items
and events). After the first ingest the store is read (outside the timing): nothing may have been rejected, and it
must hold exactly those points, or those sprints, items and events.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import yaml

from bench.generate_project import Project
from bench.wandb_ingest import bare_scan
from sprintboard.ingest.driver import ingest_paths

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(path: Path) -> object:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader


def bare_run_folders(folders: Path) -> int:
    """Parse every file of the run folders under ``folders``, keeping nothing; returns the records read."""
    records = 0
    for path in sorted(folders.rglob("*")):
        if path.name.endswith(".wandb"):
            records += bare_scan(path)
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".yaml":
            _load_yaml(path)
    return records


def bare_backlog(backlog: Path) -> int:
    """Parse the backlog, keeping nothing; returns its sprints, items and events."""
    document = _load_yaml(backlog)
    return sum(len(document.get(name) or []) for name in ("sprints", "items", "events"))


def ingest_once(scratch_parent: Path, paths: list[Path], expected: tuple[str, tuple] | None = None) -> float:
    """Seconds of ``sprintboard ingest`` of ``paths`` into a new store; with ``expected`` (a query and the row it
    must return), the store is checked after the timing."""
    with tempfile.TemporaryDirectory(dir=scratch_parent) as scratch:
        store = Path(scratch) / "ingest.duckdb"
        started = time.perf_counter()
        report = ingest_paths(store, paths)
        seconds = time.perf_counter() - started
        if report.rejected:
            raise RuntimeError(f"{report.rejected[0].path}: rejected: {report.rejected[0].error}")
        if expected is not None:
            sql, row = expected
            with duckdb.connect(str(store), read_only=True) as con:
                stored = con.execute(sql).fetchone()
            if stored != row:
                raise RuntimeError(f"{', '.join(map(str, paths))}: the store holds {stored} for {sql!r}, not {row}")
    return seconds


def measure(project: Project, repeats: int = 3) -> dict[str, dict]:
    """Per input (``run folders``, ``backlog``): what it is, its ``count`` of ``unit``, ``bytes``, median
    ``seconds`` of the bare parse and the ingest, their ``ratio``, and ``per_second`` of each."""
    facts = project.facts()
    folders, backlog = project.run_folders, project.backlog
    points = facts["run_folders"] * project.size.steps * project.size.metrics
    entries = facts["sprints"] + facts["items"] + facts["events"]
    inputs: dict[str, tuple[int, str, int, Callable[[], int], list[Path], tuple[str, tuple]]] = {
        "run folders": (points, "points",
                        sum(path.stat().st_size for path in folders.rglob("*") if path.is_file()),
                        lambda: bare_run_folders(folders), [folders],
                        ("SELECT count(value_num) FROM history", (points,))),
        "backlog": (entries, "entries", backlog.stat().st_size, lambda: bare_backlog(backlog), [backlog],
                    ("""SELECT (SELECT count(*) FROM sprints) + (SELECT count(*) FROM work_items)
                              + (SELECT count(*) FROM item_events)""", (entries,))),
    }
    timings = {name: {"bare": [], "ingest": []} for name in inputs}
    for round_number in range(repeats):
        for name, (_, _, _, bare, paths, expected) in inputs.items():
            started = time.perf_counter()
            bare()
            timings[name]["bare"].append(time.perf_counter() - started)
            timings[name]["ingest"].append(ingest_once(project.folder, paths,
                                                       expected if round_number == 0 else None))
    results = {}
    for name, (count, unit, size, *_rest) in inputs.items():
        bare_s, ingest_s = (statistics.median(timings[name][kind]) for kind in ("bare", "ingest"))
        results[name] = {"count": count, "unit": unit, "bytes": size, "files": facts["run_folders"],
                         "seconds": {"bare": bare_s, "ingest": ingest_s}, "ratio": ingest_s / bare_s,
                         "per_second": {"bare": count / bare_s, "ingest": count / ingest_s}}
    return results
