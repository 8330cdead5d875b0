"""The decision rule, without scikit-learn: calibrated scores, topics from scores, and how unsure a score is.

Everything that turns scores into topics goes through :func:`assign`, so the classifier, the
compiled tagger, evaluation and the labelling tools all apply the same rule; how close a score
is to its threshold (:func:`topic_uncertainty`) serves both suggestions and drift reports.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_EPS = 1e-6
#: An article is of low confidence when its most unsure topic's uncertainty is at least this
#: (``exp(-ln 2)``: the score is within a factor 2 in odds of the threshold).
LOW_CONFIDENCE = 0.5


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


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def topic_uncertainty(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Per article and topic, how close the score is to the threshold: 1 on it, towards 0 far off.

    Closeness is measured in logit space, ``exp(-|logit(score) - logit(threshold)|)``, so a score
    of 0.12 against a cut of 0.13 counts as unsure and 0.60 against 0.13 does not.
    """
    return np.exp(-np.abs(_logit(scores) - _logit(np.asarray(thresholds))))


def article_uncertainty(per_topic: np.ndarray) -> np.ndarray:
    """Most unsure topic plus half the second most unsure one: two topics in doubt make a label worth more.

    Parameters
    ----------
    per_topic : ndarray of shape (n_samples, n_topics)
        :func:`topic_uncertainty`.
    """
    if per_topic.shape[1] == 1:
        return per_topic[:, 0]
    top2 = -np.sort(-per_topic, axis=1)[:, :2]
    return top2[:, 0] + 0.5 * top2[:, 1]


def low_confidence(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Per article, whether some topic's score is within a factor 2 in odds of its threshold.

    The model's yes/no on that topic is close to a coin toss: :data:`LOW_CONFIDENCE` on the
    most unsure topic's :func:`topic_uncertainty`.
    """
    return topic_uncertainty(np.atleast_2d(scores), thresholds).max(axis=1) >= LOW_CONFIDENCE


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


#: How a learned "has no topic" model may take part in the decision (see ``TopicClassifier.abstain``).
ABSTAIN_RULES = (None, "veto", "fill", "scale")


def abstention_decisions(
    scores: np.ndarray, p_empty: np.ndarray, thresholds: np.ndarray, cut: float, fill: bool
) -> np.ndarray:
    """Topics at or above their thresholds, none where ``p_empty >= cut``; ``fill``: else at least the best.

    Parameters
    ----------
    scores : ndarray of shape (n_samples, n_topics)
    p_empty : ndarray of shape (n_samples,)
        P(the article has no topic).
    thresholds : ndarray of shape (n_topics,)
    cut : float
        Abstain (the empty set) when ``p_empty`` is at least this.
    fill : bool
        An article not abstained on gets at least its best topic.

    Returns
    -------
    boolean ndarray of shape (n_samples, n_topics)
    """
    scores = np.atleast_2d(scores)
    keep = (np.asarray(p_empty) < cut)[:, None]
    decided = (scores >= thresholds) & keep
    if fill:
        lonely = keep[:, 0] & ~decided.any(1)
        decided[lonely, scores[lonely].argmax(1)] = True
    return decided


def best_abstention_cut(
    scores: np.ndarray, p_empty: np.ndarray, Y: np.ndarray, thresholds: np.ndarray, fill: bool
) -> float:
    """The ``P(empty)`` cut that maximises micro-F1 of :func:`abstention_decisions` against ``Y``.

    Candidates are half-way between distinct values of ``p_empty`` (and ``inf``, "never
    abstain"); ties go to the higher cut (abstain less).
    """
    values = np.unique(p_empty)
    candidates = np.append((values[:-1] + values[1:]) / 2, [values[0] / 2, np.inf]) if len(values) else [np.inf]
    gold = Y.astype(bool)
    best = (-1.0, np.inf)
    for cut in sorted(candidates, reverse=True):
        decided = abstention_decisions(scores, p_empty, thresholds, cut, fill)
        tp = (decided & gold).sum()
        denominator = decided.sum() + gold.sum()
        f1 = 2 * tp / denominator if denominator else 0.0
        if f1 > best[0] + 1e-12:
            best = (f1, cut)
    return float(best[1])


def decide_columns(
    scores: np.ndarray,
    thresholds: np.ndarray,
    top: int | None = None,
    p_empty: np.ndarray | None = None,
    abstain: str | None = None,
    empty_threshold: float = float("inf"),
) -> list[list[int]]:
    """:func:`assign_columns`, with a learned P(empty) applied by the ``abstain`` rule when there is one.

    Without ``p_empty`` (or ``abstain``) this is exactly :func:`assign_columns`.
    """
    if p_empty is None or abstain is None:
        return assign_columns(scores, thresholds, top)
    scores = np.atleast_2d(scores)
    if abstain == "scale":
        return assign_columns(scores * (1 - np.asarray(p_empty))[:, None], thresholds, top)
    decided = abstention_decisions(scores, p_empty, thresholds, empty_threshold, abstain == "fill")
    order = np.argsort(-scores, axis=1, kind="stable")
    kept = np.take_along_axis(decided, order, axis=1)
    out = [row[keep].tolist() for row, keep in zip(order, kept, strict=True)]
    return out if top is None else [row[:top] for row in out]
