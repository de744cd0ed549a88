"""A project's backlog file (Sprintboard's YAML backlog format, ``docs/backlog-format.md``) to match its runs.

The sprints are the store's own (:mod:`bench.generate_metric_store` writes 20 two-week sprints ``SB-01``...), so the
runs that name a sprint, or started inside one, belong to a sprint of the backlog. Per sprint:

* hypothesis ``H-<nn>`` (``H-01`` for ``SB-01``): the one the sprint's runs with a hypothesis reference test
  (tag ``hyp:H-01``). Criteria ``val/auc >= baseline + 0.01`` with a baseline rising by 0.008 a sprint from 0.80,
  best run counts, so early sprints' hypotheses are supported and late ones are a close call;
* ``items_per_sprint - 1`` other items ``VIS-<n>``: stories, tasks and bugs with points, spikes and further
  hypotheses with time-boxes (those hypotheses name no runs: inconclusive, as untested ones are);
* events: created, put in the sprint, and moved through the demo board's lanes (:data:`LANES`) on working days;
  about 15 % of items are added after the sprint started, 12 % are not finished and carried over into the next sprint
  (finished there), 5 % are re-estimated, 3 % taken out of the sprint back to the backlog. In the active sprint the
  items due after its first week are still in progress.

The file also holds the team's metric goals (``val/auc`` the headline) and a fairness policy for the predictions
tables (:mod:`bench.generate_predictions`). Seeded: the same sprints give the same file.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import yaml

from sprintboard.demo.backlog import DONE, LANES, TO_DO

SEED = 20240108
PEOPLE = ("ana", "ben", "chen", "dara", "eli")  # the users of generate_metric_store's runs
_TYPES = ("story", "task", "bug", "spike", "hypothesis")
_TYPE_WEIGHTS = (45, 20, 12, 10, 13)
_VERBS = ("Add", "Speed up", "Clean up", "Evaluate", "Document", "Refactor", "Cache", "Fix", "Monitor", "Compare")
_OBJECTS = ("the data loader", "mixed-precision training", "the evaluation split", "the augmentation pipeline",
            "checkpoint averaging", "the label-noise filter", "the LR warm-up", "per-class metrics",
            "the sweep config", "the model card", "EMA of weights", "the calibration step")
METRIC_GOALS = [
    {"key": "val/auc", "better": "higher", "baseline": 0.80, "target": 0.95, "headline": True},
    {"key": "val/loss", "better": "lower"},
    {"key": "train/loss", "better": "lower"},
]
FAIRNESS = {"table": "val/predictions", "label": "label", "prediction": "prediction", "score": "score",
            "threshold": 0.5, "attributes": ["sex", "age_band"], "action": "assistive", "reach": "few",
            "band": [0.8, 1.25], "min_group_size": 30}


def working_day(start: date, index: int) -> date:
    """The ``index``-th working day (Monday to Friday) from ``start`` (0: ``start`` itself, or the Monday after)."""
    day = start
    while day.weekday() >= 5:
        day += timedelta(days=1)
    for _ in range(index):
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
    return day


def _at(start: date, day: int, hour: float) -> datetime:
    return datetime.combine(working_day(start, day), time()) + timedelta(hours=hour)


def _event(item: str, at: datetime, field: str, before: Any, after: Any, author: str) -> dict[str, Any]:
    return {"item": item, "at": at.isoformat(timespec="minutes"), "field": field, "from": before, "to": after,
            "author": author}


def _walk(item: str, lanes: list[str], sprint_start: date, first: int, last: int, status: str,
          author: str) -> tuple[list[dict[str, Any]], str]:
    """Status events moving ``item`` from ``status`` through ``lanes``, evenly over working days first..last."""
    events = []
    for position, lane in enumerate(lanes):
        fraction = (position + 1) / len(lanes)
        day = first + round(fraction * (last - first))
        hour = 16.0 if lane == DONE else 9.5 + 6 * fraction
        events.append(_event(item, _at(sprint_start, day, hour), "status", status, lane, author))
        status = lane
    return events, status


class _Backlog:
    def __init__(self, sprints: list[dict[str, Any]], items_per_sprint: int) -> None:
        self.sprints = sprints
        self.items_per_sprint = items_per_sprint
        self.rng = random.Random(SEED)
        self.items: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.counter = 0

    def build(self) -> None:
        for index, sprint in enumerate(self.sprints):
            self._hypothesis_under_test(index, sprint)
            for _ in range(self.items_per_sprint - 1):
                self._item(index, sprint)

    def _hypothesis_under_test(self, index: int, sprint: dict[str, Any]) -> None:
        item_id = f"H-{index + 1:02d}"
        baseline = round(0.80 + 0.008 * index, 3)
        card = {"statement": f"We believe iteration {index + 1} of the training recipe reaches a validation AUC "
                             f"0.01 above {baseline:.3f}.",
                "criteria": "val/auc >= baseline + 0.01", "aggregation": "best", "baseline": {"value": baseline}}
        self._add(item_id, f"Iteration {index + 1} lifts val/auc by 0.01", "hypothesis", index, sprint,
                  assignee=PEOPLE[index % len(PEOPLE)], timebox=40.0, hypothesis=card)

    def _item(self, index: int, sprint: dict[str, Any]) -> None:
        self.counter += 1
        kind = self.rng.choices(_TYPES, _TYPE_WEIGHTS)[0]
        title = f"{self.rng.choice(_VERBS)} {self.rng.choice(_OBJECTS)}"
        hypothesis = None
        if kind == "hypothesis":
            threshold = round(0.6 + 0.3 * self.rng.random(), 2)
            hypothesis = {"statement": f"We believe that we can {title.lower()} and keep val/f1 at {threshold} or "
                                       "more.", "criteria": f"val/f1 >= {threshold}", "aggregation": "mean"}
        self._add(f"VIS-{self.counter}", title, kind, index, sprint, assignee=self.rng.choice(PEOPLE),
                  points=None if kind in ("spike", "hypothesis") else float(self.rng.choice((1, 2, 3, 5, 8))),
                  timebox=float(self.rng.choice((8, 16, 24))) if kind in ("spike", "hypothesis") else None,
                  hypothesis=hypothesis)

    def _add(self, item_id: str, title: str, kind: str, index: int, sprint: dict[str, Any], assignee: str,
             points: float | None = None, timebox: float | None = None,
             hypothesis: dict[str, Any] | None = None) -> None:
        rng, start = self.rng, sprint["start"]
        active = sprint["state"] == "active"
        added = rng.randint(1, 5) if rng.random() < 0.15 else None
        created = (_at(start, added, 10) if added is not None
                   else datetime.combine(start - timedelta(days=4), time(14)))
        events = [_event(item_id, created, "created", None, TO_DO, assignee),
                  _event(item_id, created, "sprint", None, sprint["id"], assignee)]
        first = added if added is not None else rng.randint(0, 5)
        last = min(9, first + rng.randint(1, 4))
        lanes = LANES[kind]
        status, sprint_now = TO_DO, sprint["id"]
        has_next = index + 1 < len(self.sprints)
        if (active and last > 5) or (not active and has_next and rng.random() < 0.12):
            stuck = lanes[: rng.randint(0, len(lanes) - 1)]  # not finished by the sprint's end
            more, status = _walk(item_id, stuck, start, first, last, status, assignee)
            events += more
            if not active:  # carried over into the next sprint and finished there
                following = self.sprints[index + 1]
                events.append(_event(item_id, _at(start, 9, 17), "sprint", sprint["id"], following["id"], "ana"))
                more, status = _walk(item_id, lanes[len(stuck):], following["start"], 0, rng.randint(1, 4), status,
                                     assignee)
                events += more
                sprint_now = following["id"]
        elif rng.random() < 0.03:  # taken out of the sprint, back to the backlog
            events.append(_event(item_id, _at(start, min(last, 6), 15), "sprint", sprint["id"], None, "ana"))
            sprint_now = None
        else:
            more, status = _walk(item_id, lanes, start, first, last, status, assignee)
            events += more
        if points is not None and rng.random() < 0.05:  # re-estimated the day after work started
            new_points = float(rng.choice((2, 3, 5, 8, 13)))
            events.append(_event(item_id, _at(start, first + 1, 11), "points", f"{points:g}", f"{new_points:g}",
                                 assignee))
            points = new_points
        resolved = max(e["at"] for e in events if e["field"] == "status" and e["to"] == DONE) if status == DONE \
            else None
        entry: dict[str, Any] = {"id": item_id, "title": title, "type": kind, "status": status, "sprint": sprint_now,
                                 "assignee": assignee, "created": created.isoformat(timespec="minutes"),
                                 "resolved": resolved}
        if points is not None:
            entry["points"] = points
        if timebox is not None:
            entry["timebox_hours"] = timebox
        if hypothesis:
            entry["hypothesis"] = hypothesis
        self.items.append(entry)
        self.events += events


def sprints_of(store: Path) -> list[dict[str, Any]]:
    """The sprints of ``store``, oldest first, as backlog entries (plus ``start`` as a date)."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        rows = con.execute("""SELECT sprint_id, name, goal, start_date, end_date, team, state FROM sprints
                              ORDER BY start_date, sprint_id""").fetchall()
    finally:
        con.close()
    return [{"id": sprint_id, "name": name, "goal": goal, "start": start, "end": end, "team": team, "state": state}
            for sprint_id, name, goal, start, end, team, state in rows]


def build_backlog(sprints: list[dict[str, Any]], items_per_sprint: int) -> dict[str, Any]:
    """The backlog document for ``sprints`` (as :func:`sprints_of` gives them)."""
    backlog = _Backlog(sprints, items_per_sprint)
    backlog.build()
    backlog.events.sort(key=lambda event: (event["at"], event["item"]))
    entries = [{**sprint, "start": sprint["start"].isoformat(), "end": sprint["end"].isoformat()}
               for sprint in sprints]
    return {"team": "vision", "sprints": entries, "items": backlog.items, "events": backlog.events,
            "metrics": METRIC_GOALS, "fairness": FAIRNESS}


def write_backlog(store: Path, path: Path, items_per_sprint: int) -> dict[str, int]:
    """Write the backlog of ``store``'s sprints to ``path``; returns how many sprints, items and events it holds."""
    document = build_backlog(sprints_of(store), items_per_sprint)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Synthetic backlog written by bench/generate_backlog.py. Format: docs/backlog-format.md\n"
                    + yaml.safe_dump(document, sort_keys=False, width=110), encoding="utf-8")
    return {name: len(document[name]) for name in ("sprints", "items", "events")}
