"""Write two large W&B CSV exports laid out as the real ones in ``tests/fixtures/wandb_exports/`` are.

* :func:`runs_table`: the runs table of a project page, "Export CSV": every cell quoted, ``\\n`` between rows and none
  after the last; the fixed columns ``Name, State, Notes, User, Tags, Created, Runtime, Sweep``, then the config
  columns sorted, then the summary columns sorted (code-point order, as W&B writes them). Numbers as W&B writes them
  (JSON: ``5000`` for a whole number, full precision otherwise, ``0.000017756371550433755`` rather than an exponent
  down to 1e-6); some config keys only some runs have and some summary keys a crashed or failed run never logged
  (empty cells); tags like ``sprint:s3, hyp:INC-104``.
* :func:`history_dump`: ``run.history()`` of one run written with pandas ``DataFrame.to_csv(index=False)``: the
  columns in the mixed order the API returns them (``_step``, ``_runtime`` and ``_timestamp`` among the metrics),
  float64 values as Python reprs (``138240.0``, ``4.999999873689376e-05``), whole-number columns as integers, and an
  empty cell wherever a metric was not logged at that step (validation every 10th step, evaluation every 100th, a
  memory gauge now and then).

Both are seeded and deterministic, written once under ``bench/out/`` and reused while a file of that size is there.
``python -m bench.generate_csv_exports [HISTORY_MB [RUNS_TABLE_MB]]`` writes them and checks that each is told by its
content and ingested without a rejection.
"""

from __future__ import annotations

import math
import random
import sys
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "out"
SEED = 20260525

FIXED = ("Name", "State", "Notes", "User", "Tags", "Created", "Runtime", "Sweep")
_ADJECTIVES = ("silvery", "resilient", "fragrant", "misty", "dauntless", "lucky", "stellar", "vivid", "glowing",
               "polished", "twilight", "breezy", "crimson", "sleek", "noble", "wild", "golden", "rosy", "hardy",
               "azure")
_NOUNS = ("sun", "disco", "paper", "river", "forest", "galaxy", "totem", "snowflake", "voice", "wave", "dream",
          "sky", "firefly", "planet", "meadow", "bird", "shadow", "feather", "moon", "pine")
_USERS = ("antoine-toffano", "lucas-tang", "m-okafor", "priya-r", "jdoe-ml")
_SWEEPS = ("k3j9x0qa", "7mzt2p1c", "q0w8e7rt", "zx5v1b2n")
_NOTES = ("retry after OOM, batch halved", "baseline for the \"long context\" comparison", "seed sweep; see INC-212",
          "warm restart from epoch 10, lr 3e-4")


def _json_number(value: float) -> str:
    """A float as W&B's export writes it (JavaScript's number to text): shortest digits, whole numbers without
    ``.0``, fixed notation from 1e-6 up to 1e21."""
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" not in text:
        return text
    if 1e-6 <= abs(value) < 1e21:
        return format(Decimal(text), "f")
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{int(exponent):+d}"  # 1e-07 -> 1e-7


def _config_columns() -> dict[str, object]:
    """Config columns: name -> a function of (rng, run number) giving the cell, or ``""`` for a key the run lacks."""

    def choice(*options: object):
        return lambda rng, _: str(rng.choice(options))

    def since(first_run: int, make):
        # a key added to the training script later: runs before it do not have it
        return lambda rng, n: make(rng, n) if n >= first_run else ""

    return {
        "architecture": choice("transformer", "resnet50", "vit_b16", "lstm"),
        "batch_size": choice(32, 64, 128, 256),
        "beta1": choice("0.9", "0.95"),
        "beta2": lambda rng, _: _json_number(1 - 10 ** rng.uniform(-4, -2)),
        "compile": choice("true", "false"),
        "dataset": choice("imagenet-1k", "cifar100", "openwebtext", "local_celegans"),
        "dropout": lambda rng, _: _json_number(rng.uniform(0.0, 0.5)),
        "epochs": choice(10, 20, 50, 100),
        "eval_interval": choice(250, 500, 1000),
        "grad_clip": choice("1", "0.5", "5"),
        "label_smoothing": since(4000, lambda rng, _: _json_number(rng.choice((0.0, 0.1, rng.uniform(0, 0.2))))),
        "layers": lambda rng, _: "[" + ",".join(str(rng.choice((64, 128, 256, 512))) for _ in range(3)) + "]",
        "learning_rate": lambda rng, _: _json_number(10 ** rng.uniform(-5.5, -2)),
        "mixed_precision": choice("bf16", "fp16", "no"),
        "model.d_model": choice(256, 384, 512, 768),
        "model.n_head": choice(4, 6, 8, 12),
        "model.n_layer": choice(4, 6, 8, 12, 24),
        "num_workers": choice(4, 8),
        "optimizer": choice("adamw", "sgd", "lion"),
        "scheduler": choice("cosine", "linear", "constant"),
        "seed": lambda rng, _: str(rng.randrange(10_000)),
        "sprint": since(8000, lambda rng, _: f"s{rng.randrange(1, 9)}"),
        "warmup_steps": choice(0, 100, 500, 2000),
        "weight_decay": lambda rng, _: _json_number(10 ** rng.uniform(-5, -1)),
    }


_SUMMARY_GROUPS = {
    # prefix -> metric names; each group is logged (or not) as a whole
    "train": ("accuracy", "epoch_time_s", "grad_norm", "loss", "lr", "perplexity", "step_loss", "tokens_per_s"),
    "val": ("accuracy", "auc", "f1", "loss", "perplexity", "precision", "recall", "specificity"),
    "test": ("accuracy", "auc", "f1", "loss", "precision", "recall"),
    "final": ("MCC", "accuracy", "auc_roc", "balanced_accuracy", "cohens_kappa", "f1_macro", "f1_weighted",
              "precision_macro", "recall_macro", "sensitivity", "specificity"),
    "system": ("gpu_mem_gb", "gpu_util", "cpu_percent"),
}
_SUMMARY_PLAIN = ("best_epoch", "best_val_loss", "epoch", "global_step", "iter", "lr")


def _summary_columns() -> list[str]:
    per_class = [f"val/class_{index:02d}/{name}" for index in range(10) for name in ("f1", "recall")]
    return sorted([f"{group}/{name}" for group, names in _SUMMARY_GROUPS.items() for name in names]
                  + per_class + list(_SUMMARY_PLAIN))


def _summary_value(rng: random.Random, column: str, state: str, quality: float) -> str:
    group = column.split("/", 1)[0] if "/" in column else ""
    if state in ("crashed", "failed", "running") and group in ("test", "final"):
        return ""  # evaluated at the end only
    if state == "crashed" and group == "val" and rng.random() < 0.5:
        return ""  # died before the first validation
    if group == "final" and rng.random() < 0.3:
        return ""  # an older script without the final report
    if column in ("best_epoch", "epoch"):
        return str(rng.randrange(1, 101))
    if column in ("global_step", "iter"):
        return str(rng.randrange(100, 200_000))
    if column.endswith("lr"):
        return _json_number(10 ** rng.uniform(-7.5, -3))
    if column.endswith(("loss", "perplexity")):
        loss = (1 - quality) * 3 + rng.gauss(0, 0.05)
        return _json_number(math.exp(loss) if column.endswith("perplexity") else loss)
    if column.endswith(("_s", "per_s", "gb", "util", "percent", "grad_norm")):
        return _json_number(rng.uniform(0.5, 5000))
    return _json_number(min(1.0, max(0.0, quality + rng.gauss(0, 0.03))))


def _quoted(values: list[str]) -> str:
    return ",".join('"' + value.replace('"', '""') + '"' for value in values)


def _write_runs_table(path: Path, target_bytes: int) -> None:
    rng = random.Random(SEED)
    config = _config_columns()
    config_names = sorted(config)
    summary_names = _summary_columns()
    created = datetime(2026, 5, 25, 14, 8, 33)
    number = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        written = handle.write(_quoted(list(FIXED) + config_names + summary_names))
        while written < target_bytes:
            number += 1
            state = rng.choices(("finished", "failed", "crashed", "killed", "running"), (80, 8, 7, 3, 2))[0]
            tags = rng.choices(("", f"sprint:s{rng.randrange(1, 9)}, hyp:INC-{rng.randrange(100, 400)}", "baseline",
                                f"sprint:s{rng.randrange(1, 9)}"), (30, 50, 10, 10))[0]
            fixed = [
                f"{rng.choice(_ADJECTIVES)}-{rng.choice(_NOUNS)}-{number}",
                state,
                rng.choice(_NOTES) if rng.random() < 0.1 else "-",
                rng.choice(_USERS) if rng.random() < 0.9 else "",
                tags,
                created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                str(rng.randrange(30, 90_000)),
                rng.choice(_SWEEPS) if rng.random() < 0.3 else "",
            ]
            quality = rng.uniform(0.3, 0.95)
            cells = fixed + [config[name](rng, number) for name in config_names]
            cells += [_summary_value(rng, name, state, quality) for name in summary_names]
            written += handle.write("\n" + _quoted(cells))
            created -= timedelta(seconds=rng.randrange(1, 900))  # the export lists the newest run first


def _history_columns(rng: np.random.Generator) -> list[str]:
    metrics = ["train/loss", "train/lr", "train/grad_norm", "train/tokens_per_s", "train/step_time", "epoch",
               "train/accuracy", "gpu/mem_gb", "val/loss", "val/accuracy", "val/perplexity", "eval/bleu"]
    columns = metrics + ["_step", "_runtime", "_timestamp"]
    return [columns[i] for i in rng.permutation(len(columns))]  # run.history() has no fixed column order


def _history_chunk(rng: np.random.Generator, start: int, rows: int, total_steps: int,
                   clock: list[float]) -> dict[str, np.ndarray]:
    step = np.arange(start, start + rows, dtype=np.int64)
    progress = step / total_steps
    step_time = rng.gamma(20.0, 0.02, rows)
    runtime = clock[0] + np.cumsum(step_time)
    clock[0] = float(runtime[-1])

    def f32(values: np.ndarray) -> np.ndarray:
        return values.astype(np.float32).astype(np.float64)  # logged from float32 tensors

    def every(n: int, values: np.ndarray) -> np.ndarray:
        return np.where(step % n == n - 1, values, np.nan)

    loss = 4.2 * np.exp(-3 * progress) + 0.9 + rng.normal(0, 0.05, rows)
    val_loss = loss + 0.15 + rng.normal(0, 0.02, rows)
    return {
        "_step": step,
        "_runtime": runtime,
        "_timestamp": 1779602479.1856 + runtime,
        "train/loss": f32(loss),
        "train/lr": 3e-4 * 0.5 * (1 + np.cos(np.pi * progress)) + 1e-6,
        "train/grad_norm": f32(rng.lognormal(-0.5, 0.4, rows)),
        "train/tokens_per_s": rng.normal(41_000, 900, rows),
        "train/step_time": step_time,
        "epoch": step // 2000,
        "train/accuracy": np.where(rng.random(rows) < 0.98, f32(1 - loss / 6 + rng.normal(0, 0.01, rows)), np.nan),
        "gpu/mem_gb": np.where(rng.random(rows) < 0.95, f32(rng.normal(31.5, 0.3, rows)), np.nan),
        "val/loss": every(10, f32(val_loss)),
        "val/accuracy": every(10, f32(1 - val_loss / 6)),
        "val/perplexity": every(10, np.exp(val_loss)),
        "eval/bleu": every(100, rng.uniform(0.1, 0.4, rows)),
    }


def _write_history_dump(path: Path, target_bytes: int) -> None:
    rng = np.random.default_rng(SEED)
    columns = _history_columns(rng)
    chunk_rows, total_steps = 10_000, 300_000
    clock = [19.1196642]
    start = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        while handle.tell() < target_bytes:
            frame = pd.DataFrame(_history_chunk(rng, start, chunk_rows, total_steps, clock))[columns]
            frame.to_csv(handle, index=False, header=start == 0, lineterminator="\n")
            start += chunk_rows


def _cached(name: str, megabytes: int, write) -> Path:
    path = OUT / f"{name}-{megabytes}MB.csv"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        write(partial, megabytes * 1_000_000)
        partial.rename(path)
    return path


def runs_table(megabytes: int = 50) -> Path:
    """A runs-table export of about ``megabytes`` MB (as many runs as that takes), written on first use."""
    return _cached("wandb-runs-table", megabytes, _write_runs_table)


def history_dump(megabytes: int = 50) -> Path:
    """A ``run.history()`` CSV dump of about ``megabytes`` MB (10,000-step chunks), written on first use."""
    return _cached("wandb-run-history", megabytes, _write_history_dump)


def check(history_megabytes: int = 50, runs_table_megabytes: int = 50) -> list[str]:
    """Write both files, then check that each is told by its content (a link to it under a name that says nothing is
    detected alike) and ingested without a rejection; one line per file. The ingest of a large runs table is slow
    (see :mod:`bench.csv_ingest`): give a smaller ``runs_table_megabytes`` for a quick check."""
    from sprintboard.ingest.detect import detect_file
    from sprintboard.ingest.driver import ingest_paths

    lines = []
    for path, expected in ((runs_table(runs_table_megabytes), "wandb-runs-csv"),
                           (history_dump(history_megabytes), "wandb-history-csv")):
        with tempfile.TemporaryDirectory() as scratch:
            anonymous = Path(scratch) / "export.dat"
            anonymous.symlink_to(path)
            formats = {detect_file(path).format, detect_file(anonymous).format}
            assert formats == {expected}, formats
            report = ingest_paths(Path(scratch) / "check.duckdb", [path])
        assert not report.rejected, report.rejected[0].error
        totals = report.totals()
        warnings = sorted({w for outcome in report.outcomes for w in outcome.warnings})
        lines.append(f"{path.name}: {path.stat().st_size:,} bytes, detected as {expected}, {totals.runs:,} runs, "
                     f"{totals.history_rows:,} history rows, warnings: {warnings or 'none'}")
    return lines


if __name__ == "__main__":
    sizes = [int(argument) for argument in sys.argv[1:3]]
    print("\n".join(check(*sizes)))
