"""Hypothesis cards as pages and the CLI show them: each hypothesis with its linked runs and its verdict.

A run tests a hypothesis when it names it (a ``hyp:<id>`` tag or a ``hypothesis`` config key, stored as
``runs.hypothesis_ref``, matched against the hypothesis id or its item id) or when the hypothesis lists it in
``run_ids``. The baseline is ``baseline_value`` or the baseline run's summary. A hypothesis's time-box is over when
its item spent more than the time-box in progress without finishing (:mod:`sprintboard.analytics.timeboxes`), or,
for one without a time-box, when its sprint has ended. The newest recorded decision overrides the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from sprintboard.analytics.backlog_data import BoardSettings, events_frame, find_sprint, items_frame
from sprintboard.analytics.timeboxes import timebox_report
from sprintboard.analytics.verdicts import VERDICTS, Verdict, compute_verdict

DECISIONS = ("supported", "refuted", "inconclusive")


@dataclass
class HypothesisCard:
    hypothesis_id: str
    item_id: str | None
    statement: str
    owner: str | None
    sprint_id: str | None
    timebox_hours: float | None
    criteria: str | None
    aggregation: str
    baseline: str
    runs: pd.DataFrame  # run_id, name, state, url, created_at
    verdict: Verdict
    decided_by: str | None = None
    decided_at: datetime | None = None


def _hypotheses(con: duckdb.DuckDBPyConnection, sprint_id: str | None) -> pd.DataFrame:
    return con.execute(
        """SELECT h.*, i.assignee FROM hypotheses h LEFT JOIN work_items i ON i.item_id = h.item_id
           WHERE ? IS NULL OR h.sprint_id = ? ORDER BY h.sprint_id, h.hypothesis_id""",
        [sprint_id, sprint_id],
    ).df()


def _linked_runs(con: duckdb.DuckDBPyConnection, hypothesis: pd.Series) -> pd.DataFrame:
    return con.execute(
        """SELECT run_id, coalesce(name, run_id) AS name, state, url, created_at FROM runs
           WHERE hypothesis_ref IN (?, ?) OR list_contains(?, run_id) ORDER BY run_id""",
        [hypothesis["hypothesis_id"], hypothesis["item_id"] or hypothesis["hypothesis_id"],
         list(hypothesis["run_ids"])],
    ).df()


def _summaries(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> pd.DataFrame:
    return con.execute(
        "SELECT run_id, key, value_num FROM run_summary WHERE list_contains(?, run_id) AND value_num IS NOT NULL",
        [run_ids],
    ).df()


def _latest_decisions(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    rows = con.execute(
        """SELECT hypothesis_id, decision, note, decided_by, decided_at FROM hypothesis_decisions
           QUALIFY row_number() OVER (PARTITION BY hypothesis_id ORDER BY decided_at DESC) = 1"""
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def sprint_hypotheses(con: duckdb.DuckDBPyConnection, sprint_id: str | None, as_of: datetime,
                      settings: BoardSettings | None = None) -> list[HypothesisCard]:
    """Every hypothesis of ``sprint_id`` (all sprints when ``None``) with its runs and verdict."""
    settings = settings or BoardSettings()
    hypotheses = _hypotheses(con, sprint_id)
    boxes = timebox_report(items_frame(con), events_frame(con), as_of, settings.calendar, done=settings.done)
    ran_out = set(boxes.loc[boxes["status"] == "ran out, no outcome", "item_id"])
    decisions = _latest_decisions(con)
    cards = []
    for _, hypothesis in hypotheses.iterrows():
        runs = _linked_runs(con, hypothesis)
        baseline_run = hypothesis["baseline_run_id"] if pd.notna(hypothesis["baseline_run_id"]) else None
        baseline_value = float(hypothesis["baseline_value"]) if pd.notna(hypothesis["baseline_value"]) else None
        baseline_summary = None
        if baseline_run:
            frame = _summaries(con, [baseline_run])
            baseline_summary = dict(zip(frame["key"], frame["value_num"], strict=True))
        decision = decisions.get(hypothesis["hypothesis_id"])
        verdict = compute_verdict(
            hypothesis["hypothesis_id"], hypothesis["criteria"], hypothesis["aggregation"], runs,
            _summaries(con, list(runs["run_id"])), baseline_value, baseline_summary,
            timebox_over=_timebox_over(con, hypothesis, ran_out, as_of),
            decision=decision[0] if decision else None, decision_note=decision[1] if decision else None)
        cards.append(HypothesisCard(
            hypothesis_id=hypothesis["hypothesis_id"], item_id=hypothesis["item_id"],
            statement=hypothesis["statement"], owner=hypothesis["owner"] or hypothesis["assignee"],
            sprint_id=hypothesis["sprint_id"],
            timebox_hours=None if pd.isna(hypothesis["timebox_hours"]) else float(hypothesis["timebox_hours"]),
            criteria=hypothesis["criteria"], aggregation=hypothesis["aggregation"],
            baseline=(f"run {baseline_run}" if baseline_run else
                      f"{baseline_value:g}" if baseline_value is not None else "none"),
            runs=runs, verdict=verdict,
            decided_by=decision[2] if decision else None, decided_at=decision[3] if decision else None))
    return cards


def _timebox_over(con: duckdb.DuckDBPyConnection, hypothesis: pd.Series, ran_out: set[str], as_of: datetime) -> bool:
    item = hypothesis["item_id"] or hypothesis["hypothesis_id"]
    if pd.notna(hypothesis["timebox_hours"]) or item in ran_out:
        return item in ran_out
    sprint = find_sprint(con, hypothesis["sprint_id"]) if hypothesis["sprint_id"] else None
    return sprint is not None and sprint.ends <= as_of


def run_metric(con: duckdb.DuckDBPyConnection, run_ids: tuple[str, ...], metric: str) -> pd.Series:
    """``metric`` from the summary of each of ``run_ids`` (indexed by run id; runs without it left out)."""
    frame = con.execute(
        "SELECT run_id, value_num FROM run_summary WHERE list_contains(?, run_id) AND key = ?",
        [list(run_ids), metric],
    ).df()
    return frame.set_index("run_id")["value_num"]


def baseline_of(con: duckdb.DuckDBPyConnection, hypothesis_id: str, metric: str) -> float | None:
    """The hypothesis's baseline for ``metric``: its fixed value, else the baseline run's summary value."""
    row = con.execute(
        """SELECT coalesce(h.baseline_value, s.value_num) FROM hypotheses h
           LEFT JOIN run_summary s ON s.run_id = h.baseline_run_id AND s.key = ?
           WHERE h.hypothesis_id = ?""",
        [metric, hypothesis_id],
    ).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def hit_rate(cards: list[HypothesisCard]) -> pd.DataFrame:
    """Per sprint: how many hypotheses, and how many of each final verdict (``tested`` = decided either way)."""
    rows = [{"sprint_id": card.sprint_id, "verdict": card.verdict.final} for card in cards]
    frame = pd.DataFrame(rows, columns=["sprint_id", "verdict"])
    table = pd.crosstab(frame["sprint_id"], frame["verdict"]).reindex(columns=list(VERDICTS), fill_value=0)
    table.insert(0, "hypotheses", table.sum(axis=1))
    table.insert(1, "tested", table["supported"] + table["refuted"] + table["inconclusive"])
    return table.reset_index()


def record_decision(con: duckdb.DuckDBPyConnection, hypothesis_id: str, decision: str, note: str | None,
                    decided_by: str | None, at: datetime) -> None:
    """Store a person's final decision (the caller holds a write session). Raises ``ValueError`` for an unknown
    hypothesis or decision."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if not con.execute("SELECT 1 FROM hypotheses WHERE hypothesis_id = ?", [hypothesis_id]).fetchone():
        raise ValueError(f"there is no hypothesis {hypothesis_id!r}")
    con.execute("INSERT INTO hypothesis_decisions VALUES (?, ?, ?, ?, ?)",
                [hypothesis_id, at, decision, note, decided_by])
