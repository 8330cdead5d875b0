"""Everything an accuracy report shows, as one JSON-able dict: metrics with bootstrap intervals, curves, errors.

:func:`build_report` takes the gold topics and one model's scores on the same articles (and
optionally a second model's, for a comparison) and returns the dict that ``classifier evaluate
--format json`` prints and :mod:`classifier.evaluation.html` draws: the same numbers in both.
:func:`evaluate_model` (a model on a labelled test file) and :func:`evaluate_recipe` (the training
recipe by K-fold cross-validation) gather those scores.

Every metric that scikit-learn has comes from scikit-learn (``f1_score``,
``precision_recall_fscore_support``, ``precision_recall_curve``, ``average_precision_score``,
``calibration_curve``, ``multilabel_confusion_matrix``). The bootstrap intervals are the exception
that proves the rule: 1000 resamples of seven metrics through scikit-learn take about 18 s for 200
articles, so they are computed from per-article counts with one matrix product
(:func:`resampled_metrics`); ``tests/evaluation/test_report.py`` checks that function against
scikit-learn with ``sample_weight`` on the resample counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from classifier.article import Article
from classifier.errors import ClassifierError

#: The headline metrics, in the order the report shows them.
SUMMARY = (
    "micro_f1",
    "macro_f1",
    "samples_f1",
    "top1_accuracy",
    "subset_accuracy",
    "empty_precision",
    "empty_recall",
)
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 0
CALIBRATION_BINS = 10
#: Worst errors kept per topic and kind (confident false positives, missed topics).
ERRORS_PER_TOPIC = 3
SNIPPET_CHARS = 120
NONE = "none"

Explainer = Callable[[int, Sequence[str]], dict[str, list[list[Any]]]]


@dataclass
class Scored:
    """One model's output on the report's articles.

    Attributes
    ----------
    name : str
        The model version (or what was cross-validated).
    topics : list of str
        Score columns.
    scores : ndarray of shape (n_articles, n_topics)
    predicted : list of topic lists
        The model's own decisions (its thresholds applied).
    thresholds : dict
        Topic -> threshold (for cross-validation, the mean over the folds).
    meta : dict
        The model's ``meta.json`` (or what stands for it).
    explain : callable or None
        ``explain(article_index, topics)`` -> topic -> ``[[feature, contribution], ...]``, the
        terms ``tag --explain`` shows; asked only for the articles the report lists.
    """

    name: str
    topics: list[str]
    scores: np.ndarray
    predicted: list[list[str]]
    thresholds: dict[str, float]
    meta: dict[str, Any] = field(default_factory=dict)
    explain: Explainer | None = None


# --- metrics ---------------------------------------------------------------------------------


def indicators(topic_lists: Sequence[Sequence[str]], topics: Sequence[str]) -> np.ndarray:
    """Topic lists as a boolean indicator matrix, columns in ``topics`` order."""
    from sklearn.preprocessing import MultiLabelBinarizer

    binarizer = MultiLabelBinarizer(classes=list(topics))
    if not topic_lists:
        return np.zeros((0, len(topics)), dtype=bool)
    return binarizer.fit_transform([[t for t in lst if t in topics] for lst in topic_lists]).astype(bool)


def summary_metrics(gold: np.ndarray, predicted: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """The headline metrics by scikit-learn (top-1, which it has no multi-label form of, by argmax).

    Conventions as :func:`classifier.metrics.compute_metrics`: macro F1 over the topics with gold
    support; a ratio with nothing to count is 0; samples F1 counts an empty answer to an empty gold
    set as right.
    """
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    n = len(gold)
    supported = np.flatnonzero(gold.sum(0) > 0)
    has_gold, untagged = gold.any(1), ~predicted.any(1)
    top1 = gold[np.arange(n), scores.argmax(1)] if n else np.zeros(0, dtype=bool)
    return {
        "micro_f1": float(f1_score(gold, predicted, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(gold, predicted, average="macro", labels=supported, zero_division=0))
        if len(supported)
        else 0.0,
        "samples_f1": float(f1_score(gold, predicted, average="samples", zero_division=1.0)),
        "top1_accuracy": float(top1[has_gold].mean()) if has_gold.any() else 0.0,
        "subset_accuracy": float(accuracy_score(gold, predicted)),
        "empty_precision": float(precision_score(~has_gold, untagged, zero_division=0)),
        "empty_recall": float(recall_score(~has_gold, untagged, zero_division=0)),
    }


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(numerator, denominator, out=np.zeros_like(numerator, dtype=float), where=denominator > 0)


def resampled_metrics(
    weights: np.ndarray, gold: np.ndarray, predicted: np.ndarray, scores: np.ndarray
) -> dict[str, np.ndarray]:
    """The headline metrics and per-topic F1 of many resamples at once.

    Parameters
    ----------
    weights : ndarray of shape (n_resamples, n_articles)
        How many times each article is drawn in each resample.
    gold, predicted : boolean ndarrays of shape (n_articles, n_topics)
    scores : ndarray of shape (n_articles, n_topics)

    Returns
    -------
    dict
        Each key of :data:`SUMMARY` -> ndarray (n_resamples,), and ``f1`` -> (n_resamples, n_topics).
        With one row of ones, the same numbers as :func:`summary_metrics`.
    """
    w = weights.astype(float)
    tp, fp, fn = w @ (gold & predicted), w @ (~gold & predicted), w @ (gold & ~predicted)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    supported = (w @ gold) > 0
    n_gold, n_pred = gold.sum(1), predicted.sum(1)
    both_empty = (n_gold == 0) & (n_pred == 0)
    article_f1 = np.where(both_empty, 1.0, _ratio(2.0 * (gold & predicted).sum(1), n_gold + n_pred))
    has_gold, untagged = gold.any(1), ~predicted.any(1)
    top1 = gold[np.arange(len(gold)), scores.argmax(1)] if len(gold) else np.zeros(0, dtype=bool)
    total = w.sum(1)
    return {
        "micro_f1": _ratio(2 * tp.sum(1), (2 * tp + fp + fn).sum(1)),
        "macro_f1": _ratio((f1 * supported).sum(1), supported.sum(1).astype(float)),
        "samples_f1": _ratio(w @ article_f1, total),
        "top1_accuracy": _ratio(w @ (top1 & has_gold), w @ has_gold),
        "subset_accuracy": _ratio(w @ (gold == predicted).all(1), total),
        "empty_precision": _ratio(w @ (untagged & ~has_gold), w @ untagged),
        "empty_recall": _ratio(w @ (untagged & ~has_gold), w @ ~has_gold),
        "f1": f1,
    }


def bootstrap_weights(n: int, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> np.ndarray:
    """Resample counts (``resamples`` x ``n``): articles drawn with replacement, a fixed seed."""
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, n, size=(resamples, n))
    flat = (drawn + n * np.arange(resamples)[:, None]).ravel()
    return np.bincount(flat, minlength=resamples * n).reshape(resamples, n)


def _interval(values: np.ndarray) -> list[float]:
    low, high = np.percentile(values, [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)]


def _verdict(interval: Sequence[float]) -> str:
    """A difference whose 95% interval holds 0 is called within noise."""
    if interval[0] > 0:
        return "better"
    if interval[1] < 0:
        return "worse"
    return "within noise"


def calibration(truth: np.ndarray, scores: np.ndarray, bins: int = CALIBRATION_BINS) -> dict[str, Any]:
    """Reliability diagram in quantile bins (scikit-learn's ``calibration_curve``) and expected calibration error.

    The bin sizes, which the error weighs by and ``calibration_curve`` does not return, come from
    the same quantile edges it uses.
    """
    from sklearn.calibration import calibration_curve

    prob_true, prob_pred = calibration_curve(truth.astype(int), scores, n_bins=bins, strategy="quantile", pos_label=1)
    edges = np.percentile(scores, np.linspace(0, 100, bins + 1))
    counts = np.bincount(np.searchsorted(edges[1:-1], scores), minlength=bins)
    counts = counts[counts > 0]
    ece = float(np.sum(counts / counts.sum() * np.abs(prob_true - prob_pred)))
    return {
        "prob_pred": _rounded(prob_pred),
        "prob_true": _rounded(prob_true),
        "count": [int(c) for c in counts],
        "ece": round(ece, 4),
    }


def _rounded(values: np.ndarray, digits: int = 4) -> list[float]:
    return [round(float(v), digits) for v in values]


def topic_curves(truth: np.ndarray, scores: np.ndarray) -> dict[str, Any] | None:
    """Precision-recall curve, F1 at every threshold, the best cut and average precision (``None`` without support)."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    if not truth.any():
        return None
    precision, recall, thresholds = precision_recall_curve(truth, scores)
    # precision_recall_curve's last point (recall 0, precision 1) has no threshold.
    f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-12)
    best = int(np.argmax(f1))
    return {
        "precision": _rounded(precision),
        "recall": _rounded(recall),
        "thresholds": _rounded(thresholds),
        "f1_by_threshold": _rounded(f1),
        "best_threshold": round(float(thresholds[best]), 4),
        "best_f1": round(float(f1[best]), 4),
        "average_precision": round(float(average_precision_score(truth, scores)), 4),
    }


def per_topic(gold: np.ndarray, run: Scored, f1_samples: np.ndarray) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per topic: the table row (precision, recall, F1 with interval, support, AP, threshold, ECE) and the curves."""
    from sklearn.metrics import multilabel_confusion_matrix, precision_recall_fscore_support

    predicted = indicators(run.predicted, run.topics)
    precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, average=None, zero_division=0)
    confusion = multilabel_confusion_matrix(gold, predicted)
    rows, curves = {}, {}
    for j, topic in enumerate(run.topics):
        curve = topic_curves(gold[:, j], run.scores[:, j])
        reliability = calibration(gold[:, j], run.scores[:, j])
        (tn, fp), (fn, tp) = confusion[j].tolist()
        rows[topic] = {
            "precision": float(precision[j]),
            "recall": float(recall[j]),
            "f1": float(f1[j]),
            "f1_interval": _interval(f1_samples[:, j]),
            "support": int(support[j]),
            "predicted": int(predicted[:, j].sum()),
            "average_precision": curve["average_precision"] if curve else None,
            "threshold": round(float(run.thresholds.get(topic, 0.5)), 4),
            "best_threshold": curve["best_threshold"] if curve else None,
            "best_f1": curve["best_f1"] if curve else None,
            "ece": reliability["ece"],
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "tn": tn,
        }
        curves[topic] = {"pr": curve, "calibration": reliability}
    return rows, curves


def topic_matrix(gold: np.ndarray, predicted: np.ndarray, topics: Sequence[str]) -> dict[str, Any]:
    """Gold topic x predicted topic counts, ``none`` included: cell (g, p) counts articles with gold g tagged p."""
    gold_x = np.column_stack([gold, ~gold.any(1)]).astype(int)
    pred_x = np.column_stack([predicted, ~predicted.any(1)]).astype(int)
    labels = [*topics, NONE]
    return {"gold": labels, "predicted": labels, "counts": (gold_x.T @ pred_x).tolist()}


# --- articles --------------------------------------------------------------------------------


def _article_row(
    article: Article, index: int, run: Scored, topic: str, gold: list[str], explanations: dict[str, Any]
) -> dict[str, Any]:
    scores = dict(zip(run.topics, run.scores[index].tolist(), strict=True))
    top = sorted(scores, key=lambda t: -scores[t])[:3]
    snippet = " ".join(article.text.split())[:SNIPPET_CHARS]
    return {
        "id": article.id,
        "title": article.title,
        "snippet": snippet,
        "gold": gold,
        "predicted": list(run.predicted[index]),
        "score": round(scores[topic], 4),
        "top_scores": {t: round(scores[t], 4) for t in top},
        "explain": explanations.get(topic, []),
    }


def worst_errors(
    articles: Sequence[Article], gold: np.ndarray, run: Scored, per_kind: int = ERRORS_PER_TOPIC
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Per topic, the most confident false positives (highest score) and the missed topics (lowest score)."""
    predicted = indicators(run.predicted, run.topics)
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for j, topic in enumerate(run.topics):
        column = run.scores[:, j]
        false_pos = np.flatnonzero(~gold[:, j] & predicted[:, j])
        missed = np.flatnonzero(gold[:, j] & ~predicted[:, j])
        chosen = {
            "false_positives": false_pos[np.argsort(-column[false_pos], kind="stable")][:per_kind],
            "missed": missed[np.argsort(column[missed], kind="stable")][:per_kind],
        }
        out[topic] = {}
        for kind, indices in chosen.items():
            rows = []
            for i in indices.tolist():
                explanations = run.explain(i, [topic]) if run.explain else {}
                gold_topics = [run.topics[k] for k in np.flatnonzero(gold[i])]
                rows.append(_article_row(articles[i], i, run, topic, gold_topics, explanations))
            out[topic][kind] = rows
    return out


# --- the report ------------------------------------------------------------------------------


def _header(run: Scored, test: str, articles: Sequence[Article], gold: np.ndarray, method: str) -> dict[str, Any]:
    meta = run.meta
    return {
        "model": run.name,
        "created": meta.get("created"),
        "data_fingerprint": meta.get("data_fingerprint"),
        "training_articles": meta.get("n_articles"),
        "training_counts": meta.get("counts", {}),
        "test": test,
        "method": method,
        "test_articles": len(articles),
        "test_counts": {t: int(c) for t, c in zip(run.topics, gold.sum(0).tolist(), strict=True)}
        | {"(none)": int((~gold.any(1)).sum())},
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "thresholds": {t: round(float(run.thresholds.get(t, 0.5)), 4) for t in run.topics},
        "bootstrap": {"resamples": BOOTSTRAP_RESAMPLES, "seed": BOOTSTRAP_SEED, "level": 0.95},
    }


def _aligned(other: Scored, topics: list[str]) -> Scored:
    """``other`` with its score columns in ``topics`` order; refused when its topics differ."""
    if sorted(other.topics) != sorted(topics):
        raise ClassifierError(
            f"{other.name} has other topics ({', '.join(other.topics)}) than the model evaluated "
            f"({', '.join(topics)}); compare models of the same topics"
        )
    order = [other.topics.index(t) for t in topics]
    thresholds = {t: other.thresholds.get(t, 0.5) for t in topics}
    return Scored(
        other.name, list(topics), other.scores[:, order], other.predicted, thresholds, other.meta, other.explain
    )


def _change(before: Sequence[str], after: Sequence[str], gold: Sequence[str]) -> str:
    """``fixed`` when the new tags are closer to gold (symmetric difference), ``broken`` when further, else ``changed``."""
    d_before, d_after = len(set(before) ^ set(gold)), len(set(after) ^ set(gold))
    return "fixed" if d_after < d_before else "broken" if d_after > d_before else "changed"


def comparison(
    articles: Sequence[Article],
    gold: np.ndarray,
    run: Scored,
    other: Scored,
    weights: np.ndarray,
    resampled: dict[str, np.ndarray],
    summary: dict[str, float],
) -> dict[str, Any]:
    """``run`` (B) against ``other`` (A) on the same articles: paired bootstrap deltas and the changed articles."""
    other_pred = indicators(other.predicted, run.topics)
    other_summary = summary_metrics(gold, other_pred, other.scores)
    other_resampled = resampled_metrics(weights, gold, other_pred, other.scores)
    metrics = {}
    for key in SUMMARY:
        interval = _interval(resampled[key] - other_resampled[key])
        metrics[key] = {
            "a": other_summary[key],
            "b": summary[key],
            "delta": summary[key] - other_summary[key],
            "interval": interval,
            "verdict": _verdict(interval),
        }
    from sklearn.metrics import f1_score

    f1_a = f1_score(gold, other_pred, average=None, zero_division=0)
    f1_b = f1_score(gold, indicators(run.predicted, run.topics), average=None, zero_division=0)
    topics = {}
    for j, topic in enumerate(run.topics):
        interval = _interval(resampled["f1"][:, j] - other_resampled["f1"][:, j])
        topics[topic] = {
            "f1_a": float(f1_a[j]),
            "f1_b": float(f1_b[j]),
            "delta": float(f1_b[j] - f1_a[j]),
            "interval": interval,
            "verdict": _verdict(interval),
            "support": int(gold[:, j].sum()),
        }
    changed = []
    for i, article in enumerate(articles):
        before, after = sorted(other.predicted[i]), sorted(run.predicted[i])
        if before == after:
            continue
        gold_topics = sorted(run.topics[k] for k in np.flatnonzero(gold[i]))
        changed.append(
            {
                "id": article.id,
                "title": article.title,
                "gold": gold_topics,
                "a": before,
                "b": after,
                "change": _change(before, after, gold_topics),
            }
        )
    return {
        "a": other.name,
        "b": run.name,
        "a_created": other.meta.get("created"),
        "a_data_fingerprint": other.meta.get("data_fingerprint"),
        "metrics": metrics,
        "per_topic": topics,
        "changed": changed,
        "fixed": sum(c["change"] == "fixed" for c in changed),
        "broken": sum(c["change"] == "broken" for c in changed),
    }


def build_report(
    articles: Sequence[Article],
    run: Scored,
    test: str,
    method: str = "test file",
    other: Scored | None = None,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> dict[str, Any]:
    """The whole report of ``run`` on labelled ``articles`` (and ``other`` beside it), as JSON-able data.

    Top-level keys: the headline metrics of :data:`SUMMARY` plus ``n_articles`` (as
    :func:`classifier.metrics.compute_metrics` names them), ``intervals`` (95% bootstrap over
    articles), ``per_topic``, ``header``, ``curves`` (per topic: ``pr``, ``calibration``),
    ``matrix`` (gold x predicted), ``errors`` (worst per topic) and, with ``other``,
    ``comparison``.

    Raises
    ------
    ClassifierError
        When there are no articles, or ``other`` has other topics.
    """
    if not articles:
        raise ClassifierError(f"{test}: no articles to evaluate on")
    gold = indicators([a.topics or [] for a in articles], run.topics)
    predicted = indicators(run.predicted, run.topics)
    summary = summary_metrics(gold, predicted, run.scores)
    weights = bootstrap_weights(len(articles), resamples)
    resampled = resampled_metrics(weights, gold, predicted, run.scores)
    rows, curves = per_topic(gold, run, resampled["f1"])
    report: dict[str, Any] = {"n_articles": len(articles), **summary}
    report["intervals"] = {key: _interval(resampled[key]) for key in SUMMARY}
    report["per_topic"] = rows
    report["header"] = _header(run, test, articles, gold, method)
    report["curves"] = curves
    report["matrix"] = topic_matrix(gold, predicted, run.topics)
    report["errors"] = worst_errors(articles, gold, run)
    if other is not None:
        aligned = _aligned(other, run.topics)
        report["comparison"] = comparison(articles, gold, run, aligned, weights, resampled, summary)
    return report


# --- where the scores come from ---------------------------------------------------------------


def _pipeline_explainer(pipelines: Callable[[int], Any], articles: Sequence[Article]) -> Explainer:
    """Explanations by the tagger of the pipeline that scored each article (built once per pipeline)."""
    from classifier.tagging.tagger import Tagger

    taggers: dict[int, Tagger] = {}

    def explain(index: int, topics: Sequence[str]) -> dict[str, list[list[Any]]]:
        pipeline = pipelines(index)
        key = id(pipeline)
        if key not in taggers:
            taggers[key] = Tagger(_HasPipeline(pipeline))
        return taggers[key].reasons(articles[index], topics)

    return explain


@dataclass
class _HasPipeline:
    pipeline: Any


def scored_model(loaded: Any, articles: Sequence[Article]) -> Scored:
    """A loaded model's scores and decisions on ``articles`` (one feature pass), with its explanations."""
    from classifier.model.estimator import scores_and_topics

    scores, predicted = scores_and_topics(loaded.pipeline, [a.full_text for a in articles])
    topics = [str(t) for t in loaded.pipeline[-1].classes_]
    thresholds = dict(zip(topics, np.asarray(loaded.pipeline[-1].thresholds_).tolist(), strict=True))
    return Scored(
        name=loaded.path.name,
        topics=topics,
        scores=scores,
        predicted=predicted,
        thresholds=thresholds,
        meta=loaded.meta,
        explain=_pipeline_explainer(lambda _: loaded.pipeline, articles),
    )


def evaluate_model(
    model: Path | str | None, test: Path | str, compare: Path | str | None = None, trust_pickle: bool = False
) -> dict[str, Any]:
    """The report of a model on a labelled test file, with ``compare`` (another model) beside it when given.

    Raises
    ------
    ClassifierError
        An empty test file, a topic the model does not know, a comparison model of other topics.
    """
    from classifier.model.store import load_model
    from classifier.reading.reader import read_labelled

    loaded = load_model(model, trust_pickle=trust_pickle)
    other = load_model(compare, trust_pickle=trust_pickle) if compare is not None else None
    if other is not None and sorted(other.topics) != sorted(loaded.topics):
        raise ClassifierError(
            f"--compare {other.path.name} has other topics ({', '.join(other.topics)}) than "
            f"{loaded.path.name} ({', '.join(loaded.topics)}); compare models of the same topics"
        )
    articles = read_labelled(test, topics=loaded.topics)
    if not articles:
        raise ClassifierError(f"{test}: no articles to evaluate on")
    run = scored_model(loaded, articles)
    report = build_report(articles, run, str(test), other=scored_model(other, articles) if other is not None else None)
    report["model"] = loaded.path.name
    report["test"] = str(test)
    return report


def scored_out_of_fold(
    name: str, topics: Sequence[str], result: Any, articles: Sequence[Article], meta: dict[str, Any]
) -> Scored:
    """Out-of-fold scores (an :class:`~classifier.evaluation.evaluate.OutOfFold`) as a :class:`Scored`.

    The thresholds shown are the mean of the folds' (each fold's model decides with its own);
    explanations come from the model of the fold that held the article out.
    """
    mean_thresholds = np.mean([np.asarray(f.pipeline[-1].thresholds_) for f in result.fits], axis=0)
    return Scored(
        name=name,
        topics=list(topics),
        scores=result.scores,
        predicted=result.predicted,
        thresholds=dict(zip(topics, mean_thresholds.tolist(), strict=True)),
        meta=meta,
        explain=_pipeline_explainer(lambda i: result.fits[result.fold_of[i]].pipeline, articles),
    )


def evaluate_recipe(
    articles: Sequence[Article],
    recipe: Any,
    folds: int = 5,
    random_state: int = 0,
    source: str = "labels",
    on_fold: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """The report of the training recipe by K-fold cross-validation (out-of-fold scores of every article)."""
    from classifier.evaluation.evaluate import recipe_out_of_fold
    from classifier.model.training import data_fingerprint

    result = recipe_out_of_fold(articles, recipe, folds=folds, random_state=random_state, on_fold=on_fold)
    topics = list(recipe.topics)
    counts = {t: int(sum(t in (a.topics or []) for a in articles)) for t in topics}
    counts["(none)"] = sum(not a.topics for a in articles)
    meta = {
        "data_fingerprint": data_fingerprint(articles),
        "n_articles": len(articles),
        "counts": counts,
        "created": None,
    }
    run = scored_out_of_fold(f"recipe, {folds}-fold cross-validation", topics, result, articles, meta)
    report = build_report(articles, run, source, method=f"{folds}-fold cross-validation (out-of-fold scores)")
    report["folds"] = folds
    report["prior_weights"] = [f.prior_weight for f in result.fits]
    return report


def forward_report(
    before: Sequence[Article], after: Sequence[Article], recipe: Any, cut: Any, source: str
) -> dict[str, Any]:
    """The report of the recipe trained on the earlier articles and tested on the later ones (forward in time).

    Besides :func:`build_report`'s keys: ``n_train``, ``train_dates`` and ``test_dates`` (first and
    last date of each side), ``time_split`` and ``prior_weight``.
    """
    from classifier.evaluation.evaluate import evaluate_forward
    from classifier.model.store import LoadedModel

    fitted, basics = evaluate_forward(before, after, recipe)
    meta = {"topics": list(recipe.topics), "version": f"trained before {cut}", "n_articles": len(before)}
    loaded = LoadedModel(pipeline=fitted.pipeline, meta=meta, path=Path(f"trained-before-{cut}"))
    report = build_report(after, scored_model(loaded, after), source, method=f"forward in time: trained before {cut}")
    report.update({k: basics[k] for k in ("n_train", "train_dates", "test_dates", "prior_weight")})
    report["time_split"] = str(cut)
    return report
