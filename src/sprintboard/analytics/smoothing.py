"""Smoothing of a metric line, as W&B's line plots offer it.

* ``twema`` -- time-weighted exponential moving average, W&B's default. With ``weight`` in [0, 1), each earlier
  point's influence decays by ``sqrt(weight)`` (capped at 0.999) per thousandth of the line's x range, so lines
  with dense and sparse points smooth alike; a debiasing term keeps the start from being pulled towards zero:
  ``s_i = Σ_j y_j · d^((x_i - x_j) / range · 1000) / Σ_j d^((x_i - x_j) / range · 1000)`` over ``j <= i``, with
  ``d = min(sqrt(weight), 0.999)``. ``weight = 0`` returns the line as it is.
* ``running`` -- running average: each point becomes the mean of the ``window`` points centred on it (fewer at the
  ends);
* ``none`` -- the line as it is.

Smoothing runs over the points the chart draws. NaN and infinite values are left out of the average (the smoothed
line carries on through them) and their own positions get the smoothed value so far.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

METHODS = ("twema", "running", "none")
_VIEWPORT_SCALE = 1000.0


def twema(x: np.ndarray, y: np.ndarray, weight: float) -> np.ndarray:
    """Time-weighted EMA of ``y`` over ``x`` (ascending); see the module docstring."""
    if not 0 <= weight < 1:
        raise ValueError(f"smoothing weight {weight} is outside [0, 1)")
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    if weight == 0 or len(y) < 2:
        return y.copy()
    decay = min(math.sqrt(weight), 0.999)
    span = x[-1] - x[0]
    steps = np.diff(x, prepend=x[0]) / span * _VIEWPORT_SCALE if span > 0 else np.zeros(len(x))
    factors = decay ** steps
    finite = np.isfinite(y)
    out = np.empty(len(y))
    total = norm = 0.0
    # A recurrence with a factor per step: a loop, over the few thousand points a chart draws.
    for index, (factor, value, ok) in enumerate(zip(factors.tolist(), y.tolist(), finite.tolist(), strict=True)):
        total *= factor
        norm *= factor
        if ok:
            total += value
            norm += 1.0
        out[index] = total / norm if norm > 0 else math.nan
    return out


def running_average(y: np.ndarray, window: int) -> np.ndarray:
    """The mean of the ``window`` points centred on each point (fewer at the ends), non-finite values left out."""
    if window < 1:
        raise ValueError("a running average needs a window of at least one point")
    series = pd.Series(np.asarray(y, dtype=float)).replace([np.inf, -np.inf], np.nan)
    return series.rolling(window, center=True, min_periods=1).mean().to_numpy()


def smooth(x: np.ndarray, y: np.ndarray, method: str, amount: float) -> np.ndarray:
    """``y`` smoothed by ``method`` (see :data:`METHODS`): ``amount`` is the TWEMA weight or the window size."""
    if method == "twema":
        return twema(x, y, amount)
    if method == "running":
        return running_average(y, int(amount))
    if method == "none":
        return np.asarray(y, dtype=float).copy()
    raise ValueError(f"unknown smoothing {method!r}: use one of {', '.join(METHODS)}")
