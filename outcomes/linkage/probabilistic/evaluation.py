"""Evaluation: the match threshold the model itself expects to be best, and the F1 it expects there.

Without true links the threshold cannot be tuned on precision and recall; the
model's own match probabilities say how many of the links above a threshold it
expects to be right. Where the true links are known (synthetic data),
:mod:`outcomes.linkage.quality` measures the links against them.
"""

from __future__ import annotations

import numpy as np

THRESHOLD_GRID = tuple(np.round(np.arange(0.05, 1.0, 0.01), 2).tolist()) + (0.995, 0.999)
"""Match probabilities tried when choosing the threshold."""


def expected_f1(probabilities: np.ndarray, threshold: float) -> float:
    """F1 the model expects at a threshold, taking its match probabilities at face value.

    Expected true links above the threshold are the sum of their probabilities;
    expected true matches overall are the sum over every resolved pair.
    """
    expected_matches = probabilities.sum()
    kept = probabilities >= threshold
    denominator = kept.sum() + expected_matches
    return float(2 * probabilities[kept].sum() / denominator) if denominator > 0 else 0.0


def choose_threshold(probabilities: np.ndarray) -> float:
    """The match probability threshold (from :data:`THRESHOLD_GRID`) that maximises :func:`expected_f1`.

    Ties go to the higher threshold.
    """
    best, best_score = THRESHOLD_GRID[-1], -1.0
    for threshold in THRESHOLD_GRID:
        score = round(expected_f1(probabilities, threshold), 12)
        if score >= best_score:
            best, best_score = threshold, score
    return float(best)
