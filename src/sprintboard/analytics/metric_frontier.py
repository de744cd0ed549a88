"""The sprint view of a model metric: the best value each sprint reached, and the best so far.

Definitions, for one summary metric (a run's final ``run_summary`` value) and a direction of "better":

* a sprint's **best run** is the finished run linked to it (see the ``run_sprints`` view) with the best value; runs
  that failed, crashed or are still running do not count (their summary is whatever they last logged); a tie goes
  to the run that started first;
* the **frontier** after a sprint is the best value of that sprint and every earlier one -- a step line that never
  gets worse. A sprint without a finished run carries the frontier over unchanged;
* **delta vs previous sprint** is the sprint's best minus the previous sprint's best (with a run); **frontier
  gain** is how much the sprint moved the frontier; **delta vs baseline** is the frontier minus the baseline.
  Deltas are signed values of the metric; whether a delta is good follows the direction.

The direction is known from the metric's name (losses, errors, perplexity, rates of false results: lower is
better; anything else higher) and can be set by the caller.
"""

from __future__ import annotations

import re

import duckdb
import numpy as np
import pandas as pd

HIGHER, LOWER = "higher", "lower"
_LOWER_IS_BETTER = re.compile(
    r"(loss|error|err\b|mse|mae|rmse|mape|perplexity|ppl|wer|cer|fpr|fnr|fdr|latency|brier|logloss|regret)",
    re.IGNORECASE,
)


def better_direction(key: str) -> str:
    """``lower`` when the metric's name says smaller is better (``val/loss``, ``test_rmse``...), else ``higher``."""
    return LOWER if _LOWER_IS_BETTER.search(key) else HIGHER


def is_better(value: float, other: float, direction: str) -> bool:
    return value < other if direction == LOWER else value > other


def sprint_values(con: duckdb.DuckDBPyConnection, key: str) -> pd.DataFrame:
    """Every sprint (by start date) and each finished run linked to it with a finite value of summary ``key``:
    ``sprint_id, sprint, start_date, run_id, run, created_at, value`` (run columns null for a sprint without)."""
    return con.execute(
        """
        WITH values AS (
            SELECT rs.sprint_id, r.run_id, coalesce(r.name, r.run_id) AS run, r.created_at, s.value_num AS value
            FROM runs r JOIN run_sprints rs USING (run_id)
                 JOIN run_summary s ON s.run_id = r.run_id AND s.key = ?
            WHERE r.state = 'finished' AND isfinite(s.value_num))
        SELECT sp.sprint_id, sp.name AS sprint, sp.start_date, v.run_id, v.run, v.created_at, v.value
        FROM sprints sp LEFT JOIN values v USING (sprint_id)
        ORDER BY sp.start_date NULLS LAST, sp.sprint_id, v.created_at, v.run_id
        """,
        [key],
    ).df()


def frontier(values: pd.DataFrame, direction: str, baseline: float | None = None) -> pd.DataFrame:
    """Per sprint, in order: ``sprint_id, sprint, runs, best, best_run_id, best_run, frontier, delta_previous,
    frontier_gain, delta_baseline`` from :func:`sprint_values` rows (see the module docstring)."""
    if direction not in (HIGHER, LOWER):
        raise ValueError(f"direction must be {HIGHER!r} or {LOWER!r}, not {direction!r}")
    rows = []
    best_so_far = previous_best = None
    for (sprint_id, sprint), group in values.groupby(["sprint_id", "sprint"], sort=False, dropna=False):
        runs = group.dropna(subset=["value"])
        best = best_run_id = best_run = None
        for run in runs.itertuples():  # in start order, so a tie keeps the earlier run
            if best is None or is_better(run.value, best, direction):
                best, best_run_id, best_run = float(run.value), run.run_id, run.run
        before = best_so_far
        if best is not None and (best_so_far is None or is_better(best, best_so_far, direction)):
            best_so_far = best
        rows.append({
            "sprint_id": sprint_id, "sprint": sprint, "runs": len(runs), "best": best, "best_run_id": best_run_id,
            "best_run": best_run, "frontier": best_so_far,
            "delta_previous": None if best is None or previous_best is None else best - previous_best,
            "frontier_gain": None if best_so_far is None or before is None else best_so_far - before,
            "delta_baseline": None if best_so_far is None or baseline is None else best_so_far - baseline,
        })
        if best is not None:
            previous_best = best
    frame = pd.DataFrame(rows, columns=["sprint_id", "sprint", "runs", "best", "best_run_id", "best_run", "frontier",
                                        "delta_previous", "frontier_gain", "delta_baseline"])
    for column in ("best", "frontier", "delta_previous", "frontier_gain", "delta_baseline"):
        frame[column] = frame[column].astype(float)
    return frame


def sprint_frontier(con: duckdb.DuckDBPyConnection, key: str, direction: str | None = None,
                    baseline: float | None = None) -> pd.DataFrame:
    """:func:`frontier` of summary ``key`` over the store's sprints; the direction from the name when not given."""
    return frontier(sprint_values(con, key), direction or better_direction(key), baseline)


def improvement(delta: float | None, direction: str) -> float | None:
    """A delta with its sign turned so that positive means better (for colouring), ``None`` stays ``None``."""
    if delta is None or np.isnan(delta):
        return None
    return delta if direction == HIGHER else -delta
