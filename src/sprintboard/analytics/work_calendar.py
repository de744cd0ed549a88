"""Which days a team works, and the burndown guideline that follows from it.

A *working day* is a weekday not in the weekend set (Saturday and Sunday by default) and not a holiday. Jira draws
the guideline from the committed scope at the sprint's start down to zero at its end, descending only on working
days and staying flat over non-working ones; :func:`guideline_by_day` computes exactly that per calendar day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

SATURDAY, SUNDAY = 5, 6


@dataclass(frozen=True)
class WorkCalendar:
    """``weekend`` holds ``date.weekday()`` numbers (Monday 0 ... Sunday 6); ``holidays`` are extra days off."""

    weekend: frozenset[int] = frozenset({SATURDAY, SUNDAY})
    holidays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls, weekend: Iterable[int] | None = None, holidays: Iterable[date] = ()) -> WorkCalendar:
        return cls(frozenset({SATURDAY, SUNDAY} if weekend is None else weekend), frozenset(holidays))

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def working_days(self, first: date, last: date) -> int:
        """Working days from ``first`` to ``last``, both included; 0 when ``last`` is before ``first``."""
        return sum(self.is_working_day(day) for day in days_between(first, last))


def days_between(first: date, last: date) -> list[date]:
    """Every calendar day from ``first`` to ``last``, both included (empty when ``last`` is before ``first``)."""
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def guideline_by_day(committed: float, first: date, last: date, calendar: WorkCalendar) -> dict[date, float]:
    """The guideline at the end of each day of a sprint running from ``first`` to ``last`` (both included).

    It starts at ``committed`` and drops by ``committed / working days`` at the end of each working day, so it
    reaches 0 at the end of the last working day and stays flat over weekends and holidays. A sprint with no
    working day at all keeps the guideline at ``committed`` (there is no pace to show).
    """
    total = calendar.working_days(first, last)
    guideline: dict[date, float] = {}
    worked = 0
    for day in days_between(first, last):
        worked += calendar.is_working_day(day)
        guideline[day] = committed * (1 - worked / total) if total else committed
    return guideline
