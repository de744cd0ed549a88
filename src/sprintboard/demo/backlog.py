"""The demo team's backlog over its four sprints, written as a Sprintboard backlog file.

Each item moves through the lanes ML teams use (to do, test hypothesis, code review hypothesis, update model, code
review update model, done) on working days, and the sprints hold what a burndown must handle: carry-over (INC-107),
scope added mid-sprint (INC-206), a re-estimate (INC-205), an item removed from the sprint (INC-207), a reopened bug
(INC-306), and a hypothesis whose time-box ran out with no outcome (INC-404).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml

from sprintboard.demo.plan import SPRINTS, SPRINTS_BY_ID, TEAM

TO_DO = "To Do"
DONE = "Done"
LANES = {
    "hypothesis": ["Test Hypothesis", "Code Review Hypothesis", "Update Model", "Code Review Update Model", DONE],
    "story": ["Update Model", "Code Review Update Model", DONE],
    "spike": ["Test Hypothesis", DONE],
    "task": ["Update Model", DONE],
    "bug": ["Update Model", DONE],
}


@dataclass(frozen=True)
class DemoItem:
    """``start``/``done`` are working-day indexes in the item's sprint; ``done=None`` leaves it unfinished at
    ``stuck_in``. ``added`` is the day it joined a running sprint (``None``: committed at the start)."""

    item_id: str
    title: str
    item_type: str
    sprint_id: str | None
    assignee: str
    start: int
    done: int | None
    points: float | None = None
    timebox_hours: float | None = None
    added: int | None = None
    stuck_in: str | None = None
    hypothesis: dict[str, Any] | None = None
    labels: tuple[str, ...] = field(default_factory=tuple)


ITEMS = (
    DemoItem("INC-101", "Evaluation pipeline: fixed split, metrics, W&B logging", "story", "S1", "Jonas Weber",
             0, 4, points=5),
    DemoItem("INC-102", "Load and clean UCI Adult; document the columns", "task", "S1", "Mei Lin", 0, 1, points=2),
    DemoItem("INC-103", "Baseline logistic regression on one-hot features", "story", "S1", "Amara Okafor",
             2, 6, points=3),
    DemoItem("INC-104", "Logistic regression reaches validation AUC 0.88", "hypothesis", "S1", "Amara Okafor",
             3, 5, points=3, timebox_hours=24,
             hypothesis={"statement": "We believe a logistic regression on one-hot features reaches a validation "
                                      "AUC of at least 0.88, averaged over three seeds.",
                         "criteria": "val/auc >= 0.88", "aggregation": "mean"}),
    DemoItem("INC-105", "Model card template", "story", "S1", "Priya Raman", 5, 8, points=2),
    DemoItem("INC-106", "Duplicate rows leak between train and validation", "bug", "S1", "Mei Lin", 6, 7,
             points=1),
    # Not finished in S1: carried over to S2, where it is done.
    DemoItem("INC-107", "Fairness slice report by sex, race and age band", "story", "S1", "Priya Raman",
             7, None, points=5, stuck_in="Update Model", labels=("fairness",)),
    DemoItem("INC-201", "Gradient boosting training job", "story", "S2", "Jonas Weber", 0, 4, points=5),
    DemoItem("INC-203", "Gradient boosting beats the baseline by 0.02 AUC", "hypothesis", "S2", "Jonas Weber",
             3, 6, points=3, timebox_hours=32,
             hypothesis={"statement": "We believe histogram gradient boosting beats the Sprint 1 logistic "
                                      "baseline by at least 0.02 validation AUC (mean over seeds).",
                         "criteria": "val/auc >= baseline + 0.02", "aggregation": "mean",
                         "baseline": {"run": "s1-logreg-s0"}}),
    DemoItem("INC-204", "A small neural network reaches AUC 0.93", "hypothesis", "S2", "Tomás Ruiz",
             2, 5, points=3, timebox_hours=16,
             hypothesis={"statement": "We believe a one-hidden-layer network reaches a validation AUC of 0.93.",
                         "criteria": "val/auc >= 0.93", "aggregation": "best"}),
    DemoItem("INC-205", "Seed sweep tooling", "task", "S2", "Mei Lin", 1, 3, points=2),
    DemoItem("INC-206", "Review dashboard for the team", "story", "S2", "Priya Raman", 4, 8, points=3, added=3),
    DemoItem("INC-207", "Hyperparameter search service", "story", "S2", "Tomás Ruiz", 0, None, points=5,
             stuck_in=TO_DO),
    DemoItem("INC-301", "Re-weighting option in the training job", "story", "S3", "Jonas Weber", 0, 3, points=3,
             labels=("fairness",)),
    DemoItem("INC-303", "Re-weighting closes the recall gap between women and men", "hypothesis", "S3",
             "Amara Okafor", 2, 6, points=5, timebox_hours=40, labels=("fairness",),
             hypothesis={"statement": "We believe up-weighting women's positive examples brings the recall gap "
                                      "between women and men to 0.04 or less while AUC stays at 0.92 or more.",
                         "criteria": "fairness/sex/recall_gap <= 0.04 AND val/auc >= 0.92",
                         "aggregation": "mean"}),
    DemoItem("INC-305", "Spike: drop relationship and marital-status features", "spike", "S3", "Mei Lin",
             3, 5, timebox_hours=24, labels=("fairness",)),
    DemoItem("INC-306", "Group report crashes on an empty group", "bug", "S3", "Priya Raman", 1, 2, points=1),
    DemoItem("INC-307", "Bias check in the sprint review", "story", "S3", "Priya Raman", 5, 9, points=3,
             labels=("fairness",)),
    DemoItem("INC-308", "Write up the refuted neural-network hypothesis", "task", "S3", "Tomás Ruiz", 0, 1,
             points=1),
    DemoItem("INC-401", "Tune boosting for the release candidate", "story", "S4", "Jonas Weber", 0, 5, points=5),
    DemoItem("INC-403", "Slower learning with more trees improves AUC by 0.003", "hypothesis", "S4",
             "Jonas Weber", 2, 6, points=3, timebox_hours=40,
             hypothesis={"statement": "We believe a learning rate of 0.05 with 300 trees improves validation AUC "
                                      "by at least 0.003 over the Sprint 2 model.",
                         "criteria": "val/auc >= baseline + 0.003", "aggregation": "mean",
                         "baseline": {"run": "s2-hgb-s0"}}),
    DemoItem("INC-404", "Isotonic calibration cuts the Brier score by 5%", "hypothesis", "S4", "Tomás Ruiz",
             3, None, points=3, timebox_hours=16, stuck_in="Test Hypothesis",
             hypothesis={"statement": "We believe isotonic calibration lowers the validation Brier score by 5% "
                                      "without changing AUC.",
                         "criteria": "val/brier <= baseline * 0.95", "aggregation": "mean",
                         "baseline": {"run": "s2-hgb-s0"}}),
    DemoItem("INC-405", "Release checklist and model card", "story", "S4", "Priya Raman", 4, 8, points=3),
    DemoItem("INC-406", "Pin the data snapshot and git commit in every run", "task", "S4", "Mei Lin", 1, 3,
             points=2),
    DemoItem("INC-407", "Spike: why did the tuning run crash?", "spike", "S4", "Mei Lin", 6, 7, timebox_hours=8),
    DemoItem("INC-408", "A per-group threshold closes the recall gap", "hypothesis", "S4", "Amara Okafor", 8, None,
             points=3, timebox_hours=16, labels=("fairness",),
             hypothesis={"statement": "We believe a decision threshold per sex brings the recall gap between women "
                                      "and men to 0.03 or less, losing at most 0.005 validation AUC.",
                         "criteria": "fairness/sex/recall_gap <= 0.03 AND val/auc >= baseline - 0.005",
                         "aggregation": "mean", "baseline": {"run": "s4-hgb-tuned-s0"}}),
)


def _event(item_id: str, at, field_name: str, before, after, author: str) -> dict[str, Any]:
    return {"item": item_id, "at": at.isoformat(timespec="minutes"), "field": field_name,
            "from": before, "to": after, "author": author}


def _walk(item: DemoItem, sprint_id: str, start: int, done: int | None, stuck_in: str | None,
          status: str) -> tuple[list[dict[str, Any]], str]:
    """Status events moving ``item`` from ``status`` along its lanes, evenly over ``start``..``done``."""
    sprint = SPRINTS_BY_ID[sprint_id]
    lanes = LANES[item.item_type]
    if done is None:
        lanes = lanes[: lanes.index(stuck_in) + 1] if stuck_in in lanes else []
    events = []
    last_day = done if done is not None else start
    for position, lane in enumerate(lanes):
        if lane == status:
            continue
        fraction = position / max(len(lanes) - 1, 1)
        day = start + round(fraction * (last_day - start))
        hour = 9.5 + 6 * fraction if lane != DONE else 16.0
        events.append(_event(item.item_id, sprint.moment(day, hour), "status", status, lane, item.assignee))
        status = lane
    return events, status


def build_backlog() -> dict[str, Any]:
    """The demo backlog as a document in Sprintboard's backlog format."""
    events: list[dict[str, Any]] = []
    items = []
    for item in ITEMS:
        sprint = SPRINTS_BY_ID[item.sprint_id]
        # Committed items were planned the Thursday before the sprint; added ones appear on the day they joined.
        if item.added is None:
            created = datetime.combine(sprint.start - timedelta(days=4), time(14))
        else:
            created = sprint.moment(item.added, 10)
        events.append(_event(item.item_id, created, "created", None, TO_DO, item.assignee))
        events.append(_event(item.item_id, created, "sprint", None, item.sprint_id, item.assignee))
        flow, status = _walk(item, item.sprint_id, item.start, item.done, item.stuck_in, TO_DO)
        events += flow
        final_sprint: str | None = item.sprint_id
        points = item.points
        if item.item_id == "INC-107":  # carried over into S2 and finished there
            # Moved when Sprint 1 was closed, so it is part of Sprint 2's committed scope.
            events.append(_event(item.item_id, sprint.moment(9, 17), "sprint", "S1", "S2", "Amara Okafor"))
            more, status = _walk(item, "S2", 0, 2, None, status)
            events += more
            final_sprint = "S2"
        if item.item_id == "INC-205":  # re-estimated on its second day
            events.append(_event(item.item_id, sprint.moment(2, 11), "points", "2", "3", item.assignee))
            points = 3
        if item.item_id == "INC-207":  # taken out of the sprint on day 6
            events.append(_event(item.item_id, sprint.moment(6, 15), "sprint", "S2", None, "Amara Okafor"))
            final_sprint = None
        if item.item_id == "INC-306":  # reopened two days after it was done, done again the next day
            events.append(_event(item.item_id, sprint.moment(4, 10), "status", DONE, "Update Model",
                                 "Amara Okafor"))
            events.append(_event(item.item_id, sprint.moment(5, 15), "status", "Update Model", DONE,
                                 item.assignee))
        resolved = max((e["at"] for e in events if e["item"] == item.item_id and e["field"] == "status"
                        and e["to"] == DONE), default=None) if status == DONE else None
        entry: dict[str, Any] = {"id": item.item_id, "title": item.title, "type": item.item_type,
                                 "status": status, "sprint": final_sprint, "assignee": item.assignee,
                                 "created": created.isoformat(timespec="minutes"), "resolved": resolved}
        if points is not None:
            entry["points"] = points
        if item.timebox_hours is not None:
            entry["timebox_hours"] = item.timebox_hours
        if item.labels:
            entry["labels"] = list(item.labels)
        if item.hypothesis:
            entry["hypothesis"] = item.hypothesis
        items.append(entry)
    sprints = [{"id": s.sprint_id, "name": s.name, "goal": s.goal, "start": s.start.isoformat(),
                "end": s.end.isoformat(), "state": "closed"} for s in SPRINTS]
    events.sort(key=lambda e: (e["at"], e["item"]))
    return {"team": TEAM, "sprints": sprints, "items": items, "events": events, "metrics": METRIC_GOALS,
            "fairness": FAIRNESS}


# The Sprint 1 logistic-regression baseline sets the baselines; the team aims for 2.5 AUC points above it.
METRIC_GOALS = [
    {"key": "val/auc", "better": "higher", "baseline": 0.900, "target": 0.925, "headline": True},
    {"key": "val/brier", "better": "lower", "baseline": 0.109, "target": 0.095},
]


# The demo model picks people for an outreach programme with room for a few of them: missing someone in need is the
# harm, so recall parity matters most (the Sprint 3 goal is the recall gap between women and men).
FAIRNESS = {"table": "val/predictions", "label": "label", "prediction": "prediction", "score": "score",
            "attributes": ["sex", "race"], "action": "assistive", "reach": "few", "band": [0.8, 1.25],
            "min_group_size": 30}


def write_backlog(path: Path) -> Path:
    header = ("# Demo backlog of a made-up team, written by `sprintboard demo` (src/sprintboard/demo/backlog.py).\n"
              "# Format: docs/backlog-format.md\n")
    path.write_text(header + yaml.safe_dump(build_backlog(), sort_keys=False, allow_unicode=True, width=110),
                    encoding="utf-8")
    return path
