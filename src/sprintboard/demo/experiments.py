"""The demo team's experiment runs: real models trained on UCI Adult and logged with ``wandb`` in offline mode.

Runs carry what real teams record: config, per-step metrics, tags linking them to a sprint (``sprint:S2``) and a
hypothesis (``hyp:INC-203``), notes on some, a git commit on most (the Definition of Done's reproducibility check
needs the exceptions), group-wise recall in the summary, and the validation predictions as a table for the bias
checks. One run crashes midway (exit code 1), as runs do.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sprintboard.demo.plan import PROJECT, SPRINTS_BY_ID

GIT_REMOTE = "https://git.example.org/outreach/income-model.git"
# Wall-clock seconds one step takes, per trainer, so that history timestamps look like real training.
_SECONDS_PER_STEP = {"logistic": 20.0, "boosting": 2.0, "mlp": 15.0}


@dataclass(frozen=True)
class PlannedRun:
    run_id: str
    sprint_id: str
    hypothesis: str | None
    trainer: str  # logistic | boosting | mlp
    params: dict[str, Any]
    seed: int
    day: int  # working day of the sprint the run started on
    group: str
    notes: str | None = None
    git_commit: str | None = None
    log_predictions: bool = False
    crash_after_step: int | None = None
    extra_tags: tuple[str, ...] = field(default_factory=tuple)


def _seeds(run_prefix: str, seeds: int, **kwargs) -> list[PlannedRun]:
    runs = []
    for seed in range(seeds):
        overrides = dict(kwargs)
        overrides["day"] = kwargs["day"] + seed // 2
        overrides["log_predictions"] = kwargs.get("log_predictions", False) and seed == 0
        runs.append(PlannedRun(f"{run_prefix}-s{seed}", seed=seed, **overrides))
    return runs


RUNS: tuple[PlannedRun, ...] = tuple(
    _seeds("s1-logreg", 3, sprint_id="S1", hypothesis="INC-104", trainer="logistic",
           params={"epochs": 25, "alpha": 1e-4}, day=3, group="logreg-baseline",
           notes="Baseline: SGD logistic regression, one-hot categoricals, standardised numerics.",
           git_commit="4f2a9c1e7d3b", log_predictions=True)
    + _seeds("s2-hgb", 3, sprint_id="S2", hypothesis="INC-203", trainer="boosting",
             params={"iterations": 150, "learning_rate": 0.1}, day=3, group="hgb",
             notes="HistGradientBoosting, 150 trees, 70% features per split.", git_commit="9b81d0c2aa47",
             log_predictions=True)
    + [PlannedRun("s2-mlp-s0", "S2", "INC-204", "mlp", {"epochs": 20, "hidden": 32}, 0, 2, "mlp",
                  notes="One hidden layer of 32 units, Adam.", git_commit="9b81d0c2aa47"),
       PlannedRun("s2-mlp-s1", "S2", "INC-204", "mlp", {"epochs": 20, "hidden": 32}, 1, 2, "mlp",
                  git_commit="9b81d0c2aa47"),
       # Started from a notebook with uncommitted changes: no git commit recorded.
       PlannedRun("s2-mlp-s2", "S2", "INC-204", "mlp", {"epochs": 20, "hidden": 64}, 2, 3, "mlp")]
    + _seeds("s3-hgb-reweight", 3, sprint_id="S3", hypothesis="INC-303", trainer="boosting",
             params={"iterations": 150, "learning_rate": 0.1, "female_positive_weight": 1.6}, day=3,
             group="hgb-reweight", notes="Women's positive examples weighted 1.6x.", git_commit="c03e55f19a20",
             log_predictions=True)
    + _seeds("s3-hgb-norel", 2, sprint_id="S3", hypothesis=None, trainer="boosting",
             params={"iterations": 150, "learning_rate": 0.1, "dropped": ["relationship", "marital-status"]},
             day=3, group="hgb-norel", git_commit="c03e55f19a20", extra_tags=("spike:INC-305",))
    + [PlannedRun("s4-hgb-tuned-s0", "S4", "INC-403", "boosting", {"iterations": 300, "learning_rate": 0.05}, 0,
                  2, "hgb-tuned", notes="Release candidate: 300 trees at learning rate 0.05.",
                  git_commit="e7d4402b6c18", log_predictions=True),
       PlannedRun("s4-hgb-tuned-s1", "S4", "INC-403", "boosting", {"iterations": 300, "learning_rate": 0.05}, 1,
                  3, "hgb-tuned", notes="Crashed: out of memory on the shared runner at step 120.",
                  git_commit="e7d4402b6c18", crash_after_step=120),
       PlannedRun("s4-hgb-tuned-s2", "S4", "INC-403", "boosting", {"iterations": 300, "learning_rate": 0.05}, 2,
                  4, "hgb-tuned", git_commit="e7d4402b6c18")]
)


def _training_steps(planned: PlannedRun, split):
    from sprintboard.demo import training

    params = dict(planned.params)
    dropped = tuple(params.pop("dropped", ()))
    if planned.trainer == "logistic":
        return training.train_logistic(split, planned.seed, dropped=dropped, **params)
    if planned.trainer == "boosting":
        return training.train_boosting(split, planned.seed, dropped=dropped, **params)
    return training.train_mlp(split, planned.seed, **params)


def log_run(planned: PlannedRun, adult_csv: Path, out_dir: Path) -> str:
    """Train one planned run and log it with wandb (offline) under ``out_dir``; returns the run id."""
    os.environ["WANDB_MODE"] = "offline"
    os.environ["WANDB_SILENT"] = "true"
    import wandb

    from sprintboard.demo import training

    split = training.load_adult(adult_csv)
    # wandb stamps a run's start with the real clock, but takes the step timestamps it is given: the steps are
    # dated on the sprint day the run belongs to, and the sprint tag links the run to its sprint.
    sprint = SPRINTS_BY_ID[planned.sprint_id]
    start = sprint.epoch(planned.day, 10 + planned.seed)
    tags = [f"sprint:{planned.sprint_id}", *planned.extra_tags]
    if planned.hypothesis:
        tags.append(f"hyp:{planned.hypothesis}")
    git = ({"git_commit": planned.git_commit, "git_remote_url": GIT_REMOTE} if planned.git_commit
           else {"disable_git": True})
    settings = wandb.Settings(x_disable_stats=True, disable_code=True, save_code=False, console="off", **git)
    config = {"model": planned.trainer, "seed": planned.seed, "data": {"name": "uci-adult", "split": "75/25"},
              **planned.params}
    run = wandb.init(project=PROJECT, id=planned.run_id, name=planned.run_id, dir=str(out_dir), group=planned.group,
                     job_type="train", tags=tags, notes=planned.notes, config=config, settings=settings)
    seconds_per_step = _SECONDS_PER_STEP[planned.trainer]
    steps = _training_steps(planned, split)
    step = 0
    while True:
        try:
            metrics = next(steps)
        except StopIteration as finished:
            scores = finished.value
            break
        run.log({**metrics, "_timestamp": start + seconds_per_step * (step + 1)}, step=step)
        if planned.crash_after_step is not None and step >= planned.crash_after_step:
            run.finish(exit_code=1)
            return planned.run_id
        step += 1
    _log_final(run, split, scores, planned)
    run.finish()
    return planned.run_id


def _log_final(run, split, scores, planned: PlannedRun) -> None:
    import wandb

    from sprintboard.demo import training

    recall_by_sex = training.group_recall(split, scores, "sex")
    for group, value in recall_by_sex.items():
        run.summary[f"fairness/sex/{group}/recall"] = value
    run.summary["fairness/sex/recall_gap"] = max(recall_by_sex.values()) - min(recall_by_sex.values())
    if planned.log_predictions:
        predicted = (scores >= training.THRESHOLD).astype(int)
        rows = [[int(label), int(pred), round(float(score), 5), sex, race, band]
                for label, pred, score, sex, race, band in zip(
                    split.y_valid, predicted, scores, split.groups["sex"], split.groups["race"],
                    split.groups["age_band"], strict=True)]
        table = wandb.Table(columns=["label", "prediction", "score", "sex", "race", "age_band"], data=rows)
        run.log({"val/predictions": table})


def _single_threaded_worker() -> None:
    """Pool initializer: one native thread per worker process.

    The workers already use every core; OpenMP threads inside each (gradient boosting) would only contend and
    spin, which made boosting ten times slower. Set before sklearn is imported, so the libraries start that way.
    """
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"


def _log_run_job(job: tuple[PlannedRun, Path, Path]) -> str:
    return log_run(*job)


def log_all_runs(adult_csv: Path, out_dir: Path, progress=None, workers: int = 2) -> list[str]:
    """Train and log every planned run, ``workers`` at a time (separate processes: wandb and sklearn are heavy)."""
    import multiprocessing

    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(planned, adult_csv, out_dir) for planned in RUNS]
    done: list[str] = []
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes=workers, initializer=_single_threaded_worker) as pool:
        for run_id in pool.imap_unordered(_log_run_job, jobs):
            done.append(run_id)
            if progress:
                progress(len(done), len(jobs), run_id)
    return done
