"""The made-up demo team and its four two-week sprints, shared by the demo backlog and the demo runs.

The team builds an income classifier on UCI Adult that decides who is offered a financial-advice programme (an
assistive use: missing someone who qualifies is the harm to watch). Dates are fixed so the demo is the same on
every machine; working days are Monday to Friday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

TEAM = "Outreach Modelling"
PROJECT = "income-outreach"


@dataclass(frozen=True)
class DemoSprint:
    sprint_id: str
    name: str
    goal: str
    start: date  # a Monday
    end: date  # the Friday of the following week

    def working_day(self, index: int) -> date:
        """The ``index``-th working day of the sprint (0 = the first Monday); may run past the end for late work."""
        day = self.start
        remaining = index
        while remaining > 0:
            day += timedelta(days=1)
            if day.weekday() < 5:
                remaining -= 1
        return day

    def moment(self, day_index: int, hour: float) -> datetime:
        """A naive UTC datetime on a working day of the sprint."""
        return datetime.combine(self.working_day(day_index), datetime.min.time()) + timedelta(hours=hour)

    def epoch(self, day_index: int, hour: float) -> float:
        return self.moment(day_index, hour).replace(tzinfo=UTC).timestamp()


SPRINTS = (
    DemoSprint("S1", "Sprint 1 - Baseline",
               "Ship a reproducible logistic-regression baseline and the evaluation pipeline",
               date(2026, 8, 31), date(2026, 9, 11)),
    DemoSprint("S2", "Sprint 2 - Boosting",
               "Find out whether gradient boosting beats the baseline by two AUC points",
               date(2026, 9, 14), date(2026, 9, 25)),
    DemoSprint("S3", "Sprint 3 - Fair recall",
               "Close the recall gap between women and men without losing AUC",
               date(2026, 9, 28), date(2026, 10, 9)),
    DemoSprint("S4", "Sprint 4 - Release candidate",
               "Tune and pick the release candidate; decide on calibration",
               date(2026, 10, 12), date(2026, 10, 23)),
)

SPRINTS_BY_ID = {sprint.sprint_id: sprint for sprint in SPRINTS}

PEOPLE = ("Amara Okafor", "Jonas Weber", "Mei Lin", "Priya Raman", "Tomás Ruiz")
