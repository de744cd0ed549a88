"""Smoothing: the time-weighted EMA by its formula, the running average, and non-finite values skipped."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sprintboard.analytics.smoothing import running_average, smooth, twema


def by_formula(x: list[float], y: list[float], weight: float) -> list[float]:
    decay = min(math.sqrt(weight), 0.999)
    span = x[-1] - x[0]
    out = []
    for i in range(len(y)):
        weights = [decay ** ((x[i] - x[j]) / span * 1000) for j in range(i + 1)]
        out.append(sum(w * y[j] for j, w in enumerate(weights)) / sum(weights))
    return out


def test_twema_matches_the_weighted_mean_formula_on_uneven_steps():
    x = [0.0, 1.0, 2.0, 5.0, 5.5, 9.0, 10.0]
    y = [1.0, 3.0, 2.0, 8.0, 7.0, 4.0, 5.0]
    assert twema(np.array(x), np.array(y), 0.999).tolist() == pytest.approx(by_formula(x, y, 0.999))


def test_twema_starts_at_the_first_value_and_weight_zero_changes_nothing():
    x, y = np.arange(5.0), np.array([10.0, 0.0, 0.0, 0.0, 0.0])
    assert twema(x, y, 0.99)[0] == 10.0  # debiased: not pulled towards zero
    assert twema(x, y, 0.0).tolist() == y.tolist()


def test_twema_smooths_alike_at_any_point_density():
    sparse_x, dense_x = np.linspace(0, 1, 11), np.linspace(0, 1, 101)
    sparse = twema(sparse_x, (sparse_x > 0.5).astype(float), 0.9999)
    dense = twema(dense_x, (dense_x > 0.5).astype(float), 0.9999)
    assert sparse[-1] == pytest.approx(dense[-1], abs=0.05)


def test_non_finite_values_are_skipped_and_carry_the_smoothed_value():
    out = twema(np.arange(4.0), np.array([1.0, math.nan, math.inf, 1.0]), 0.9)
    assert out.tolist() == [1.0, 1.0, 1.0, 1.0]


def test_running_average_is_centred_and_shorter_at_the_ends():
    assert running_average(np.array([0.0, 3.0, 6.0, 9.0]), 3).tolist() == [1.5, 3.0, 6.0, 7.5]


def test_unknown_methods_and_weights_are_refused():
    with pytest.raises(ValueError, match="outside"):
        twema(np.arange(3.0), np.arange(3.0), 1.0)
    with pytest.raises(ValueError, match="unknown smoothing"):
        smooth(np.arange(3.0), np.arange(3.0), "gaussian", 1)
