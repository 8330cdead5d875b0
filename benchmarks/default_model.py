"""The shipped default recipe trained on every hand label: its K-fold accuracy and its learning curve.

The default model is the default recipe (term lists of ``labels/taxonomy.toml`` + self-training
on unlabelled news, :class:`classifier.model.training.Recipe`) trained on all hand labels:

* labels: the project's seed labels (``labels/seed_labels.jsonl``), ``xwlb/dev.jsonl`` and
  ``xwlb/recent.jsonl`` (50 + 200 + 300 articles);
* unlabelled: ``xwlb/pool.jsonl`` and ``xwlb/recent-pool.jsonl``, read as ``train --unlabelled``
  reads them (:func:`classifier.model.training.load_unlabelled`: oldest first, the recipe keeps
  the newest 2000).

This script measures that training, it chooses nothing:

(a) K-fold cross-validation over all the labels (``classifier.evaluation.evaluate.cross_validate``,
    5 folds, every label in the folds), repeated over 3 fold shufflings; the table gives the median
    of each figure over the shufflings (and the range).
(b) A learning curve: the out-of-fold predictions (pooled held-out folds, one shuffling, via
    ``classifier.evaluation.evaluate.out_of_fold``) of models trained on the first N labels of a
    seeded random order of each training fold (nested in N). N = 0 (term lists alone) cannot be
    trained: thresholds and calibration are fitted on hand labels, and ``Recipe.fit`` needs two
    labels each way per topic. The first point is therefore the smallest trainable prefix: the
    shortest prefix of the order with two articles with, and two without, each topic.

Writes ``results/default_model.md`` (the tables, the command, the time and load) and
``results/default_learning_curve.png`` (matplotlib, a benchmark-only dependency).

Run::

    python benchmarks/default_model.py                                   # the full run
    python benchmarks/default_model.py --shuffles 1 --sizes 100 --folds 3 --max-unlabelled 200 \\
        --out-dir /tmp/default-model                                     # a smoke run

``--max-unlabelled`` reads only the newest N unlabelled articles (a smoke-run shortcut: the
recipe itself keeps 2000). The shared data is read in place (``$CLASSIFIER_SHARED_DATA``, else
``../shared/data``).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifier.article import Article, topic_counts
from classifier.evaluation.evaluate import Fold, cross_validate, out_of_fold
from classifier.locations import project_relative, seed_labels_file, shared_data_dir
from classifier.metrics import compute_metrics
from classifier.model.training import MIN_EXAMPLES, Recipe, load_unlabelled
from classifier.reading.labels import load_labelled_articles
from classifier.reading.reader import read_labelled
from classifier.taxonomy import load_taxonomy

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT_DIR = REPO / "benchmarks" / "results"
KEYS = ("micro_f1", "macro_f1", "empty_precision", "empty_recall")
SIZES = (50, 100, 200, 300)  # plus the smallest trainable prefix and the whole training fold


def load(max_unlabelled: int | None = None) -> tuple[list[Article], Recipe, list[Path], list[Path]]:
    """All hand labels, the default recipe with its unlabelled news, and the files read."""
    tax = load_taxonomy()
    xwlb = shared_data_dir() / "xwlb"
    label_files = [seed_labels_file(), xwlb / "dev.jsonl", xwlb / "recent.jsonl"]
    unlabelled_files = [xwlb / "pool.jsonl", xwlb / "recent-pool.jsonl"]
    missing = [str(p) for p in label_files + unlabelled_files if not p.exists()]
    if missing:
        sys.exit(f"missing: {', '.join(missing)} (set CLASSIFIER_SHARED_DATA)")
    articles = load_labelled_articles([label_files[0]], topics=tax.ids)
    for path in label_files[1:]:
        articles += read_labelled(path, tax.ids)
    unlabelled, _ = load_unlabelled(unlabelled_files, articles)
    if max_unlabelled is not None:
        unlabelled = unlabelled[-max_unlabelled:]
    return articles, Recipe(tax.ids, tax, unlabelled=unlabelled), label_files, unlabelled_files


def kfold(articles: Sequence[Article], recipe: Recipe, folds: int, shuffles: int) -> dict[str, Any]:
    """(a): cross_validate per shuffling; the median and range of each figure over the shufflings."""
    runs = []
    for shuffle in range(shuffles):
        started = time.perf_counter()
        report = cross_validate(articles, recipe, folds=folds, random_state=shuffle)
        runs.append({k: float(report[k]) for k in KEYS})
        print(
            f"k-fold shuffling {shuffle}: "
            + " ".join(f"{k} {runs[-1][k]:.3f}" for k in KEYS)
            + f" ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    return {
        "runs": runs,
        "median": {k: float(np.median([r[k] for r in runs])) for k in KEYS},
        "range": {k: [min(r[k] for r in runs), max(r[k] for r in runs)] for k in KEYS},
    }


def smallest_trainable(articles: Sequence[Article], order: Sequence[int], topics: Sequence[str]) -> int | None:
    """The shortest prefix of ``order`` with MIN_EXAMPLES articles with, and without, every topic."""
    for n in range(2 * MIN_EXAMPLES, len(order) + 1):
        chosen = [articles[i] for i in order[:n]]
        counts = topic_counts(chosen, topics)
        if all(MIN_EXAMPLES <= counts[t] <= n - MIN_EXAMPLES for t in topics):
            return n
    return None


def curve_point(articles: Sequence[Article], recipe: Recipe, folds: int, size: int | None) -> dict[str, Any]:
    """(b) at one size: each fold trained on the first ``size`` labels of its seeded order (None: smallest)."""
    used: list[int] = []

    def order_of(fold: Fold) -> list[int]:
        return [int(i) for i in np.random.default_rng([0, fold.number]).permutation(fold.train)]

    def fit(fold: Fold) -> Any:
        order = order_of(fold)
        n = smallest_trainable(articles, order, recipe.topics) if size is None else min(size, len(order))
        if n is None:
            raise ValueError("no prefix of the training fold has two labels each way per topic")
        used.append(n)
        return recipe.fit([articles[i] for i in sorted(order[:n])])

    started = time.perf_counter()
    result = out_of_fold(articles, recipe.topics, fit, folds=folds, random_state=0)
    report = compute_metrics([a.topics or [] for a in articles], result.predicted, result.scores, recipe.topics)
    point = {"labels": used, **{k: float(report[k]) for k in KEYS}, "seconds": round(time.perf_counter() - started)}
    print(
        f"curve, labels per fold {used}: " + " ".join(f"{k} {point[k]:.3f}" for k in KEYS) + f" ({point['seconds']} s)",
        flush=True,
    )
    return point


def plot(points: Sequence[dict[str, Any]], path: Path) -> bool:
    """micro/macro-F1 against the mean number of hand labels per training fold; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    # The smallest trainable prefix can hold more labels than the next size: plot in order of size.
    points = sorted(points, key=lambda p: float(np.mean(p["labels"])))
    x = [float(np.mean(p["labels"])) for p in points]
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, label in (("micro_f1", "micro-F1"), ("macro_f1", "macro-F1")):
        ax.plot(x, [p[key] for p in points], marker="o", label=label)
    ax.set_xlabel("hand labels per training fold (mean over folds)")
    ax.set_ylabel("out-of-fold F1 on all hand labels")
    ax.set_title("Default recipe (term lists + self-training): learning curve")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def markdown(
    command: str,
    articles: Sequence[Article],
    recipe: Recipe,
    label_files: Sequence[Path],
    unlabelled_files: Sequence[Path],
    folds: int,
    cv: dict[str, Any],
    points: Sequence[dict[str, Any]],
    seconds: float,
    load_before: tuple[float, float, float],
    plotted: bool,
) -> str:
    def f(x: float) -> str:
        return f"{x:.3f}"

    lines = [
        "# The default recipe trained on every hand label",
        "",
        f"`{command}`",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node() or 'this machine'} "
        f"({os.cpu_count()} cores, shared; load average {load_before[0]:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end), {seconds / 60:.1f} min in all.",
        "",
        f"Labels ({len(articles)}): " + ", ".join(f"`{project_relative(p)}`" for p in label_files) + ".",
        f"Unlabelled ({len(recipe.unlabelled)} with text, the recipe self-trains on the newest "
        f"{min(recipe.self_train_max, len(recipe.unlabelled))}): "
        + ", ".join(f"`{project_relative(p)}`" for p in unlabelled_files)
        + ".",
        "",
        "The matching training: `classifier train --labels labels/seed_labels.jsonl "
        "--labels ../shared/data/xwlb/dev.jsonl --labels ../shared/data/xwlb/recent.jsonl "
        "--unlabelled ../shared/data/xwlb/pool.jsonl --unlabelled ../shared/data/xwlb/recent-pool.jsonl`.",
        "",
    ]
    if cv["runs"]:
        lines += [
            f"## (a) {folds}-fold cross-validation over all labels, median of {len(cv['runs'])} shufflings",
            "",
            "| figure | median | range |",
            "|---|---|---|",
        ]
        lines += [f"| {k} | {f(cv['median'][k])} | {f(cv['range'][k][0])}–{f(cv['range'][k][1])} |" for k in KEYS]
        lines.append("")
    if not points:
        return "\n".join(lines) + "\n"
    lines += [
        "## (b) Learning curve (out of fold: pooled held-out folds, shuffling 0)",
        "",
        "Each fold's model is trained on the first N labels of a seeded random order of its training",
        "fold (nested in N) and scores its held-out fold; the figures are over all labels. N = 0 (term",
        "lists alone) cannot be trained (calibration and thresholds need hand labels), so the first row",
        "is the smallest trainable prefix (two labels each way per topic), which differs by fold.",
        "",
        "| labels per training fold | " + " | ".join(KEYS) + " |",
        "|---|" + "---|" * len(KEYS),
    ]
    for p in points:
        n = p["labels"]
        size = str(n[0]) if len(set(n)) == 1 else f"{min(n)}–{max(n)} (mean {np.mean(n):.0f})"
        lines.append(f"| {size} | " + " | ".join(f(p[k]) for k in KEYS) + " |")
    lines += [
        "",
        "One shuffling per point: with 550 articles a micro-F1 difference under about 0.03 is noise",
        "(the last row is (a)'s shuffling 0; (a) shows how much the shufflings alone move it).",
    ]
    if plotted:
        lines += ["", "![learning curve](default_learning_curve.png)"]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--shuffles", type=int, default=3, help="fold shufflings of (a)")
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="(b): labels per training fold, besides smallest and all"
    )
    parser.add_argument("--max-unlabelled", type=int, help="read only the newest N unlabelled articles (smoke runs)")
    parser.add_argument("--skip-kfold", action="store_true")
    parser.add_argument("--skip-curve", action="store_true")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    started = time.perf_counter()
    articles, recipe, label_files, unlabelled_files = load(args.max_unlabelled)
    print(f"{len(articles)} labels, {len(recipe.unlabelled)} unlabelled articles", flush=True)
    cv = kfold(articles, recipe, args.folds, args.shuffles) if not args.skip_kfold else {"runs": []}
    points: list[dict[str, Any]] = []
    if not args.skip_curve:
        largest = len(articles) - len(articles) // args.folds  # a whole training fold (at least)
        sizes = [None] + sorted({int(s) for s in args.sizes.split(",") if s and int(s) < largest})
        points = [curve_point(articles, recipe, args.folds, size) for size in sizes]
        if cv["runs"]:
            # The whole training fold, shuffling 0, is (a)'s first run: the same folds, the same fits.
            counts = [len(articles) - len(held) for held in np.array_split(np.arange(len(articles)), args.folds)]
            points.append({"labels": counts, **cv["runs"][0]})
        else:
            points.append(curve_point(articles, recipe, args.folds, len(articles)))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    plotted = bool(points) and plot(points, args.out_dir / "default_learning_curve.png")
    command = "python benchmarks/default_model.py" + (" " + " ".join(argv if argv is not None else sys.argv[1:]))
    if cv["runs"] or points:
        text = markdown(
            command.strip(),
            articles,
            recipe,
            label_files,
            unlabelled_files,
            args.folds,
            cv,
            points,
            time.perf_counter() - started,
            load_before,
            plotted,
        )
        (args.out_dir / "default_model.md").write_text(text, encoding="utf-8")
        print("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
