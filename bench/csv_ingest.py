"""Ingest of W&B CSV exports against the bare parse of the same file, in metric points per second.

The files (:mod:`bench.generate_csv_exports`) are a ``run.history()`` dump written by pandas and a runs-table
"Export CSV". For each, *bare* is the least any reader must do: Python's ``csv.reader`` over the file and ``float()``
of every cell that holds a metric value, keeping nothing. *Ingest* is the whole ``sprintboard ingest`` of the file
into a new store (:func:`ingest_paths`: detect, parse, load, commit). Each is run ``repeats`` times, interleaved, and
the medians compared, so the ratio holds on a noisy machine.

The points are counted by the bare parse:

* history dump: the non-empty cells of the metric columns (every column but ``_step``, ``_runtime`` and
  ``_timestamp``, which the bare parse converts too, one each per row, but does not count);
* runs table: the config and summary cells (every column after the fixed ``Name ... Sweep``) that hold a number --
  ``float()`` accepts them; text, booleans, lists and empty cells are tried and not counted. These cells become
  config and summary values, not history, so points per second here means numeric values stored per second.

After the first ingest of each file the store is read (outside the timing): the numeric values it holds (history,
config and summary) must be the points the bare parse counted.

Both files are 50 MB by default: the history dump (one run, 270,000 rows) and the runs table (34,031 runs).
"""

from __future__ import annotations

import csv
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.generate_csv_exports import FIXED, history_dump, runs_table
from sprintboard.ingest.detect import detect_file
from sprintboard.ingest.driver import ingest_paths
from sprintboard.store.connection import read_connection

_HISTORY_FIELDS = frozenset({"_step", "_runtime", "_timestamp"})


def bare_history(path: Path) -> int:
    """``csv.reader`` over a history dump; ``_step`` to int, ``_runtime``/``_timestamp`` and every non-empty metric
    cell to float. Returns the metric cells converted."""
    points = 0
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        step = header.index("_step")
        times = [header.index(name) for name in ("_runtime", "_timestamp")]
        metrics = [index for index, name in enumerate(header) if name not in _HISTORY_FIELDS]
        for row in reader:
            int(row[step])
            for index in times:
                float(row[index])
            for index in metrics:
                if cell := row[index]:
                    float(cell)
                    points += 1
    return points


def bare_runs_table(path: Path) -> int:
    """``csv.reader`` over a runs table and ``float()`` tried on every config and summary cell. Returns the cells
    that held a number."""
    points = 0
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        data = [index for index, name in enumerate(header) if name not in FIXED]
        for row in reader:
            for index in data:
                try:
                    float(row[index])
                    points += 1
                except ValueError:
                    pass
    return points


def _stored_numbers(store: Path) -> tuple[int, int]:
    """Runs, and numeric values in history, config and summary, of a store."""
    with read_connection(store) as con:
        runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]
        values = sum(con.execute(f"SELECT count(value_num) FROM {table}").fetchone()[0]  # noqa: S608 - our names
                     for table in ("history", "run_config", "run_summary"))
    return runs, values


def ingest_once(path: Path, count: bool = False) -> tuple[float, int, int]:
    """Seconds of ``ingest_paths`` of the file into a new store; with ``count``, the runs and numeric values stored
    (read after the timing), else zeros."""
    with tempfile.TemporaryDirectory() as scratch:
        store = Path(scratch) / "bench.duckdb"
        started = time.perf_counter()
        report = ingest_paths(store, [path])
        seconds = time.perf_counter() - started
        assert not report.rejected, report.rejected[0].error
        runs, values = _stored_numbers(store) if count else (0, 0)
    return seconds, runs, values


def measure(megabytes: int = 50, runs_table_megabytes: int = 50, repeats: int = 3) -> dict:
    """Median seconds of the bare parse and of the ingest of each file, interleaved over ``repeats`` rounds."""
    files: dict[str, tuple[Path, str, Callable[[Path], int]]] = {
        "history dump": (history_dump(megabytes), "wandb-history-csv", bare_history),
        "runs table": (runs_table(runs_table_megabytes), "wandb-runs-csv", bare_runs_table),
    }
    for path, expected, _ in files.values():
        detected = detect_file(path).format
        assert detected == expected, f"{path.name} detected as {detected}"
    timings: dict[str, dict[str, list[float]]] = {label: {"bare": [], "ingest": []} for label in files}
    points: dict[str, int] = {}
    runs: dict[str, int] = {}
    for round_number in range(repeats):
        for label, (path, _, bare) in files.items():
            started = time.perf_counter()
            points[label] = bare(path)
            timings[label]["bare"].append(time.perf_counter() - started)
            seconds, runs_stored, values = ingest_once(path, count=round_number == 0)
            timings[label]["ingest"].append(seconds)
            if round_number == 0:
                assert values == points[label], f"{path.name}: {values:,} numbers stored, {points[label]:,} points"
                runs[label] = runs_stored
    result = {}
    for label, (path, _, _) in files.items():
        bare_s = statistics.median(timings[label]["bare"])
        ingest_s = statistics.median(timings[label]["ingest"])
        result[label] = {
            "file": f"{path.stat().st_size / 1e6:.1f} MB, {runs[label]:,} run{'s' if runs[label] != 1 else ''}",
            "points": points[label],
            "seconds": {"bare": bare_s, "ingest": ingest_s},
            "ingest_ratio": ingest_s / bare_s,
            "points_per_second": points[label] / ingest_s,
        }
    return result


def report(result: dict) -> str:
    lines = []
    for label, figures in result.items():
        s = figures["seconds"]
        lines.append(f"CSV {label} ingest ({figures['file']}, {figures['points']:,} points): bare csv.reader + float "
                     f"{s['bare']:.2f} s, ingest {s['ingest']:.2f} s ({figures['ingest_ratio']:.2f}x), "
                     f"{figures['points_per_second']:,.0f} points/s")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(measure()))
