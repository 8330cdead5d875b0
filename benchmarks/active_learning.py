"""Active learning benchmark: do the articles ``classifier suggest`` picks teach the model faster?

A simulated annotator: the labelled XWLB dev set (``xwlb/dev.jsonl``, 200 articles). For each
repeat, a seeded shuffle splits it into a pool of 120 articles (labels hidden until an article is
"labelled") and 80 held-out articles that are only ever scored. The 50 seed labels are always in
training. Starting from the seeds alone, each strategy adds 10 pool articles a round, chosen by
the model of the previous round, up to 80, retraining after every round with the default recipe
(:class:`classifier.training.Recipe`); micro-F1 and macro-F1 on the held-out 80 are recorded
after every round and averaged over the repeats.

Strategies: ``random`` (the baseline), ``uncertainty`` and ``diverse`` from
:mod:`classifier.active`, the same code as ``classifier suggest``.

Run::

    python benchmarks/active_learning.py                # 5 repeats, about 6 minutes on 2 cores
    python benchmarks/active_learning.py --repeats 2    # quicker
    python benchmarks/active_learning.py --data-dir /path/to/xwlb --out-dir /tmp/results

Results go to ``<out-dir>/active_learning.md`` and ``active_learning.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifier.active import rank, score_articles
from classifier.article import Article
from classifier.evaluate import compute_metrics
from classifier.labels import load_labelled_articles
from classifier.model import scores_and_topics
from classifier.reader import read_jsonl
from classifier.taxonomy import load_taxonomy
from classifier.training import Recipe

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO.parent / "shared" / "data" / "xwlb"
DEFAULT_OUT_DIR = REPO / "benchmarks" / "results"
POOL_SIZE = 120
BATCH = 10
MAX_LABELS = 80
STRATEGIES = ("random", "uncertainty", "diverse")


def held_out_metrics(pipeline: Any, held: Sequence[Article], topics: Sequence[str]) -> tuple[float, float]:
    scores, predicted = scores_and_topics(pipeline, [a.full_text for a in held])
    m = compute_metrics([a.topics or [] for a in held], predicted, scores, topics)
    return m["micro_f1"], m["macro_f1"]


def run_strategy(
    strategy: str, recipe: Recipe, seeds: list[Article], pool: list[Article], held: list[Article], seed: int
) -> list[tuple[int, float, float]]:
    """One learning curve: (labels added, micro-F1, macro-F1) after every round."""
    labelled: list[Article] = []
    curve = []
    while True:
        pipeline = recipe.fit(seeds + labelled)
        micro, macro = held_out_metrics(pipeline, held, recipe.topics)
        curve.append((len(labelled), micro, macro))
        if len(labelled) >= MAX_LABELS:
            return curve
        taken = {a.id for a in labelled}
        rest = [a for a in pool if a.id not in taken]
        scores, features = score_articles(pipeline, rest)
        picks = rank(scores, pipeline[-1].thresholds_, features, BATCH, strategy, seed=seed * 1000 + len(labelled))
        labelled += [rest[i] for i in picks]


def run(data_dir: Path, repeats: int) -> dict[str, Any]:
    taxonomy = load_taxonomy()
    recipe = Recipe(taxonomy.ids, taxonomy)
    seeds = load_labelled_articles(None, topics=taxonomy.ids)
    dev = list(read_jsonl(data_dir / "dev.jsonl"))
    curves: dict[str, list[list[tuple[int, float, float]]]] = {s: [] for s in STRATEGIES}
    for repeat in range(repeats):
        order = np.random.default_rng(repeat).permutation(len(dev))
        pool = [dev[i] for i in order[:POOL_SIZE]]
        held = [dev[i] for i in order[POOL_SIZE:]]
        for strategy in STRATEGIES:
            start = time.time()
            curves[strategy].append(run_strategy(strategy, recipe, seeds, pool, held, repeat))
            final = curves[strategy][-1][-1]
            print(
                f"repeat {repeat + 1}/{repeats} {strategy:<12} micro_f1 at {final[0]} labels = {final[1]:.3f} "
                f"({time.time() - start:.0f} s)",
                file=sys.stderr,
            )
    sizes = [n for n, _, _ in curves[STRATEGIES[0]][0]]
    summary = {
        s: {
            "micro_f1": np.mean([[m for _, m, _ in c] for c in curves[s]], axis=0).round(4).tolist(),
            "macro_f1": np.mean([[m for _, _, m in c] for c in curves[s]], axis=0).round(4).tolist(),
        }
        for s in STRATEGIES
    }
    return {"sizes": sizes, "repeats": repeats, "pool": POOL_SIZE, "held_out": len(dev) - POOL_SIZE, **summary}


def table(result: dict[str, Any], metric: str) -> str:
    lines = [
        f"| labels added | {' | '.join(STRATEGIES)} |",
        "|---:|" + "---:|" * len(STRATEGIES),
    ]
    for k, n in enumerate(result["sizes"]):
        lines.append(f"| {n} | " + " | ".join(f"{result[s][metric][k]:.3f}" for s in STRATEGIES) + " |")
    # Area under the curve: one number for "faster".
    lines.append("| mean over rounds | " + " | ".join(f"{np.mean(result[s][metric]):.3f}" for s in STRATEGIES) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    start = time.time()
    result = run(args.data_dir, args.repeats)
    result["seconds"] = round(time.time() - start)
    report = (
        f"# active_learning.py: held-out micro-F1 / macro-F1 vs labels added\n\n"
        f"Pool {result['pool']} dev articles (labels hidden), {result['held_out']} held out, seeds always in "
        f"training, {BATCH} labels a round; mean over {result['repeats']} seeded splits; "
        f"{result['seconds']} s.\n\n## micro-F1\n\n{table(result, 'micro_f1')}\n\n"
        f"## macro-F1\n\n{table(result, 'macro_f1')}\n"
    )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "active_learning.md").write_text(report, encoding="utf-8")
    (args.out_dir / "active_learning.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
