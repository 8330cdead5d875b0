"""Active learning benchmark: do the articles ``classifier suggest`` picks teach the model faster?

A simulated annotator: the labelled XWLB dev set (``xwlb/dev.jsonl``, 200 articles). Each repeat
splits it into 5 folds with a seeded shuffle. For every fold, the other 160 articles are the pool
(labels hidden until an article is "labelled") and the fold's 40 are held out, only ever scored.
The 50 seed labels are always in training. Starting from the seeds alone, each strategy adds 10
pool articles a round, chosen by the model of the previous round, up to 80, retraining after every
round with the default recipe (:class:`classifier.model.training.Recipe`). The held-out predictions of
the 5 folds are pooled, so micro-F1 and macro-F1 after every round are over all 200 dev articles,
each scored by a model that never saw its label.

Repeats differ in the fold partition and in the seed of ``random``; every strategy gets the same
partition and the same label budget per round. The report gives the mean curve over repeats, its
area (mean over rounds) with the spread (standard deviation over repeats), and the paired
difference of each strategy's area to ``random`` within the same repeat.

Strategies: ``random`` (the baseline), ``uncertainty`` and ``diverse`` from
:mod:`classifier.labelling.suggest`, the same code as ``classifier suggest``.

Run::

    python benchmarks/active_learning.py                     # 5 repeats, about 22 minutes on 2 cores
    python benchmarks/active_learning.py --repeats 1         # quicker
    python benchmarks/active_learning.py --first-repeat 100  # other partitions of the same articles
    python benchmarks/active_learning.py --data-dir /path/to/xwlb --out-dir /tmp/results

Results go to ``<out-dir>/active_learning.md`` and ``active_learning.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import KFold

from classifier.article import Article
from classifier.labelling.suggest import STRATEGIES as ACTIVE_STRATEGIES
from classifier.labelling.suggest import rank, score_articles
from classifier.locations import seed_labels_file, shared_data_dir
from classifier.metrics import compute_metrics
from classifier.model.estimator import scores_and_topics
from classifier.model.training import Recipe
from classifier.reading.labels import load_labelled_articles
from classifier.reading.reader import read_jsonl
from classifier.taxonomy import load_taxonomy

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = shared_data_dir() / "xwlb"
DEFAULT_OUT_DIR = REPO / "benchmarks" / "results"
FOLDS = 5
BATCH = 10
MAX_LABELS = 80
STRATEGIES = ("random", "uncertainty", "diverse")


@lru_cache(maxsize=1)
def _setup(data_dir: str) -> tuple[Recipe, list[Article], list[Article]]:
    taxonomy = load_taxonomy()
    recipe = Recipe(taxonomy.ids, taxonomy)
    seeds = load_labelled_articles([seed_labels_file()], topics=taxonomy.ids)
    dev = list(read_jsonl(Path(data_dir) / "dev.jsonl"))
    return recipe, seeds, dev


def folds_of(n: int, repeat: int) -> list[np.ndarray]:
    """Held-out indices of each fold of ``repeat``'s partition."""
    splitter = KFold(n_splits=FOLDS, shuffle=True, random_state=repeat)
    return [held for _, held in splitter.split(np.arange(n))]


def run_fold(
    data_dir: str, repeat: int, fold: int, strategies: Sequence[str] = STRATEGIES
) -> dict[str, list[list[list[str]]]]:
    """Learning curves of one fold: per strategy, the held-out predicted topics after every round."""
    recipe, seeds, dev = _setup(data_dir)
    held_idx = folds_of(len(dev), repeat)[fold]
    held_set = set(held_idx.tolist())
    pool = [a for i, a in enumerate(dev) if i not in held_set]
    held_texts = [dev[i].full_text for i in held_idx]
    start = time.time()
    seed_only = recipe.fit(seeds).pipeline
    out: dict[str, list[list[list[str]]]] = {}
    for strategy in strategies:
        labelled: list[Article] = []
        pipeline = seed_only
        predictions = []
        while True:
            predictions.append(scores_and_topics(pipeline, held_texts)[1])
            if len(labelled) >= MAX_LABELS:
                break
            taken = {a.id for a in labelled}
            rest = [a for a in pool if a.id not in taken]
            scores, features = score_articles(pipeline, rest)
            seed = (repeat * FOLDS + fold) * 1000 + len(labelled)
            picks = rank(scores, pipeline[-1].thresholds_, features, BATCH, strategy, seed=seed)
            labelled += [rest[i] for i in picks]
            pipeline = recipe.fit(seeds + labelled).pipeline
        out[strategy] = predictions
    print(f"repeat {repeat} fold {fold + 1}/{FOLDS} done ({time.time() - start:.0f} s)", file=sys.stderr)
    return out


def run(
    data_dir: Path,
    repeats: int,
    first_repeat: int = 0,
    workers: int = 2,
    strategies: Sequence[str] = STRATEGIES,
) -> dict[str, Any]:
    """Run every fold of every repeat; per strategy, mean curves, areas and paired differences to random.

    ``strategies`` must start with ``random``, the baseline the differences are taken to.
    """
    if not strategies or strategies[0] != "random":
        raise ValueError("the strategies must start with random, the paired baseline")
    strategies = tuple(strategies)
    recipe, _, dev = _setup(str(data_dir))
    topics = recipe.topics
    repeat_ids = list(range(first_repeat, first_repeat + repeats))
    jobs = [(r, f) for r in repeat_ids for f in range(FOLDS)]
    with ProcessPoolExecutor(max_workers=workers) as executor:
        results = list(
            executor.map(run_fold, [str(data_dir)] * len(jobs), *zip(*jobs, strict=True), [strategies] * len(jobs))
        )
    by_job = dict(zip(jobs, results, strict=True))
    sizes = list(range(0, MAX_LABELS + 1, BATCH))
    # micro[strategy][repeat][round], over all 200 dev articles (held-out predictions of the 5 folds pooled).
    micro: dict[str, list[list[float]]] = {s: [] for s in strategies}
    macro: dict[str, list[list[float]]] = {s: [] for s in strategies}
    for r in repeat_ids:
        order = np.concatenate(folds_of(len(dev), r))
        gold = [dev[i].topics or [] for i in order]
        dummy_scores = np.zeros((len(dev), len(topics)))
        for s in strategies:
            micro_curve, macro_curve = [], []
            for k in range(len(sizes)):
                predicted = [p for f in range(FOLDS) for p in by_job[(r, f)][s][k]]
                m = compute_metrics(gold, predicted, dummy_scores, topics)
                micro_curve.append(m["micro_f1"])
                macro_curve.append(m["macro_f1"])
            micro[s].append(micro_curve)
            macro[s].append(macro_curve)
    summary: dict[str, Any] = {}
    for s in strategies:
        entry: dict[str, Any] = {}
        for name, curves in (("micro_f1", micro[s]), ("macro_f1", macro[s])):
            arr = np.asarray(curves)
            area = arr.mean(axis=1)  # per repeat: mean over rounds
            diff = area - np.asarray(micro["random"] if name == "micro_f1" else macro["random"]).mean(axis=1)
            entry[name] = arr.mean(axis=0).round(4).tolist()
            entry[f"{name}_std"] = arr.std(axis=0).round(4).tolist()
            entry[f"{name}_per_repeat"] = arr.round(4).tolist()
            entry[f"{name}_area"] = round(float(area.mean()), 4)
            entry[f"{name}_area_std"] = round(float(area.std()), 4)
            entry[f"{name}_area_vs_random"] = diff.round(4).tolist()
        summary[s] = entry
    return {
        "strategies": list(strategies),
        "sizes": sizes,
        "repeats": repeat_ids,
        "folds": FOLDS,
        "pool": len(dev) - len(dev) // FOLDS,
        "held_out": len(dev) // FOLDS,
        "scored": len(dev),
        **summary,
    }


def table(result: dict[str, Any], metric: str) -> str:
    strategies = result["strategies"]
    lines = [
        f"| labels added | {' | '.join(strategies)} |",
        "|---:|" + "---:|" * len(strategies),
    ]
    for k, n in enumerate(result["sizes"]):
        cells = [f"{result[s][metric][k]:.3f} ± {result[s][metric + '_std'][k]:.3f}" for s in strategies]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    # Area under the curve: one number for "faster".
    cells = [f"{result[s][metric + '_area']:.3f} ± {result[s][metric + '_area_std']:.3f}" for s in strategies]
    lines.append("| **mean over rounds** | " + " | ".join(cells) + " |")
    cells = []
    for s in strategies:
        d = np.asarray(result[s][metric + "_area_vs_random"])
        wins = int((d > 0).sum())
        cells.append("–" if s == "random" else f"{d.mean():+.3f} (min {d.min():+.3f}, {wins}/{len(d)} repeats > 0)")
    lines.append("| area − random, paired | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--first-repeat", type=int, default=0, help="seed of the first fold partition")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--strategies",
        nargs="+",
        choices=ACTIVE_STRATEGIES,
        default=list(STRATEGIES),
        metavar="NAME",
        help=f"strategies to run ({', '.join(ACTIVE_STRATEGIES)}); random, the paired baseline, is always run",
    )
    args = parser.parse_args(argv)
    strategies = ("random", *dict.fromkeys(s for s in args.strategies if s != "random"))
    start = time.time()
    result = run(args.data_dir, args.repeats, args.first_repeat, args.workers, strategies)
    result["seconds"] = round(time.time() - start)
    report = (
        f"# active_learning.py: micro-F1 / macro-F1 vs labels added\n\n"
        f"{FOLDS}-fold over the {result['scored']} dev articles: per fold {result['pool']} as the pool (labels "
        f"hidden), {result['held_out']} held out; held-out predictions of the folds pooled, so every figure is "
        f"over {result['scored']} articles. Seeds always in training, {BATCH} labels a round for every strategy. "
        f"Mean ± standard deviation over {len(result['repeats'])} repeats (fold partitions and random seeds "
        f"{result['repeats'][0]}–{result['repeats'][-1]}); {result['seconds']} s.\n\n"
        f"## micro-F1\n\n{table(result, 'micro_f1')}\n\n"
        f"## macro-F1\n\n{table(result, 'macro_f1')}\n"
    )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "active_learning.md").write_text(report, encoding="utf-8")
    (args.out_dir / "active_learning.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
