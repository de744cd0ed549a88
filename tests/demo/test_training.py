"""The demo's own metric arithmetic must agree with scikit-learn's, which it replaces for speed."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics

from sprintboard.demo.training import THRESHOLD, binary_log_loss, validation_metrics


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_validation_metrics_equal_sklearn(seed: int):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, 2000)
    scores = np.clip(y_true * 0.3 + rng.normal(0.35, 0.25, 2000), 0, 1).round(2)  # rounding makes ties
    predicted = scores >= THRESHOLD
    ours = validation_metrics(y_true, scores)
    assert ours["val/auc"] == pytest.approx(metrics.roc_auc_score(y_true, scores), abs=1e-12)
    assert ours["val/accuracy"] == pytest.approx(metrics.accuracy_score(y_true, predicted))
    assert ours["val/precision"] == pytest.approx(metrics.precision_score(y_true, predicted))
    assert ours["val/recall"] == pytest.approx(metrics.recall_score(y_true, predicted))
    assert ours["val/f1"] == pytest.approx(metrics.f1_score(y_true, predicted))
    assert ours["val/brier"] == pytest.approx(metrics.brier_score_loss(y_true, scores))


def test_no_predicted_positives_gives_zero_precision_not_nan():
    y_true = np.array([0, 1, 0, 1])
    ours = validation_metrics(y_true, np.zeros(4))
    assert ours["val/precision"] == 0.0 and ours["val/f1"] == 0.0 and ours["val/auc"] == 0.5


def test_binary_log_loss_equals_sklearn_including_certain_mistakes():
    y_true = np.array([1, 0, 1, 0, 1, 1])
    scores = np.array([0.9, 0.2, 0.0, 1.0, 0.5, 1.0])  # two certain mistakes: clipped, not infinite
    assert binary_log_loss(y_true, scores) == pytest.approx(metrics.log_loss(y_true, scores), rel=1e-12)
