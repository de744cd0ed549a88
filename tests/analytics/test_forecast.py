"""Monte Carlo forecasts against probabilities worked out by hand for simple throughput histories."""

from __future__ import annotations

from datetime import date

from sprintboard.analytics.forecast import forecast_completion, forecast_items_by, working_day_history

MONDAY = date(2026, 1, 12)


def test_a_steady_team_finishes_on_the_same_day_in_every_trial():
    forecast = forecast_completion(5, [1, 1, 1], MONDAY)
    assert set(forecast.values()) == {date(2026, 1, 16)}  # five working days: Monday to Friday
    assert set(forecast_items_by(date(2026, 1, 16), [1, 1, 1], MONDAY).values()) == {5}


def test_completion_dates_follow_the_geometric_odds():
    # Each day finishes 0 or 2 items with even odds: two items are done by working day k with 1 - 0.5**k.
    # 70% needs k = 2 (0.75), 85% k = 3 (0.875), 95% k = 5 (0.969): Tue 13th, Wed 14th, Fri 16th.
    forecast = forecast_completion(2, [0, 2], MONDAY, confidences=(70, 85, 95))
    assert forecast == {70: date(2026, 1, 13), 85: date(2026, 1, 14), 95: date(2026, 1, 16)}


def test_items_by_a_date_follow_the_binomial_odds():
    # Four working days of 0 or 2 items: at least 4 items with 11/16, at least 2 with 15/16.
    forecast = forecast_items_by(date(2026, 1, 15), [0, 2], MONDAY)
    assert forecast == {50: 4, 70: 2, 85: 2, 95: 0}


def test_weekends_are_skipped_and_no_history_promises_nothing():
    assert forecast_completion(6, [1], date(2026, 1, 15))[85] == date(2026, 1, 22)  # Thu, Fri, Mon..Thu
    assert set(forecast_completion(3, [0, 0], MONDAY).values()) == {None}
    days = [date(2026, 1, d) for d in range(9, 13)]  # Fri, Sat, Sun, Mon
    assert working_day_history(days, [2, 0, 0, 1]) == [2, 1]
