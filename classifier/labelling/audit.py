"""Hand labels the out-of-fold scores contradict most (likely labelling mistakes), ranked, for a second look.

Every labelled article is scored by a model trained on the other folds (the training recipe, with
thresholds chosen inside the fold), so a mistaken label cannot vouch for itself. An article's
*disagreement* is the largest ``|label - score|`` over its topics (label 1 or 0): with calibrated
scores, the model's probability that the label's most doubtful topic decision is wrong. Ties go to
``expected_wrong``, the sum over topics (the number of topic decisions the model expects wrong).
The maximum ranks labels flipped on purpose higher than the sum does, which favours articles
with many topics (``tests/labelling/test_audit.py``). The records carry the
article (``id``, ``title``, ``text``) and no ``topics`` field, so the JSONL is a source for
``classifier labels review`` and can never be mistaken for a label file; the hand label is in
``hand_topics``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifier.article import Article
from classifier.evaluation.evaluate import recipe_out_of_fold
from classifier.model.training import Recipe

#: A topic is disputed when label and score differ by at least this much.
DISPUTED = 0.5


def rank_disagreements(
    articles: Sequence[Article],
    topics: Sequence[str],
    scores: np.ndarray,
    predicted: Sequence[Sequence[str]],
    where: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The articles ordered by how much the scores contradict their labels, most first.

    Parameters
    ----------
    articles : labelled articles
    topics : score columns
    scores : ndarray (n_articles, n_topics)
        Out-of-fold scores.
    predicted : the out-of-fold decisions
    where : id -> ``file:line`` of the label, when known
    """
    labels = np.array([[t in (a.topics or []) for t in topics] for a in articles], dtype=float)
    gaps = np.abs(labels - scores)
    totals, largest = gaps.sum(1), gaps.max(1) if len(topics) else np.zeros(len(articles))
    order = np.lexsort((-totals, -largest))
    out = []
    for rank, i in enumerate(order.tolist(), start=1):
        article = articles[i]
        disputed = [
            {"topic": topics[j], "labelled": bool(labels[i, j]), "score": round(float(scores[i, j]), 4)}
            for j in np.argsort(-gaps[i], kind="stable").tolist()
            if gaps[i, j] >= DISPUTED
        ]
        out.append(
            {
                "rank": rank,
                "id": article.id,
                "title": article.title,
                "text": article.text,
                "hand_topics": list(article.topics or []),
                "model_topics": list(predicted[i]),
                "disagreement": round(float(largest[i]), 4),
                "expected_wrong": round(float(totals[i]), 4),
                "disputed": disputed,
                "label_at": (where or {}).get(article.id, ""),
            }
        )
    return out


def label_locations(files: Sequence[Path]) -> dict[str, str]:
    """Article id -> ``file:line`` of its label in the label files."""
    from classifier.reading.labels import read_label_records

    records, _ = read_label_records(files)
    return {str(r.record.get("id")): r.where for r in records if "topics" in r.record}


def audit_labels(
    articles: Sequence[Article],
    recipe: Recipe,
    files: Sequence[Path] = (),
    folds: int = 5,
    random_state: int = 0,
    limit: int | None = None,
    on_fold: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    """Cross-validate the recipe on the labels and rank the labels its out-of-fold scores contradict.

    Raises
    ------
    ClassifierError
        When the folds are out of range or a training fold cannot be fitted.
    """
    result = recipe_out_of_fold(articles, recipe, folds=folds, random_state=random_state, on_fold=on_fold)
    ranked = rank_disagreements(articles, recipe.topics, result.scores, result.predicted, label_locations(files))
    return ranked if limit is None else ranked[:limit]


def format_audit(rows: Sequence[dict[str, Any]]) -> str:
    """The ranking as a table: rank, disagreement, id, hand label -> the model's, the disputed topics, title."""
    lines = [f"{'#':>3} {'disagree':>8}  {'id':<26} {'hand -> model':<36} {'disputed (score)':<34} title"]
    for row in rows:
        change = f"{','.join(row['hand_topics']) or '-'} -> {','.join(row['model_topics']) or '-'}"
        disputed = " ".join(f"{'+' if d['labelled'] else '-'}{d['topic']} {d['score']:.2f}" for d in row["disputed"])
        lines.append(
            f"{row['rank']:>3} {row['disagreement']:>8.2f}  {row['id']:<26} {change:<36} {disputed:<34} {row['title'][:24]}"
        )
    lines.append(
        "disagreement: the largest |label - out-of-fold score| over the topics; disputed: +topic labelled but scored low, "
        "-topic not labelled but scored high"
    )
    return "\n".join(lines)
