"""Accuracy metrics of predicted topic sets against gold ones: micro/macro F1, top-1, subset accuracy, abstention."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def compute_metrics(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], scores: np.ndarray, topics: Sequence[str]
) -> dict[str, Any]:
    """Multi-label metrics of predicted topic sets against gold ones.

    Parameters
    ----------
    gold, predicted : sequences of ``n_samples`` topic lists
    scores : ndarray of shape (n_samples, n_topics)
        Model scores, columns in ``topics`` order (used for ``top1_accuracy``).
    topics : sequence of str

    Returns
    -------
    dict
        ``micro_f1``, ``macro_f1`` (mean over topics with gold support > 0), ``subset_accuracy``
        (predicted set equals gold set, empty sets included), ``top1_accuracy`` (share of articles
        with a gold topic whose highest-scored topic is one of them), ``empty_precision`` (of the
        articles the model left untagged, the share whose gold set is empty), ``n_articles``, and
        ``per_topic``: ``{topic: {precision, recall, f1, support, predicted}}``.
    """
    index = {t: j for j, t in enumerate(topics)}
    n = len(gold)
    G = np.zeros((n, len(topics)), dtype=bool)
    P = np.zeros((n, len(topics)), dtype=bool)
    for i, (g, p) in enumerate(zip(gold, predicted, strict=True)):
        G[i, [index[t] for t in g if t in index]] = True
        P[i, [index[t] for t in p if t in index]] = True
    tp, fp, fn = (G & P).sum(0), (~G & P).sum(0), (G & ~P).sum(0)
    per_topic = {}
    for j, topic in enumerate(topics):
        precision = tp[j] / (tp[j] + fp[j]) if tp[j] + fp[j] else 0.0
        recall = tp[j] / (tp[j] + fn[j]) if tp[j] + fn[j] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_topic[topic] = {
            "precision": float(precision),
            "recall": float(recall),
            "f1": float(f1),
            "support": int(G[:, j].sum()),
            "predicted": int(P[:, j].sum()),
        }
    micro_denominator = 2 * tp.sum() + fp.sum() + fn.sum()
    supported = [m["f1"] for m in per_topic.values() if m["support"] > 0]
    has_gold = G.any(1)
    top1 = G[np.arange(n), np.asarray(scores).argmax(1)] if n else np.zeros(0, dtype=bool)
    untagged = ~P.any(1)
    return {
        "n_articles": n,
        "micro_f1": float(2 * tp.sum() / micro_denominator) if micro_denominator else 0.0,
        "macro_f1": float(np.mean(supported)) if supported else 0.0,
        "subset_accuracy": float((G == P).all(1).mean()) if n else 0.0,
        "top1_accuracy": float(top1[has_gold].mean()) if has_gold.any() else 0.0,
        "empty_precision": float((~has_gold[untagged]).mean()) if untagged.any() else 0.0,
        "empty_recall": float(untagged[~has_gold].mean()) if (~has_gold).any() else 0.0,
        "per_topic": per_topic,
    }
