"""Monte Carlo forecasts from historical throughput, as ActionableAgile makes them.

Each trial draws, for every future working day, one day's throughput at random (with replacement) from the
history's working days, so the forecast keeps the team's real variability rather than an average.

* :func:`forecast_completion` -- "when will these N items be done": the date by which the N items were finished in
  p% of the trials;
* :func:`forecast_items_by` -- "how many items by date D": the number finished in at least p% of the trials (the
  (100 - p)th percentile of the trials' counts).

Trials are seeded, so a forecast is reproducible. A history with no finished item forecasts nothing (``None``):
no date can be promised from zero throughput.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np

from sprintboard.analytics.work_calendar import WorkCalendar

CONFIDENCES = (50, 70, 85, 95)
MAX_HORIZON_DAYS = 3660


def _future_working_days(start: date, count: int, calendar: WorkCalendar) -> list[date]:
    days, day = [], start
    while len(days) < count:
        if calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def forecast_completion(items: int, daily_throughput: Sequence[int], start: date, trials: int = 10_000,
                        seed: int = 0, calendar: WorkCalendar | None = None,
                        confidences: Sequence[int] = CONFIDENCES) -> dict[int, date | None]:
    """``{p: date}``: in p% of the trials the ``items`` were all finished by the end of ``date`` (working days
    from ``start`` on). ``None`` for every p when the history has no throughput at all."""
    calendar = calendar or WorkCalendar()
    history = np.asarray(daily_throughput, dtype=np.int64)
    if items <= 0:
        return dict.fromkeys(confidences, start)
    if not len(history) or history.sum() == 0:
        return dict.fromkeys(confidences)
    rng = np.random.default_rng(seed)
    horizon = max(int(np.ceil(items / history.mean())) * 2, 10)
    while True:
        totals = rng.choice(history, size=(trials, horizon)).cumsum(axis=1)
        if totals[:, -1].min() >= items or horizon >= MAX_HORIZON_DAYS:
            break
        horizon *= 2
    reached = totals >= items
    days_needed = np.where(reached.any(axis=1), reached.argmax(axis=1), horizon)  # index of the finishing day
    working = _future_working_days(start, horizon + 1, calendar)
    return {p: working[int(np.percentile(days_needed, p, method="inverted_cdf"))] for p in confidences}


def forecast_items_by(until: date, daily_throughput: Sequence[int], start: date, trials: int = 10_000,
                      seed: int = 0, calendar: WorkCalendar | None = None,
                      confidences: Sequence[int] = CONFIDENCES) -> dict[int, int | None]:
    """``{p: n}``: in p% of the trials at least ``n`` items were finished from ``start`` to ``until`` (both
    included, working days only). ``None`` for every p when the history is empty."""
    calendar = calendar or WorkCalendar()
    history = np.asarray(daily_throughput, dtype=np.int64)
    if not len(history):
        return dict.fromkeys(confidences)
    days = calendar.working_days(start, until)
    if days <= 0:
        return dict.fromkeys(confidences, 0)
    totals = np.random.default_rng(seed).choice(history, size=(trials, days)).sum(axis=1)
    return {p: int(np.percentile(totals, 100 - p, method="inverted_cdf")) for p in confidences}


def working_day_history(days: Sequence[date], counts: Sequence[int], calendar: WorkCalendar | None = None) -> list[int]:
    """The throughput of the working days only (weekend days would add zeros the team never works)."""
    calendar = calendar or WorkCalendar()
    return [int(count) for day, count in zip(days, counts, strict=True) if calendar.is_working_day(day)]
