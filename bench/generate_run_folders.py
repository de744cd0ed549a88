"""Write runs of a store as W&B offline run folders, the input ``sprintboard ingest`` reads for W&B runs.

Each run becomes ``offline-run-<start>-<id>/`` holding:

* ``run-<id>.wandb``: a header record, the run record (id, entity, project, name, group, job type, notes, tags,
  sweep, host, start time, git, the config as top-level keys with nested dicts as JSON objects), an environment
  record (program, host, start), then every history row as wandb 0.31 logs a step (:mod:`bench.wandb_records`),
  and an exit record for runs that ended (``finished``: exit code 0, ``failed``: 1); ``crashed`` and ``running``
  runs have none, as a killed or live run has none;
* ``files/config.yaml`` (``{key: {value: ...}}``), ``files/wandb-metadata.json`` and, for runs that ended,
  ``files/wandb-summary.json``;
* for the runs in ``tables``: a ``val/predictions`` table (:mod:`bench.generate_predictions`) logged one step after
  the last history row, its file under ``files/media/table/``.

The runs' tags are the store's, plus ``hyp:<id>`` for a run with a hypothesis reference, so that the ingest links
runs to sprints and hypotheses by the tags the product documents. Every run is expected to log every key at every
step (as :mod:`bench.generate_metric_store` writes them); a run with a ragged history is refused.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import yaml
from wandb.proto import wandb_internal_pb2 as pb

from bench.generate_predictions import KEY as TABLE_KEY
from bench.generate_predictions import predictions, write_table
from bench.wandb_records import StepEncoder, exit_record, header_record, table_step_records
from sprintboard.ingest.wandb_log import encode_log

_RUN_COLUMNS = ("run_id, project, entity, name, state, created_at, runtime_s, notes, user_name, group_name, job_type, "
                "tags, sweep_id, host, git_commit, git_remote, program, hypothesis_ref")
_EXIT_CODES = {"finished": 0, "failed": 1}


def folder_name(run_id: str, created_at: datetime) -> str:
    return f"offline-run-{created_at:%Y%m%d_%H%M%S}-{run_id}"


def table_runs(con: duckdb.DuckDBPyConnection, every: int = 10) -> dict[str, float]:
    """Every ``every``-th finished run by start time, with the quality its table's model gets: its final
    ``val/auc`` mapped from 0.75..1.0 to 0..1."""
    rows = con.execute("""SELECT r.run_id, s.value_num FROM runs r
                          LEFT JOIN run_summary s ON s.run_id = r.run_id AND s.key = 'val/auc'
                          WHERE r.state = 'finished' ORDER BY r.created_at, r.run_id""").fetchall()
    return {run_id: min(1.0, max(0.0, ((auc or 0.75) - 0.75) / 0.25)) for run_id, auc in rows[::every]}


def _nested(pairs: list[tuple[str, str]]) -> dict:
    """Config rows (dotted key, JSON text) as the nested dict ``run.config`` was given."""
    config: dict = {}
    for key, text in pairs:
        *parents, leaf = key.split(".")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = json.loads(text)
    return config


def _history(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray,
                                                                    np.ndarray]:
    """Keys, steps, epoch timestamps, runtimes and a (steps x keys) matrix of the run's values."""
    keys = [row[0] for row in con.execute("SELECT DISTINCT key FROM history WHERE run_id = ? ORDER BY key",
                                          [run_id]).fetchall()]
    columns = con.execute("""SELECT step, epoch(timestamp) AS stamp, runtime_s, value_num FROM history
                             WHERE run_id = ? ORDER BY step, key""", [run_id]).fetchnumpy()
    steps = len(columns["step"]) // max(len(keys), 1)
    if steps * len(keys) != len(columns["step"]):
        raise ValueError(f"run {run_id}: not every key is logged at every step")
    shape = (steps, len(keys))
    return (keys, columns["step"].reshape(shape)[:, 0], columns["stamp"].reshape(shape)[:, 0],
            columns["runtime_s"].reshape(shape)[:, 0], columns["value_num"].reshape(shape))


def _run_record(run: dict, config: dict) -> bytes:
    record = pb.Record(num=2)
    message = record.run
    for field, column in (("run_id", "run_id"), ("entity", "entity"), ("project", "project"),
                          ("display_name", "name"), ("run_group", "group_name"), ("job_type", "job_type"),
                          ("notes", "notes"), ("sweep_id", "sweep_id"), ("host", "host")):
        if run[column]:
            setattr(message, field, run[column])
    message.tags.extend(run["tags"])
    message.start_time.FromDatetime(run["created_at"])
    if run["git_commit"]:
        message.git.commit = run["git_commit"]
        message.git.remote_url = run["git_remote"] or ""
    message.config.update.add(key="_wandb", value_json="{}")
    for key, value in config.items():
        message.config.update.add(key=key, value_json=json.dumps(value))
    record._info.stream_id = run["run_id"]
    return record.SerializeToString()


def _environment_record(run: dict) -> bytes:
    record = pb.Record(num=3)
    record.environment.program = run["program"] or ""
    record.environment.host = run["host"] or ""
    record.environment.started_at.FromDatetime(run["created_at"])
    return record.SerializeToString()


def write_run_folder(con: duckdb.DuckDBPyConnection, run: dict, out: Path, table_quality: float | None) -> Path:
    """Write the run folder of ``run`` (a row of ``runs``) under ``out``; returns the folder."""
    run_id = run["run_id"]
    folder = out / folder_name(run_id, run["created_at"])
    files = folder / "files"
    files.mkdir(parents=True, exist_ok=True)
    config = _nested(con.execute("SELECT key, value_json FROM run_config WHERE run_id = ? ORDER BY key",
                                 [run_id]).fetchall())
    keys, steps, stamps, runtimes, values = _history(con, run_id)
    encoder = StepEncoder(keys)
    payloads = [header_record(1, run_id), _run_record(run, config), _environment_record(run)]
    num = 4
    for step, stamp, runtime, row in zip(steps.tolist(), stamps.tolist(), runtimes.tolist(), values.tolist(),
                                         strict=True):
        payloads.extend(encoder.step_records(num, step, runtime, [*map(repr, row), repr(stamp), repr(runtime),
                                                                   str(step)]))
        num += 3
    summary = dict(zip(keys, values[-1].tolist(), strict=True)) if len(steps) else {}
    last_step = int(steps[-1]) if len(steps) else -1
    last_stamp = float(stamps[-1]) if len(steps) else run["created_at"].timestamp()
    last_runtime = float(runtimes[-1]) if len(steps) else 0.0
    if table_quality is not None:
        step = last_step + 1
        _, ref = write_table(files, step, predictions(run_id, table_quality))
        meta = {"_timestamp": repr(last_stamp + 1.0), "_runtime": repr(last_runtime + 1.0), "_step": str(step)}
        payloads.extend(table_step_records(num, step, TABLE_KEY, ref, meta))
        num += 2
        summary[TABLE_KEY] = ref
        last_step, last_runtime = step, last_runtime + 1.0
    ended = run["state"] in _EXIT_CODES
    if ended:
        payloads.append(exit_record(num, _EXIT_CODES[run["state"]], int(run["runtime_s"] or last_runtime)))
        summary.update({"_step": last_step, "_runtime": last_runtime, "_wandb": {"runtime": int(last_runtime)}})
        (files / "wandb-summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (folder / f"run-{run_id}.wandb").write_bytes(encode_log(payloads))
    (files / "config.yaml").write_text(yaml.safe_dump({key: {"value": value} for key, value in config.items()}),
                                       encoding="utf-8")
    metadata = {"os": "Linux-6.1.0-x86_64-with-glibc2.36", "python": "CPython 3.11.7",
                "startedAt": run["created_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "program": run["program"],
                "host": run["host"], "username": run["user_name"]}
    if run["git_commit"]:
        metadata["git"] = {"remote": run["git_remote"], "commit": run["git_commit"]}
    (files / "wandb-metadata.json").write_text(json.dumps(metadata, indent=4), encoding="utf-8")
    return folder


def write_run_folders(store: Path, out: Path, run_ids: list[str] | None = None,
                      tables: dict[str, float] | None = None) -> list[Path]:
    """Write the runs ``run_ids`` (default: all, by start time) of ``store`` as run folders under ``out``;
    ``tables`` maps the runs that log a predictions table to their model's quality."""
    out.mkdir(parents=True, exist_ok=True)
    tables = tables or {}
    con = duckdb.connect(str(store), read_only=True)
    try:
        names = [name.strip() for name in _RUN_COLUMNS.split(",")]
        rows = con.execute(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY created_at, run_id").fetchall()  # noqa: S608
        runs = [dict(zip(names, row, strict=True)) for row in rows]
        if run_ids is not None:
            wanted = set(run_ids)
            runs = [run for run in runs if run["run_id"] in wanted]
        for run in runs:
            if run["hypothesis_ref"] and f"hyp:{run['hypothesis_ref']}" not in run["tags"]:
                run["tags"] = [*run["tags"], f"hyp:{run['hypothesis_ref']}"]
        return [write_run_folder(con, run, out, tables.get(run["run_id"])) for run in runs]
    finally:
        con.close()
