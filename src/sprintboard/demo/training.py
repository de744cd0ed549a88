"""Real small models on UCI Adult for the demo: data preparation, training loops that report every step, metrics.

Every training function is a generator of per-step metric dicts (what a team would ``wandb.log``) and returns, when
exhausted, the validation scores of the final model, so that its predictions can be logged as a table.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

LABEL = "income-per-year"
POSITIVE = ">50K"
NUMERIC = ["age", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
CATEGORICAL = ["workclass", "marital-status", "occupation", "relationship", "race", "sex", "native-country"]
AGE_BANDS = [(0, 25, "<25"), (25, 45, "25-44"), (45, 65, "45-64"), (65, 200, "65+")]
THRESHOLD = 0.5
# Training loss is reported on a fixed sample: staged predictions over all 22,000 rows at every step cost more
# than the training itself, and the sample tracks the full loss closely.
TRAIN_LOSS_SAMPLE = 4000

StepMetrics = dict[str, float]


@dataclass
class AdultSplit:
    """A fixed 75/25 stratified split; ``groups`` holds the validation rows' sex, race and age band."""

    train: pd.DataFrame
    valid: pd.DataFrame
    y_train: np.ndarray
    y_valid: np.ndarray
    groups: pd.DataFrame


def age_band(age: int) -> str:
    return next(label for low, high, label in AGE_BANDS if low <= age < high)


def load_adult(path: Path) -> AdultSplit:
    frame = pd.read_csv(path)
    y = (frame[LABEL] == POSITIVE).to_numpy(dtype=int)
    features = frame[NUMERIC + CATEGORICAL]
    train, valid, y_train, y_valid = train_test_split(features, y, test_size=0.25, stratify=y, random_state=0)
    groups = pd.DataFrame(
        {"sex": valid["sex"].to_numpy(), "race": valid["race"].to_numpy(),
         "age_band": [age_band(a) for a in valid["age"]]}
    )
    return AdultSplit(train, valid, y_train, y_valid, groups)


def _encoder(dropped: tuple[str, ...] = ()) -> ColumnTransformer:
    categorical = [c for c in CATEGORICAL if c not in dropped]
    return ColumnTransformer(
        [("num", StandardScaler(), NUMERIC),
         ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)]
    )


def binary_log_loss(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Mean cross-entropy of 0/1 labels under predicted probabilities, as ``sklearn.metrics.log_loss`` defines it.

    Probabilities are clipped to ``[eps, 1 - eps]`` with the float64 machine epsilon, so a confident wrong
    prediction costs a large finite loss instead of infinity. Written out because it runs at every step, where
    sklearn's input checks cost more than the arithmetic.
    """
    eps = np.finfo(np.float64).eps
    probabilities = np.clip(scores.astype(np.float64), eps, 1 - eps)
    return float(-np.mean(np.where(y_true == 1, np.log(probabilities), np.log1p(-probabilities))))


def validation_metrics(y_true: np.ndarray, scores: np.ndarray) -> StepMetrics:
    """AUC, accuracy, precision, recall, F1 (at :data:`THRESHOLD`) and Brier score of one set of scores.

    Computed from counts and ranks rather than with sklearn's metric functions: they are called at every one of
    hundreds of steps, where sklearn's input checks cost more than the arithmetic. Precision, recall and F1 are 0
    when their denominator is 0. AUC uses average ranks, so ties count one half, as in ``roc_auc_score``.
    """
    positives = y_true == 1
    n_pos = int(positives.sum())
    n_neg = len(y_true) - n_pos
    ranks = rankdata(scores)
    auc = (ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    predicted = scores >= THRESHOLD
    true_pos = int((predicted & positives).sum())
    predicted_pos = int(predicted.sum())
    precision = true_pos / predicted_pos if predicted_pos else 0.0
    recall = true_pos / n_pos if n_pos else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "val/auc": float(auc),
        "val/accuracy": float((predicted == positives).mean()),
        "val/precision": precision,
        "val/recall": recall,
        "val/f1": f1,
        "val/brier": float(np.mean((scores - y_true) ** 2)),
    }


def group_recall(split: AdultSplit, scores: np.ndarray, attribute: str) -> dict[str, float]:
    """Recall (true-positive rate) per group of ``attribute`` on the validation rows."""
    predicted = scores >= THRESHOLD
    result = {}
    for group in sorted(split.groups[attribute].unique()):
        mask = (split.groups[attribute] == group).to_numpy() & (split.y_valid == 1)
        if mask.sum():
            result[group] = float(predicted[mask].mean())
    return result


def train_logistic(split: AdultSplit, seed: int, epochs: int, alpha: float,
                   dropped: tuple[str, ...] = ()) -> Generator[StepMetrics, None, np.ndarray]:
    """Logistic regression fitted by SGD, one step per epoch."""
    encoder = _encoder(dropped)
    x_train = encoder.fit_transform(split.train)
    x_valid = encoder.transform(split.valid)
    model = SGDClassifier(loss="log_loss", alpha=alpha, random_state=seed, learning_rate="optimal")
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(x_train))
        model.partial_fit(x_train[order], split.y_train[order], classes=[0, 1])
        scores = model.predict_proba(x_valid)[:, 1]
        train_loss = binary_log_loss(split.y_train, model.predict_proba(x_train)[:, 1])
        yield {"train/loss": float(train_loss), **validation_metrics(split.y_valid, scores)}
    return scores


def train_boosting(split: AdultSplit, seed: int, iterations: int, learning_rate: float,
                   dropped: tuple[str, ...] = (), female_positive_weight: float = 1.0,
                   ) -> Generator[StepMetrics, None, np.ndarray]:
    """Histogram gradient boosting, one step per boosting iteration (staged predictions).

    ``max_features`` below 1 makes the seed matter, as it does for real teams comparing seeds.
    ``female_positive_weight`` up-weights positive examples of women (a re-weighting mitigation).
    """
    categorical = [c for c in CATEGORICAL if c not in dropped]
    encoder = ColumnTransformer(
        [("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), categorical),
         ("num", "passthrough", NUMERIC)]
    )
    x_train = encoder.fit_transform(split.train)
    x_valid = encoder.transform(split.valid)
    weights = np.where((split.train["sex"].to_numpy() == "Female") & (split.y_train == 1),
                       female_positive_weight, 1.0)
    is_categorical = [True] * len(categorical) + [False] * len(NUMERIC)
    model = HistGradientBoostingClassifier(max_iter=iterations, learning_rate=learning_rate, max_features=0.7,
                                           categorical_features=is_categorical, early_stopping=False,
                                           random_state=seed)
    model.fit(x_train, split.y_train, sample_weight=weights)
    sample = np.random.default_rng(0).choice(len(x_train), size=min(TRAIN_LOSS_SAMPLE, len(x_train)), replace=False)
    staged_train = model.staged_predict_proba(x_train[sample])
    scores = None
    for train_proba, valid_proba in zip(staged_train, model.staged_predict_proba(x_valid), strict=True):
        scores = valid_proba[:, 1]
        yield {"train/loss": binary_log_loss(split.y_train[sample], train_proba[:, 1]),
               **validation_metrics(split.y_valid, scores)}
    return scores


def train_mlp(split: AdultSplit, seed: int, epochs: int, hidden: int) -> Generator[StepMetrics, None, np.ndarray]:
    """A one-hidden-layer network trained with Adam, one step per epoch."""
    encoder = _encoder()
    x_train = encoder.fit_transform(split.train)
    x_valid = encoder.transform(split.valid)
    model = MLPClassifier(hidden_layer_sizes=(hidden,), random_state=seed, learning_rate_init=3e-3, batch_size=256)
    for _ in range(epochs):
        model.partial_fit(x_train, split.y_train, classes=[0, 1])
        scores = model.predict_proba(x_valid)[:, 1]
        train_loss = binary_log_loss(split.y_train, model.predict_proba(x_train)[:, 1])
        yield {"train/loss": float(train_loss), **validation_metrics(split.y_valid, scores)}
    return scores
