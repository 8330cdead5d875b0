"""Training: from labelled articles to a fitted pipeline and its metadata."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from classifier.article import Article
from classifier.errors import ClassifierError
from classifier.evaluate import compute_metrics
from classifier.labels import topic_counts
from classifier.taxonomy import Taxonomy

MIN_EXAMPLES = 2


def data_fingerprint(articles: Sequence[Article]) -> str:
    """SHA-256 over the ids, texts and topics of the training articles, order-independent."""
    digest = hashlib.sha256()
    for key in sorted(json.dumps([a.id, a.full_text, sorted(a.topics or [])], ensure_ascii=False) for a in articles):
        digest.update(key.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def choose_topics(articles: Sequence[Article], taxonomy: Taxonomy | None, taxonomy_given: bool) -> list[str]:
    """The model's label set.

    The taxonomy's topics when every training topic is in it. When some are not: an error if the
    user named the taxonomy, else the topics present in the training data (a user's own categories).
    """
    present = sorted({t for a in articles for t in a.topics or []})
    if taxonomy is not None:
        unknown = [t for t in present if t not in taxonomy]
        if not unknown:
            return taxonomy.ids
        if taxonomy_given:
            raise ClassifierError(f"training topics not in the taxonomy: {', '.join(unknown)}")
    return present


def check_trainable(articles: Sequence[Article], topics: Sequence[str]) -> None:
    """Refuse data a model cannot be fitted on, with a one-line reason."""
    if len(articles) < 2 * MIN_EXAMPLES:
        raise ClassifierError(f"only {len(articles)} labelled articles; need at least {2 * MIN_EXAMPLES}")
    counts = topic_counts(articles, topics)
    for topic in topics:
        if counts[topic] < MIN_EXAMPLES:
            raise ClassifierError(
                f"topic {topic!r} has {counts[topic]} labelled article(s); need at least {MIN_EXAMPLES}"
            )
        if len(articles) - counts[topic] < MIN_EXAMPLES:
            raise ClassifierError(f"topic {topic!r} is on nearly every article; need {MIN_EXAMPLES} without it")


def train_model(
    articles: Sequence[Article],
    topics: Sequence[str],
    user_words: Sequence[str] = (),
    label_sources: Sequence[Path] = (),
) -> tuple[Any, dict[str, Any]]:
    """Fit the default recipe on labelled articles.

    Returns
    -------
    pipeline : Pipeline
        Fitted; see :mod:`classifier.model`.
    meta : dict
        Topics, thresholds, data fingerprint, counts per topic, label sources and
        ``cv_metrics``: metrics of the out-of-fold scores the thresholds were chosen on
        (slightly optimistic for that reason; ``classifier evaluate`` gives the nested figure).
    """
    from classifier.model import build_pipeline

    check_trainable(articles, topics)
    pipeline = build_pipeline(topics=list(topics), user_words=user_words)
    pipeline.fit([a.full_text for a in articles], [a.topics or [] for a in articles])
    classifier = pipeline[-1]
    oof = classifier.oof_scores_
    predicted = [[t for t, s, cut in zip(topics, row, classifier.thresholds_, strict=True) if s >= cut] for row in oof]
    cv = compute_metrics([a.topics or [] for a in articles], predicted, oof, topics)
    meta = {
        "topics": list(topics),
        "thresholds": {t: round(float(c), 4) for t, c in zip(topics, classifier.thresholds_, strict=True)},
        "data_fingerprint": data_fingerprint(articles),
        "n_articles": len(articles),
        "counts": topic_counts(articles, topics),
        "label_sources": [str(p) for p in label_sources],
        "cv_metrics": {k: v for k, v in cv.items() if k != "per_topic"},
    }
    return pipeline, meta
