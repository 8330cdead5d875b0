"""Two model versions side by side: metrics per topic on the same articles, and what changed.

Two ways to get "the same articles":

* a labelled test file (``--test``): both fitted models score it as they are;
* cross-validation on the labels: each model's training labels are rebuilt (and checked against
  the model's data fingerprint), the union of both is cut into K folds, and for every fold each
  model's recipe (as its ``meta.json`` records it) is refitted on its own training labels minus
  that fold and scores the fold.
  Gold topics are the newest labels, so a corrected label counts against the old model.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from classifier.article import Article
from classifier.errors import ClassifierError
from classifier.evaluation.evaluate import out_of_fold
from classifier.evaluation.report import Scored, build_report, scored_model, scored_out_of_fold
from classifier.labelling.journal import LabelJournal
from classifier.locations import from_project
from classifier.metrics import compute_metrics
from classifier.model.store import LoadedModel
from classifier.model.training import Recipe, data_fingerprint
from classifier.reading.labels import load_labelled_articles
from classifier.taxonomy import load_taxonomy

SUMMARY = ("micro_f1", "macro_f1", "top1_accuracy", "subset_accuracy", "empty_precision")


def _report(
    gold: Sequence[Article], predictions: dict[str, tuple[np.ndarray, list[list[str]]]], topics: dict[str, list[str]]
) -> dict[str, Any]:
    """Metrics per model and the articles whose predicted topics differ between the two."""
    names = list(predictions)
    metrics = {
        name: compute_metrics([a.topics or [] for a in gold], tags, scores, topics[name])
        for name, (scores, tags) in predictions.items()
    }
    (_, tags_a), (_, tags_b) = predictions[names[0]], predictions[names[1]]
    changed = [
        {
            "id": article.id,
            "title": article.title,
            "gold": sorted(article.topics or []),
            names[0]: sorted(a),
            names[1]: sorted(b),
        }
        for article, a, b in zip(gold, tags_a, tags_b, strict=True)
        if sorted(a) != sorted(b)
    ]
    return {"models": names, "n_articles": len(gold), "metrics": metrics, "changed": changed}


def _check_distinct(a: LoadedModel, b: LoadedModel) -> None:
    # Results are keyed by version name: two models of one name would collapse into one.
    if a.path.name == b.path.name:
        raise ClassifierError(f"both models are named {a.path.name}; compare two different versions")


def compare_on_test(
    a: LoadedModel, b: LoadedModel, articles: Sequence[Article], detail: bool = False, source: str = "test file"
) -> dict[str, Any]:
    """Both models on the same labelled articles.

    With ``detail``, ``report`` holds the whole accuracy report of B with A beside it
    (:func:`~classifier.evaluation.report.build_report`; both models must have the same topics).
    """
    _check_distinct(a, b)
    scored = {m.path.name: scored_model(m, articles) for m in (a, b)}
    report = _report(
        articles, {n: (s.scores, s.predicted) for n, s in scored.items()}, {m.path.name: m.topics for m in (a, b)}
    )
    report["method"] = "test file"
    if detail:
        report["report"] = build_report(articles, scored[b.path.name], source, other=scored[a.path.name])
    return report


def training_labels(model: LoadedModel, stores: Sequence[LabelJournal] = ()) -> list[Article]:
    """The labelled articles a model was trained on, checked against its data fingerprint.

    First the model's label files as they are now; when that does not reproduce the fingerprint
    (labels were added or corrected since), each journalled label file is replaced by its
    journal's state at the model's creation time.

    Raises
    ------
    ClassifierError
        When neither reproduces the model's fingerprint.
    """
    sources = [str(from_project(s["path"] if isinstance(s, dict) else s)) for s in model.meta.get("label_sources", [])]
    fingerprint = model.meta.get("data_fingerprint")
    try:
        articles = load_labelled_articles(sources, topics=None)
        if data_fingerprint(articles) == fingerprint:
            return articles
    except ClassifierError:
        pass
    journalled = {str(store.path.resolve()): store for store in stores}
    created = datetime.fromisoformat(model.meta["created"])
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for n, source in enumerate(sources):
            store = journalled.get(str(Path(source).resolve()))
            if store is None:
                files.append(source)
                continue
            records = store.snapshot(created)
            if records:
                path = Path(tmp) / f"{n}-{Path(source).name}"
                path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
                files.append(str(path))
        try:
            articles = load_labelled_articles(files, topics=None) if files else []
        except ClassifierError:
            articles = []
    if articles and data_fingerprint(articles) == fingerprint:
        return articles
    raise ClassifierError(
        f"{model.path.name}: its training labels cannot be rebuilt (the label files changed since); "
        "compare on a labelled test file with --test"
    )


def compare_by_cv(
    a: LoadedModel,
    b: LoadedModel,
    train_a: Sequence[Article],
    train_b: Sequence[Article],
    folds: int = 5,
    random_state: int = 0,
    detail: bool = False,
) -> dict[str, Any]:
    """Refit each model's recipe per fold on its own labels minus the fold; score the fold with both.

    With ``detail``, ``report`` holds the whole accuracy report of B's out-of-fold scores with A's beside.
    """
    _check_distinct(a, b)
    taxonomy = load_taxonomy()
    gold_by_id = {x.id: x for x in train_a}
    gold_by_id.update({x.id: x for x in train_b})  # the newer model's labels win
    if a.meta.get("created", "") > b.meta.get("created", ""):
        gold_by_id.update({x.id: x for x in train_a})
    gold = list(gold_by_id.values())
    predictions: dict[str, tuple[np.ndarray, list[list[str]]]] = {}
    scored: dict[str, Scored] = {}
    for model, training in ((a, train_a), (b, train_b)):
        recipe = Recipe.from_meta(model.meta, taxonomy)

        def fit(fold: Any, recipe: Recipe = recipe, training: Sequence[Article] = training) -> Any:
            held = {gold[i].id for i in fold.held}
            return recipe.fit([x for x in training if x.id not in held])

        try:
            result = out_of_fold(gold, model.topics, fit, folds=folds, random_state=random_state)
        except ClassifierError as error:  # a fold took too many of a rare topic's few examples
            raise ClassifierError(
                f"{model.path.name}: {error}; try fewer --folds or compare on a test file with --test"
            ) from None
        predictions[model.path.name] = (result.scores, result.predicted)
        scored[model.path.name] = scored_out_of_fold(model.path.name, model.topics, result, gold, model.meta)
    report = _report(gold, predictions, {m.path.name: m.topics for m in (a, b)})
    report["method"] = f"{folds}-fold cross-validation on both models' training labels"
    if detail:
        report["report"] = build_report(
            gold,
            scored[b.path.name],
            "both models' training labels",
            method=f"{folds}-fold cross-validation (out-of-fold scores, same folds for both)",
            other=scored[a.path.name],
        )
    return report


def format_comparison(report: dict[str, Any], max_changed: int = 20) -> str:
    """A side-by-side table: summary metrics, F1 per topic, then the articles whose tags changed."""
    a, b = report["models"]
    ma, mb = report["metrics"][a], report["metrics"][b]
    width = max(16, *(len(t) for t in {**ma["per_topic"], **mb["per_topic"]}))
    lines = [
        f"A = {a}",
        f"B = {b}",
        f"on {report['n_articles']} articles ({report['method']})",
        "",
        f"{'metric':<{width}} {'A':>7} {'B':>7} {'B-A':>7}",
    ]
    for key in SUMMARY:
        lines.append(f"{key:<{width}} {ma[key]:>7.3f} {mb[key]:>7.3f} {mb[key] - ma[key]:>+7.3f}")
    lines += ["", f"{'F1 per topic':<{width}} {'A':>7} {'B':>7} {'B-A':>7} {'support':>8}"]
    for topic in dict.fromkeys([*ma["per_topic"], *mb["per_topic"]]):
        fa = ma["per_topic"].get(topic, {}).get("f1", 0.0)
        fb = mb["per_topic"].get(topic, {}).get("f1", 0.0)
        support = (mb["per_topic"].get(topic) or ma["per_topic"][topic])["support"]
        lines.append(f"{topic:<{width}} {fa:>7.3f} {fb:>7.3f} {fb - fa:>+7.3f} {support:>8}")
    changed = report["changed"]
    lines += ["", f"{len(changed)} articles changed their tags (A -> B; gold in brackets):"]
    for row in changed[:max_changed]:
        mark = _better(row[a], row[b], row["gold"])
        lines.append(
            f"{mark} {row['id']:<24} {','.join(row[a]) or '-'} -> {','.join(row[b]) or '-'}  "
            f"[{','.join(row['gold']) or '-'}]  {row['title'][:24]}"
        )
    if len(changed) > max_changed:
        lines.append(f"  ... and {len(changed) - max_changed} more (--format json lists all)")
    lines.append("+ B closer to gold, - A closer, = neither")
    return "\n".join(lines)


def _better(a: Sequence[str], b: Sequence[str], gold: Sequence[str]) -> str:
    """Which side is closer to gold, by symmetric difference."""
    da, db = len(set(a) ^ set(gold)), len(set(b) ^ set(gold))
    return "+" if db < da else "-" if da < db else "="
