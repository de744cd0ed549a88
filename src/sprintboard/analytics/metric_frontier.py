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


# Each finished run linked to a sprint with a finite value of summary $key: the candidates for a sprint's best.
_CANDIDATES_SQL = """
    SELECT rs.sprint_id, r.run_id, coalesce(r.name, r.run_id) AS run, r.created_at, s.value_num AS value
    FROM runs r JOIN run_sprints rs USING (run_id)
         JOIN run_summary s ON s.run_id = r.run_id AND s.key = $key
    WHERE r.state = 'finished' AND isfinite(s.value_num)
"""


_VALUES_SQL = f"""
    WITH candidates AS ({_CANDIDATES_SQL})
    SELECT sp.sprint_id, sp.name AS sprint, sp.start_date, c.run_id, c.run, c.created_at, c.value
    FROM sprints sp LEFT JOIN candidates c USING (sprint_id)
    ORDER BY sp.start_date NULLS LAST, sp.sprint_id, c.created_at, c.run_id
"""  # noqa: S608 - our text


def sprint_values(con: duckdb.DuckDBPyConnection, key: str) -> pd.DataFrame:
    """Every sprint (by start date) and each finished run linked to it with a finite value of summary ``key``:
    ``sprint_id, sprint, start_date, run_id, run, created_at, value`` (run columns null for a sprint without)."""
    return con.execute(_VALUES_SQL, {"key": key}).df()


_FRONTIER_SQL = f"""
    WITH ranked AS (
        SELECT *,
               -- One ascending score for both directions, so the best run is the first and the frontier a min().
               CASE WHEN $lower THEN value ELSE -value END AS score,
               count(*) OVER (PARTITION BY sprint_id) AS runs
        FROM ({_CANDIDATES_SQL})),
    best AS (
        SELECT * FROM ranked
        QUALIFY row_number() OVER (PARTITION BY sprint_id ORDER BY score, created_at, run_id) = 1),
    per_sprint AS (
        SELECT sp.sprint_id, sp.name AS sprint, sp.start_date, coalesce(b.runs, 0) AS runs, b.value AS best,
               b.run_id AS best_run_id, b.run AS best_run, b.score
        FROM sprints sp LEFT JOIN best b USING (sprint_id)),
    running AS (
        SELECT *,
               CASE WHEN $lower THEN 1 ELSE -1 END * min(score) OVER so_far AS frontier,
               last_value(best IGNORE NULLS) OVER before AS previous_best
        FROM per_sprint
        WINDOW so_far AS (ORDER BY start_date NULLS LAST, sprint_id ROWS UNBOUNDED PRECEDING),
               before AS (ORDER BY start_date NULLS LAST, sprint_id
                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))
    SELECT sprint_id, sprint, runs, best, best_run_id, best_run, frontier,
           best - previous_best AS delta_previous,
           frontier - lag(frontier) OVER (ORDER BY start_date NULLS LAST, sprint_id) AS frontier_gain,
           frontier - $baseline::DOUBLE AS delta_baseline
    FROM running
    ORDER BY start_date NULLS LAST, sprint_id
"""  # noqa: S608 - our text


def sprint_frontier(con: duckdb.DuckDBPyConnection, key: str, direction: str | None = None,
                    baseline: float | None = None) -> pd.DataFrame:
    """Per sprint, in start order: ``sprint_id, sprint, runs, best, best_run_id, best_run, frontier,
    delta_previous, frontier_gain, delta_baseline`` for summary ``key`` (see the module docstring); the direction
    from the name when not given. ``runs`` counts the sprint's finished runs with a finite value; the value columns
    are NaN where a sprint has none (and ``delta_baseline`` without a baseline)."""
    direction = direction or better_direction(key)
    if direction not in (HIGHER, LOWER):
        raise ValueError(f"direction must be {HIGHER!r} or {LOWER!r}, not {direction!r}")
    return con.execute(_FRONTIER_SQL, {"key": key, "lower": direction == LOWER, "baseline": baseline}).df()


def improvement(delta: float | None, direction: str) -> float | None:
    """A delta with its sign turned so that positive means better (for colouring), ``None`` stays ``None``."""
    if delta is None or np.isnan(delta):
        return None
    return delta if direction == HIGHER else -delta
