"""The decision rule, without scikit-learn: calibrated scores from linear decisions, topics from scores.

Everything that turns scores into topics goes through :func:`assign`, so the classifier, the
compiled tagger, evaluation and the labelling tools all apply the same rule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def calibrate(decisions: np.ndarray, calibrators: np.ndarray) -> np.ndarray:
    """Platt scaling: ``sigmoid(a * decision + b)`` per topic.

    Parameters
    ----------
    decisions : ndarray of shape (n_samples, n_topics)
        Raw linear scores.
    calibrators : ndarray of shape (n_topics, 2)
        ``(a, b)`` per topic.

    Returns
    -------
    ndarray of shape (n_samples, n_topics)
        Scores in [0, 1]; a row need not sum to 1.
    """
    return 1.0 / (1.0 + np.exp(-(decisions * calibrators[:, 0] + calibrators[:, 1])))


def assign_columns(scores: np.ndarray, thresholds: np.ndarray, top: int | None = None) -> list[list[int]]:
    """Per article, the topic columns whose score is at or above the topic's threshold, highest score first.

    Parameters
    ----------
    scores : ndarray of shape (n_samples, n_topics)
    thresholds : ndarray of shape (n_topics,)
    top : int or None
        Keep at most this many topics per article.

    Returns
    -------
    list of ``n_samples`` lists of column indices
        Ties keep column order; an empty list is a legal answer (no topic).
    """
    scores = np.atleast_2d(scores)
    order = np.argsort(-scores, axis=1, kind="stable")
    kept = np.take_along_axis(scores >= thresholds, order, axis=1)
    out = [row[keep].tolist() for row, keep in zip(order, kept, strict=True)]
    return out if top is None else [row[:top] for row in out]


def assign(
    scores: np.ndarray, thresholds: np.ndarray, topics: Sequence[str], top: int | None = None
) -> list[list[str]]:
    """Per article, the topic ids assigned by :func:`assign_columns`, highest score first."""
    names = [str(t) for t in topics]
    return [[names[j] for j in row] for row in assign_columns(scores, thresholds, top)]
