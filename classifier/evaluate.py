"""Accuracy figures: metrics of predictions, evaluation on a test set, K-fold cross-validation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.model_selection import KFold

from classifier.article import Article
from classifier.errors import ClassifierError


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


def evaluate_pipeline(pipeline: Any, articles: Sequence[Article]) -> dict[str, Any]:
    """Metrics of a fitted pipeline on labelled articles."""
    from classifier.model import scores_and_topics

    scores, predicted = scores_and_topics(pipeline, [a.full_text for a in articles])
    topics = [str(t) for t in pipeline[-1].classes_]
    return compute_metrics([a.topics or [] for a in articles], predicted, scores, topics)


def cross_validate(
    articles: Sequence[Article],
    recipe: Any,
    folds: int = 5,
    random_state: int = 0,
    extra_training: Sequence[Article] = (),
    on_fold: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """K-fold cross-validation of a training recipe: fit on K-1 folds, score the held-out one.

    ``recipe`` is a :class:`classifier.training.Recipe` (anything with ``topics`` and
    ``fit(articles) -> pipeline``). Thresholds are chosen inside each training fold by the recipe
    itself, never on the held-out fold. ``extra_training`` articles join every training fold and
    are never scored (e.g. seed labels when cross-validating over newly labelled data).
    ``on_fold`` is called after each fold (for a progress display).
    """
    from classifier.model import scores_and_topics

    topics = recipe.topics
    if folds < 2 or folds > len(articles):
        raise ValueError(f"need 2 <= folds <= {len(articles)}, got {folds}")
    scores = np.zeros((len(articles), len(topics)))
    predicted: list[list[str]] = [[] for _ in articles]
    splitter = KFold(n_splits=folds, shuffle=True, random_state=random_state)
    for train, held in splitter.split(np.arange(len(articles))):
        training = [articles[i] for i in train] + list(extra_training)
        try:
            pipeline = recipe.fit(training)
        except ValueError as error:  # e.g. a training fold with one example of a rare topic
            raise ClassifierError(f"cannot cross-validate with {folds} folds: {error}") from None
        fold_scores, fold_topics = scores_and_topics(pipeline, [articles[i].full_text for i in held])
        scores[held] = fold_scores
        for i, tags in zip(held, fold_topics, strict=True):
            predicted[i] = tags
        if on_fold is not None:
            on_fold()
    report = compute_metrics([a.topics or [] for a in articles], predicted, scores, topics)
    report["folds"] = folds
    return report


def format_report(report: dict[str, Any], style: str = "table") -> str:
    """A report as a readable table (``table``) or a Markdown table (``markdown``)."""
    rows = [
        (topic, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
        for topic, m in report["per_topic"].items()
    ]
    header = ("topic", "precision", "recall", "f1", "support")
    summary = [
        ("micro_f1", report["micro_f1"]),
        ("macro_f1", report["macro_f1"]),
        ("top1_accuracy", report["top1_accuracy"]),
        ("subset_accuracy", report["subset_accuracy"]),
        ("empty_precision", report["empty_precision"]),
    ]
    if style == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        lines += ["", "| metric | value |", "|---|---|"]
        lines += [f"| {name} | {value:.3f} |" for name, value in summary]
        lines.append(f"\n{report['n_articles']} articles")
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row) for row in rows]
    lines.append("")
    lines += [f"{name:<16} {value:.3f}" for name, value in summary]
    lines.append(f"{'articles':<16} {report['n_articles']}")
    return "\n".join(lines)
