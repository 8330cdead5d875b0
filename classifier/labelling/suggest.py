"""Suggestions (active learning): which unlabelled articles would a label help most?

Strategies, all on the model's calibrated scores and its per-topic thresholds:

``uncertainty``
    An article is worth labelling when some topic's score sits near that topic's threshold,
    where the model's yes/no is a coin toss. Closeness is measured in logit space,
    ``u = exp(-|logit(score) - logit(threshold)|)`` (1 on the threshold, falling off on both
    sides), so a score of 0.12 against a cut of 0.13 counts as unsure and 0.60 against 0.13
    does not. The article's value is its most unsure topic plus half its second most unsure
    one: two topics both in doubt (the model cannot tell which of two topics it is, or whether
    it is both) make the label worth more. Near-duplicates of an article already picked
    (cosine similarity of the model's features above :data:`DUPLICATE_SIMILARITY`) are passed over.
``diverse``
    Greedy maximal marginal relevance over the most uncertain articles: each pick maximises
    ``uncertainty - diversity * max similarity to the picks so far``, so the batch spreads
    over different stories instead of fifty reports of the same meeting (near-duplicates are
    passed over as above).
``random``
    A uniform sample: the baseline the benchmark compares against.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from classifier.article import Article
from classifier.errors import ClassifierError
from classifier.labelling import STRATEGIES
from classifier.labelling.journal import LabelJournal
from classifier.model.decision import article_uncertainty, topic_uncertainty
from classifier.reading.labels import read_label_records

DUPLICATE_SIMILARITY = 0.8
#: The diverse strategy looks at this many times ``n`` of the most uncertain articles.
CANDIDATE_FACTOR = 5


def score_articles(pipeline: Any, articles: Sequence[Article]) -> tuple[np.ndarray, Any]:
    """Scores ``(n_articles, n_topics)`` and L2-normalised feature rows, from one feature pass."""
    from sklearn.preprocessing import normalize

    features = pipeline[:-1].transform([a.full_text for a in articles])
    scores = pipeline[-1].predict_proba(features)
    return scores, normalize(features.tocsr())


def _pick_uncertain(value: np.ndarray, features: Any, n: int) -> list[int]:
    """Most uncertain first, skipping near-duplicates of the picks so far."""
    picked: list[int] = []
    for i in np.argsort(-value, kind="stable"):
        if picked and (features[picked] @ features[i].T).toarray().max() > DUPLICATE_SIMILARITY:
            continue
        picked.append(int(i))
        if len(picked) == n:
            break
    return picked


def _pick_diverse(value: np.ndarray, features: Any, n: int, diversity: float) -> list[int]:
    """Greedy maximal marginal relevance among the ``CANDIDATE_FACTOR * n`` most uncertain articles."""
    candidates = np.argsort(-value, kind="stable")[: max(n * CANDIDATE_FACTOR, n)]
    gain = value[candidates] / (value[candidates].max() or 1.0)
    similarity = (features[candidates] @ features[candidates].T).toarray()
    closest = np.zeros(len(candidates))
    chosen = np.zeros(len(candidates), dtype=bool)
    picked: list[int] = []
    for _ in range(min(n, len(candidates))):
        # Near-duplicates of a pick are out, as in the uncertainty strategy, unless nothing else is left.
        objective = np.where(chosen, -np.inf, gain - diversity * closest)
        fresh = np.where(closest > DUPLICATE_SIMILARITY, -np.inf, objective)
        objective = fresh if np.isfinite(fresh).any() else objective
        best = int(np.argmax(objective))
        chosen[best] = True
        picked.append(int(candidates[best]))
        closest = np.maximum(closest, similarity[best])
    return picked


def rank(
    scores: np.ndarray,
    thresholds: np.ndarray,
    features: Any,
    n: int,
    strategy: str = "uncertainty",
    diversity: float = 0.5,
    seed: int = 0,
) -> list[int]:
    """Indices of the ``n`` articles to label next, best first.

    Parameters
    ----------
    scores : ndarray of shape (n_articles, n_topics)
    thresholds : ndarray of shape (n_topics,)
    features : sparse matrix of shape (n_articles, n_features)
        L2-normalised rows (cosine similarity = dot product).
    n : int
    strategy : {"uncertainty", "diverse", "random"}
    diversity : float
        Weight of the similarity penalty of ``diverse``.
    seed : int
        Seed of ``random``.
    """
    if strategy not in STRATEGIES:
        raise ClassifierError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if strategy == "random":
        order = np.random.default_rng(seed).permutation(len(scores))
        return [int(i) for i in order[:n]]
    value = article_uncertainty(topic_uncertainty(scores, thresholds))
    if strategy == "diverse":
        return _pick_diverse(value, features, n, diversity)
    return _pick_uncertain(value, features, n)


def reason(scores: np.ndarray, thresholds: np.ndarray, topics: Sequence[str], limit: int = 2) -> str:
    """Why an article was picked: its most unsure topics with score and threshold."""
    per_topic = topic_uncertainty(scores[None, :], thresholds)[0]
    parts = [f"{topics[j]} {scores[j]:.2f}~{thresholds[j]:.2f}" for j in np.argsort(-per_topic)[:limit]]
    return "unsure: " + ", ".join(parts)


def suggest(
    pipeline: Any,
    articles: Sequence[Article],
    n: int = 50,
    strategy: str = "uncertainty",
    exclude: set[str] | frozenset[str] = frozenset(),
    seed: int = 0,
) -> list[dict[str, Any]]:
    """The ``n`` articles to label next, as records usable as a ``classifier label`` source.

    Returns
    -------
    list of dict
        ``rank``, ``id``, ``title``, ``text`` (and ``date`` when known), ``model_topics`` (the
        model's guess), ``scores`` per topic, ``uncertainty`` and a readable ``reason``.
    """
    pool = [a for a in articles if a.id not in exclude]
    if not pool:
        raise ClassifierError("no unlabelled articles left in the pool")
    classifier = pipeline[-1]
    topics = [str(t) for t in classifier.classes_]
    thresholds = np.asarray(classifier.thresholds_)
    scores, features = score_articles(pipeline, pool)
    if getattr(classifier, "abstains", False):
        # The guess shown is the model's decision, its abstention model included (one more feature pass).
        guesses = classifier.assign(
            scores, p_empty=classifier.empty_proba(pipeline[:-1].transform([a.full_text for a in pool]))
        )
    else:
        guesses = classifier.assign(scores)
    value = article_uncertainty(topic_uncertainty(scores, thresholds))
    out = []
    for position, i in enumerate(rank(scores, thresholds, features, n, strategy, seed=seed), start=1):
        article = pool[i]
        record: dict[str, Any] = {"rank": position, "id": article.id, "title": article.title, "text": article.text}
        if "date" in article.extra:
            record["date"] = article.extra["date"]
        # Not "topics": that is the label field, and a model's guess must never pass for a label.
        record["model_topics"] = guesses[i]
        record["scores"] = {t: round(float(s), 4) for t, s in zip(topics, scores[i], strict=True)}
        record["uncertainty"] = round(float(value[i]), 4)
        record["reason"] = reason(scores[i], thresholds, topics) if strategy != "random" else "random sample"
        out.append(record)
    return out


def labelled_ids(store: LabelJournal) -> set[str]:
    """Ids a suggestion must leave out: labelled in any label file beside the store, or decided (even skipped) in its journal."""
    records, _ = read_label_records(sorted(store.path.parent.glob("*.jsonl")))
    return {str(r.record.get("id")) for r in records} | set(store.latest())
