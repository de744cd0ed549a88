"""Bootstrap intervals for the bias checks, resampled within each group.

Stratified resampling: every resample draws, for each group separately, as many rows as the group has, with
replacement, from that group's rows. Group sizes stay fixed, so the interval describes the uncertainty of each group's
metric given its size, and the groups' resamples are independent of each other.

* Confusion metrics depend on a group's rows only through its four confusion counts (TP, FP, FN, TN). Resampling the
  group's n rows and counting the cells is the same distribution as one multinomial draw of n over the group's cell
  proportions, so the counts are drawn directly: cost per resample grows with the number of groups, not of rows.
* AUC depends on the scores themselves, so its resamples draw row indices within the group. Each resample's AUC is
  the rank (Mann-Whitney) form of the ROC AUC: the share of (positive, negative) pairs in which the positive scores
  higher, ties counting one half -- the value ``roc_auc_score`` gives. Drawing n rows uniformly from the group is the
  same as drawing the number of positives among them (binomial) and then rows uniformly within each class, which
  lets each resample count, for every drawn positive, the drawn negatives below it from one cumulative histogram of
  the negatives, without sorting the resample. A resample drawing only one class has no AUC and is left out.

Intervals are percentile intervals over the resamples at the given confidence, taken as order statistics: the lower
bound rounds its rank down and the upper bound rounds its rank up (numpy's ``lower`` / ``higher`` methods), so each
bound is a value some resample produced, and a ratio that is unbounded in some resamples (``+inf``, its reference
was 0) is never interpolated into a meaningless number. Resamples where the quantity is undefined (``NaN``) are left
out; a quantity undefined in every resample has no interval (``NaN`` bounds).
"""

from __future__ import annotations

import numpy as np

# Resampled AUC draws resamples x rows indices, in batches of about this many: a batch's histogram then stays near
# the size of a core's L2 cache, which measured several times faster than batches of a million.
_AUC_BATCH_ELEMENTS = 100_000


def resample_cells(cells: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Resampled confusion counts of shape (resamples, n_groups, 4); each group keeps its size in every resample."""
    sizes = cells.sum(axis=1)
    # An empty group has no proportions; any valid probabilities give it all-zero counts.
    proportions = np.divide(cells, sizes[:, None], out=np.zeros(cells.shape), where=sizes[:, None] > 0)
    proportions[sizes == 0, 0] = 1.0
    return rng.multinomial(sizes, proportions, size=(resamples, len(sizes)))


def resample_auc(
    y_true: np.ndarray,
    scores: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
    resamples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Resampled AUC per group, shape (resamples, n_groups); NaN where a group or a resample lacks a class."""
    values = np.full((resamples, n_groups), np.nan)
    for group in range(n_groups):
        rows = np.flatnonzero(codes == group)
        actual = y_true[rows]
        if not actual.any() or actual.all():
            continue
        negatives = np.sort(scores[rows][~actual])
        positives = scores[rows][actual]
        below = np.searchsorted(negatives, positives, side="left")
        up_to = np.searchsorted(negatives, positives, side="right")
        batch = max(1, _AUC_BATCH_ELEMENTS // len(rows))
        for start in range(0, resamples, batch):
            size = min(batch, resamples - start)
            # Drawing the group's n rows uniformly = drawing how many are positive (binomial), then rows of each class
            # uniformly within the class.
            positives_drawn = rng.binomial(len(rows), len(positives) / len(rows), size=size)
            negatives_drawn = len(rows) - positives_drawn
            values[start : start + size, group] = auc_of_draws(
                below,
                up_to,
                len(negatives),
                (rng.integers(0, len(negatives), size=negatives_drawn.sum()), negatives_drawn),
                (rng.integers(0, len(positives), size=positives_drawn.sum()), positives_drawn),
            )
    return values


def auc_of_draws(
    below: np.ndarray,
    up_to: np.ndarray,
    n_negatives: int,
    negatives: tuple[np.ndarray, np.ndarray],
    positives: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """AUC of each resample of one group, from the rows each resample drew.

    The group's ``n_negatives`` negatives are sorted by score; ``below[i]`` / ``up_to[i]`` count those scoring lower
    than / at most positive i. ``negatives`` and ``positives`` are (rows, count per resample): the drawn rows of each
    class, resample after resample, rows indexing the sorted negatives and the positives.
    AUC = (wins + ties / 2) / (drawn positives x drawn negatives).
    """
    negative_rows, negatives_per_draw = negatives
    positive_rows, positives_per_draw = positives
    draws, width = len(negatives_per_draw), n_negatives + 1
    # One histogram row per resample; shifting each bin by one makes its cumulative sum at k count the drawn
    # negatives among the k lowest-scoring ones.
    bins = negative_rows + np.repeat(np.arange(draws) * width + 1, negatives_per_draw)
    drawn_below = np.cumsum(np.bincount(bins, minlength=draws * width).reshape(draws, width), axis=1).ravel()
    offsets = np.repeat(np.arange(draws) * width, positives_per_draw)
    # Twice the Mann-Whitney count, in integers: 2 per drawn negative scoring lower, 1 per tie.
    twice_wins = drawn_below[offsets + below[positive_rows]] + drawn_below[offsets + up_to[positive_rows]]
    running = np.concatenate(([0], np.cumsum(twice_wins)))
    ends = np.cumsum(positives_per_draw)
    wins = (running[ends] - running[ends - positives_per_draw]) / 2
    pairs = positives_per_draw * negatives_per_draw
    return np.divide(wins, pairs, out=np.full(draws, np.nan), where=pairs > 0)


def percentile_interval(samples: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper percentile bounds over axis 0 of ``samples``, leaving out NaN resamples."""
    ordered = np.sort(samples, axis=0)  # NaN sorts last
    valid = (~np.isnan(samples)).sum(axis=0)
    tail = (1 - confidence) / 2
    last = np.maximum(valid - 1, 0)
    low_rank = np.floor(tail * last).astype(np.int64)
    # rounding can push (1 - tail) * last a hair above last
    high_rank = np.minimum(np.ceil((1 - tail) * last).astype(np.int64), last)
    low = np.take_along_axis(ordered, low_rank[None, ...], axis=0)[0]
    high = np.take_along_axis(ordered, high_rank[None, ...], axis=0)[0]
    none = valid == 0
    return np.where(none, np.nan, low), np.where(none, np.nan, high)
