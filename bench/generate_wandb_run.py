"""Write a large offline W&B run with the real ``wandb`` package: ``steps`` history rows of ``metrics`` metrics.

The run is cached under ``bench/out/`` by its size, so repeated benchmarks reuse it.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def _write(folder: Path, steps: int, metrics: int) -> None:
    os.environ.update(WANDB_MODE="offline", WANDB_SILENT="true")
    import wandb

    settings = wandb.Settings(x_disable_stats=True, disable_code=True, save_code=False, console="off",
                              disable_git=True)
    run = wandb.init(project="bench", id=f"bench{steps}x{metrics}", dir=str(folder), settings=settings,
                     config={"steps": steps, "metrics": metrics, "optimizer": {"name": "adam", "lr": 3e-4}})
    names = [f"train/metric_{index}" for index in range(metrics)]
    for step in range(steps):
        # Smooth curves with noise, like real training metrics (not constants a codec could shortcut).
        run.log({name: math.exp(-step / steps * (index + 1)) + 0.01 * math.sin(step * 0.7 + index)
                 for index, name in enumerate(names)}, step=step)
    run.finish()


def wandb_run(steps: int = 100_000, metrics: int = 10) -> Path:
    """The run folder of a ``steps`` x ``metrics`` offline run, written on first use."""
    folder = OUT / f"wandb-{steps}x{metrics}"
    existing = sorted(folder.glob("wandb/offline-run-*"))
    if existing and any(existing[-1].glob("run-*.wandb")):
        return existing[-1]
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, __file__, str(folder), str(steps), str(metrics)], check=True)
    return sorted(folder.glob("wandb/offline-run-*"))[-1]


if __name__ == "__main__":
    _write(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
