"""Evaluation: a fitted model on a labelled test set, a training recipe by K-fold cross-validation, the report table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import KFold

from classifier.article import Article
from classifier.errors import ClassifierError
from classifier.metrics import compute_metrics
from classifier.model.estimator import scores_and_topics
from classifier.model.training import Recipe


def evaluate_pipeline(pipeline: Any, articles: Sequence[Article]) -> dict[str, Any]:
    """Metrics of a fitted pipeline on labelled articles."""
    scores, predicted = scores_and_topics(pipeline, [a.full_text for a in articles])
    topics = [str(t) for t in pipeline[-1].classes_]
    return compute_metrics([a.topics or [] for a in articles], predicted, scores, topics)


@dataclass
class Fold:
    """One fold of a K-fold split: its number and the positions of its training and held-out articles."""

    number: int
    train: np.ndarray
    held: np.ndarray


@dataclass
class OutOfFold:
    """Held-out predictions of every article, each made by a model that never saw it.

    Attributes
    ----------
    scores : ndarray of shape (n_articles, n_topics)
    predicted : list of ``n_articles`` topic lists
    fits : list of FittedRecipe
        What each fold's training gave, in fold order (e.g. the term-prior weight it chose).
    fold_of : ndarray of shape (n_articles,)
        The fold that held each article out (an index into ``fits``).
    """

    scores: np.ndarray
    predicted: list[list[str]]
    fits: list[Any] = field(default_factory=list)
    fold_of: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))


def out_of_fold(
    articles: Sequence[Article],
    topics: Sequence[str],
    fit: Callable[[Fold], Any],
    folds: int = 5,
    random_state: int = 0,
    on_fold: Callable[[], None] | None = None,
) -> OutOfFold:
    """Cut ``articles`` into K shuffled folds; for each, ``fit(fold)`` and score the held-out articles.

    Parameters
    ----------
    articles : sequence of Article
        The articles to score, each exactly once.
    topics : sequence of str
        The score columns (the fitted models' topics).
    fit : callable
        Given a :class:`Fold`, returns a :class:`~classifier.model.training.FittedRecipe` that
        must not have seen ``fold.held``. It decides what it trains on: the other folds, plus
        for example seed labels, or another model's own labels minus the held-out ids.
    folds, random_state : int
        The ``KFold`` split (shuffled); the same numbers give the same folds.
    on_fold : callable or None
        Called after each fold (for a progress display).

    Raises
    ------
    ClassifierError
        When ``folds`` is out of range, or a training fold cannot be fitted (e.g. it holds one
        example of a rare topic).
    """
    if folds < 2 or folds > len(articles):
        raise ClassifierError(f"need 2 <= folds <= {len(articles)} (the number of articles), got {folds}")
    scores = np.zeros((len(articles), len(topics)))
    predicted: list[list[str]] = [[] for _ in articles]
    fits = []
    fold_of = np.zeros(len(articles), dtype=int)
    splitter = KFold(n_splits=folds, shuffle=True, random_state=random_state)
    for number, (train, held) in enumerate(splitter.split(np.arange(len(articles)))):
        try:
            fitted = fit(Fold(number, train, held))
        except ValueError as error:
            raise ClassifierError(f"cannot cross-validate with {folds} folds: {error}") from None
        fold_scores, fold_topics = scores_and_topics(fitted.pipeline, [articles[i].full_text for i in held])
        scores[held] = fold_scores
        fold_of[held] = number
        for i, tags in zip(held, fold_topics, strict=True):
            predicted[i] = tags
        fits.append(fitted)
        if on_fold is not None:
            on_fold()
    return OutOfFold(scores, predicted, fits, fold_of)


def recipe_out_of_fold(
    articles: Sequence[Article],
    recipe: Recipe,
    folds: int = 5,
    random_state: int = 0,
    extra_training: Sequence[Article] = (),
    on_fold: Callable[[], None] | None = None,
) -> OutOfFold:
    """:func:`out_of_fold` of a training recipe: each fold fitted on the other folds (plus ``extra_training``)."""
    return out_of_fold(
        articles,
        recipe.topics,
        lambda fold: recipe.fit([articles[i] for i in fold.train] + list(extra_training)),
        folds=folds,
        random_state=random_state,
        on_fold=on_fold,
    )


def cross_validate(articles: Sequence[Article], recipe: Recipe, **options: Any) -> dict[str, Any]:
    """K-fold cross-validation of a training recipe: fit on K-1 folds, score the held-out one.

    Thresholds (and the term-prior weight) are chosen inside each training fold by the recipe
    itself, never on the held-out fold. ``options`` are :func:`recipe_out_of_fold`'s (``folds``,
    ``random_state``, ``extra_training``: articles that join every training fold and are never
    scored, e.g. seed labels when cross-validating over newly labelled data; ``on_fold``).

    Returns
    -------
    dict
        :func:`~classifier.metrics.compute_metrics` of the pooled held-out predictions, plus
        ``folds`` and ``prior_weights`` (the weight each fold's training chose).
    """
    result = recipe_out_of_fold(articles, recipe, **options)
    report = compute_metrics([a.topics or [] for a in articles], result.predicted, result.scores, recipe.topics)
    report["folds"] = len(result.fits)
    report["prior_weights"] = [f.prior_weight for f in result.fits]
    return report


def split_by_date(
    by_file: dict[Path, list[Article]], cut: date, train_undated: bool = False
) -> tuple[list[Article], list[Article]]:
    """Labelled articles dated before ``cut`` (to train on) and on or after it (to test on).

    Parameters
    ----------
    by_file : dict of Path to list of Article
        The labelled articles, by the label file they came from (for the error message).
    cut : date
    train_undated : bool
        Train on articles without a date (e.g. the seed pages) instead of refusing them.

    Raises
    ------
    ClassifierError
        When articles have no date (how many, in which files), or one side is empty.
    """
    before: list[Article] = []
    after: list[Article] = []
    undated: dict[Path, int] = {}
    for path, articles in by_file.items():
        for article in articles:
            day = article.date
            if day is None:
                undated[path] = undated.get(path, 0) + 1
                if train_undated:
                    before.append(article)
            elif day < cut:
                before.append(article)
            else:
                after.append(article)
    if undated and not train_undated:
        where = ", ".join(f"{path}: {n}" for path, n in undated.items())
        raise ClassifierError(
            f"{sum(undated.values())} labelled articles have no date ({where}); a time split needs one on each "
            "(or --train-undated to train on them)"
        )
    if not after:
        raise ClassifierError(f"no labelled article is dated on or after {cut}; nothing to test on")
    if not before:
        raise ClassifierError(f"no labelled article is dated before {cut}; nothing to train on")
    return before, after


def evaluate_forward(before: Sequence[Article], after: Sequence[Article], recipe: Recipe) -> tuple[Any, dict[str, Any]]:
    """Train the recipe on the earlier articles and measure it on the later ones: accuracy forward in time.

    Returns
    -------
    fitted : FittedRecipe
    report : dict
        :func:`~classifier.metrics.compute_metrics` on the later articles, plus ``n_train``,
        ``train_dates`` and ``test_dates`` (first and last date of each side, when known).
    """
    from classifier.model.training import check_trainable

    check_trainable(before, recipe.topics)
    fitted = recipe.fit(before)
    report = evaluate_pipeline(fitted.pipeline, after)
    report["n_train"] = len(before)
    for side, articles in (("train_dates", before), ("test_dates", after)):
        days = sorted(d for d in (a.date for a in articles) if d is not None)
        report[side] = [str(days[0]), str(days[-1])] if days else None
    report["prior_weight"] = fitted.prior_weight
    return fitted, report


def format_report(report: dict[str, Any], style: str = "table") -> str:
    """A report as a readable table (``table``) or a Markdown table (``markdown``), with 95% intervals when it has them."""
    rows = [
        (topic, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
        for topic, m in report["per_topic"].items()
    ]
    header = ("topic", "precision", "recall", "f1", "support")
    keys = ["micro_f1", "macro_f1", "samples_f1", "top1_accuracy", "subset_accuracy", "empty_precision", "empty_recall"]
    summary = [(key, report[key]) for key in keys if key in report]
    intervals = report.get("intervals", {})
    if style == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        lines += ["", "| metric | value |", "|---|---|"]
        lines += [
            f"| {name} | {value:.3f}"
            + (f" ({intervals[name][0]:.3f}-{intervals[name][1]:.3f})" if name in intervals else "")
            + " |"
            for name, value in summary
        ]
        lines.append(f"\n{report['n_articles']} articles")
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row) for row in rows]
    lines.append("")
    for name, value in summary:
        interval = f"  (95% {intervals[name][0]:.3f}-{intervals[name][1]:.3f})" if name in intervals else ""
        lines.append(f"{name:<16} {value:.3f}{interval}")
    lines.append(f"{'articles':<16} {report['n_articles']}")
    return "\n".join(lines)
