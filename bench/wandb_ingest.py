"""Ingest of a large ``.wandb`` log against the bare protobuf scan of the same file.

*Bare* is the least any reader must do: walk the log's blocks and parse every record with wandb's ``Record``
class, keeping nothing. *Parse* is :func:`parse_run_file` (records to a typed ParsedRun). *Ingest* is the whole
``sprintboard ingest`` of the run folder into a new store (parse, load, commit, swap). Each is run ``repeats``
times, interleaved, and the medians compared, so the ratios hold on a noisy machine.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from wandb.proto import wandb_internal_pb2 as pb

from bench.generate_wandb_run import wandb_run
from sprintboard.ingest.driver import ingest_paths
from sprintboard.ingest.wandb_log import WandbLog
from sprintboard.ingest.wandb_run_file import find_run_log, parse_run_file


def bare_scan(log: Path) -> int:
    records = 0
    for payload in WandbLog(log).payloads():
        pb.Record().ParseFromString(payload)
        records += 1
    return records


def ingest_once(folder: Path) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        report = ingest_paths(Path(scratch) / "bench.duckdb", [folder])
        assert not report.rejected, report.rejected[0].error
        return report.totals().history_rows


def measure(steps: int = 100_000, metrics: int = 10, repeats: int = 5) -> dict:
    folder = wandb_run(steps, metrics)
    log = find_run_log(folder)
    timings: dict[str, list[float]] = {"bare": [], "parse": [], "ingest": []}
    points = 0
    for _ in range(repeats):
        for name, work in (("bare", lambda: bare_scan(log)), ("parse", lambda: len(parse_run_file(log).history)),
                           ("ingest", lambda: ingest_once(folder))):
            started = time.perf_counter()
            result = work()
            timings[name].append(time.perf_counter() - started)
            if name == "ingest":
                points = result
    medians = {name: statistics.median(values) for name, values in timings.items()}
    return {
        "file": f"{steps:,} steps x {metrics} metrics, {log.stat().st_size / 1e6:.1f} MB",
        "points": points,
        "seconds": medians,
        "parse_ratio": medians["parse"] / medians["bare"],
        "ingest_ratio": medians["ingest"] / medians["bare"],
        "points_per_second": points / medians["ingest"],
    }


def report(result: dict) -> str:
    s = result["seconds"]
    return (f".wandb ingest ({result['file']}, {result['points']:,} points): bare protobuf scan {s['bare']:.2f} s, "
            f"parse {s['parse']:.2f} s ({result['parse_ratio']:.2f}x), ingest {s['ingest']:.2f} s "
            f"({result['ingest_ratio']:.2f}x), {result['points_per_second']:,.0f} points/s")


if __name__ == "__main__":
    print(report(measure()))
