"""Accuracy of a training recipe on later news, decided on dev only.

Protocols (the first three read no recent label; they are where every choice is made):

1. ``cold``: trained on the 50 seed labels, scored on all 200 dev articles.
2. ``cv``: 5-fold cross-validation over dev, the seeds in every training fold (the protocol of
   ``few_label.py``), repeated over several fold shufflings; the figures are the means.
3. ``forward``: forward in time inside dev. Dev is cut into half-years (2023H1, 2023H2, 2024H1,
   2024H2); each later half-year is scored by a model trained on the seeds plus every dev article
   dated before it (3 fits, 151 scored articles, pooled). The best proxy we have for
   "next month's news".
4. ``recent`` (only with ``--report-recent``): trained on the seeds, and on the seeds + all of
   dev, scored on ``recent.jsonl`` (300 articles, 2025-01..05). For reporting a frozen recipe only.

Figures per protocol: micro/macro-F1, empty precision/recall (of the answer "no topic"), and the
AUC of "has no topic" (the abstention model's P(empty) when the recipe has one, else 1 - the
highest topic score). ``--json`` keeps the per-article outputs for paired comparisons.

Unlabelled text a user would have at the time (``pool.jsonl``, ``recent-pool.jsonl``) is passed to
recipes that use it (``Recipe.unlabelled``): cold and cv get the pool up to the last dev date;
forward the pool up to the end of the scored half-year (``--forward-unlabelled cut``: up to the
last training label instead); recent the pool and recent-pool (``--recent-unlabelled pool``: the
pool only). Variants are listed in :func:`variants` (``before``, ``recommended`` and one row per
experiment of ``results/accuracy_research.md``).

Run (one core, one heavy process at a time; ``recommended`` takes ~5-15 min for all protocols)::

    taskset -c 0 python benchmarks/forward.py --variant before --variant recommended
    taskset -c 0 python benchmarks/forward.py --protocols cold,forward --variant tax-none   # quicker
    taskset -c 0 python benchmarks/forward.py --report-recent --variant recommended   # frozen recipes only
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold

from classifier.article import Article
from classifier.locations import shared_data_dir
from classifier.metrics import compute_metrics
from classifier.model.training import Recipe
from classifier.reading.labels import load_labelled_articles
from classifier.reading.reader import read_jsonl
from classifier.taxonomy import Taxonomy, load_taxonomy

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = shared_data_dir() / "xwlb"
OUT_DIR = REPO / "benchmarks" / "results"
FOLDS = 5
SHUFFLES = (0, 1, 2)
KEYS = ("micro_f1", "macro_f1", "empty_precision", "empty_recall", "empty_auc")
TARGETS = {
    "seeds+dev -> recent": {"micro_f1": 0.80, "macro_f1": 0.78, "empty_precision": 0.90, "empty_recall": 0.85},
    "seeds -> recent": {"micro_f1": 0.72},
}


# Data -----------------------------------------------------------------------------------------


@dataclasses.dataclass
class Data:
    taxonomy: Taxonomy
    seeds: list[Article]
    dev: list[Article]
    pool: list[Article]  # unlabelled, 2022-09..2024-12, with dates
    recent_pool: list[Article]  # unlabelled, 2025-01..05
    recent: list[Article] | None = None  # labelled; only loaded with --report-recent


def load_data(data_dir: Path = DATA_DIR, taxonomy: Taxonomy | None = None, with_recent: bool = False) -> Data:
    tax = taxonomy or load_taxonomy()
    seeds = load_labelled_articles(None, topics=tax.ids)
    dev = list(read_jsonl(data_dir / "dev.jsonl"))  # file order, as few_label.py (same CV folds)
    pool = [a for a in read_jsonl(data_dir / "pool.jsonl") if a.text.strip()]
    recent_pool = [a for a in read_jsonl(data_dir / "recent-pool.jsonl") if a.text.strip()]
    recent = list(read_jsonl(data_dir / "recent.jsonl")) if with_recent else None
    return Data(tax, seeds, dev, pool, recent_pool, recent)


def date(article: Article) -> str:
    return str(article.extra.get("date", ""))


def half_year(article: Article) -> str:
    d = date(article)
    return d[:4] + ("H1" if int(d[4:6]) <= 6 else "H2")


# Scoring --------------------------------------------------------------------------------------


def outputs(pipeline: Any, articles: Sequence[Article]) -> dict[str, Any]:
    """Scores, assigned topics and the has-no-topic score of a fitted pipeline."""
    texts = [a.full_text for a in articles]
    X = pipeline[:-1].transform(texts)
    classifier = pipeline[-1]
    scores, predicted = classifier.topics_of(X)
    empty = classifier.empty_proba(X)  # 1 - the best topic score without an abstention model
    return {"scores": scores, "predicted": predicted, "empty": np.asarray(empty, dtype=float)}


def metrics(gold: Sequence[Sequence[str]], out: dict[str, Any], topics: Sequence[str]) -> dict[str, Any]:
    report = compute_metrics(gold, out["predicted"], out["scores"], topics)
    is_empty = np.array([not g for g in gold])
    report["empty_auc"] = (
        float(roc_auc_score(is_empty, out["empty"])) if 0 < is_empty.sum() < len(is_empty) else float("nan")
    )
    return report


def merge(parts: list[tuple[np.ndarray, dict[str, Any]]], n: int, n_topics: int) -> dict[str, Any]:
    """Out-of-fold outputs of several fits, put back in article order."""
    merged = {"scores": np.zeros((n, n_topics)), "predicted": [[] for _ in range(n)], "empty": np.zeros(n)}
    for index, out in parts:
        merged["scores"][index] = out["scores"]
        merged["empty"][index] = out["empty"]
        for i, tags in zip(index, out["predicted"], strict=True):
            merged["predicted"][i] = tags
    return merged


STACK_VETO = {"classify__abstain": "veto", "classify__abstain_model": "stack", "classify__abstain_columns": (-1,)}

RecipeFactory = Callable[[Taxonomy, Sequence[Article]], Recipe]


def run_cold(make: RecipeFactory, data: Data) -> dict[str, Any]:
    recipe = make(data.taxonomy, unlabelled_until(data, max(date(a) for a in data.dev)))
    return outputs(recipe.fit(data.seeds).pipeline, data.dev)


def run_cv(make: RecipeFactory, data: Data, shuffle: int) -> dict[str, Any]:
    recipe = make(data.taxonomy, unlabelled_until(data, max(date(a) for a in data.dev)))
    parts = []
    for train, held in KFold(FOLDS, shuffle=True, random_state=shuffle).split(np.arange(len(data.dev))):
        pipeline = recipe.fit([data.dev[i] for i in train] + data.seeds).pipeline
        parts.append((held, outputs(pipeline, [data.dev[i] for i in held])))
    return merge(parts, len(data.dev), len(data.taxonomy.ids))


def forward_blocks(dev: Sequence[Article]) -> list[tuple[list[int], list[int]]]:
    """(train indices, test indices) per later half-year of dev: train on everything before it."""
    blocks = sorted({half_year(a) for a in dev})
    out = []
    for block in blocks[1:]:
        train = [i for i, a in enumerate(dev) if half_year(a) < block]
        test = [i for i, a in enumerate(dev) if half_year(a) == block]
        out.append((train, test))
    return out


def run_forward(make: RecipeFactory, data: Data, unlabelled_to: str = "test") -> tuple[dict[str, Any], list[int]]:
    """``unlabelled_to``: the unlabelled pool reaches the end of the scored half-year (``test``, as
    recent-pool for recent) or stops where the labels stop (``cut``: only news older than the
    training labels' end)."""
    parts, scored = [], []
    for train, test in forward_blocks(data.dev):
        last = max(date(data.dev[i]) for i in (test if unlabelled_to == "test" else train))
        recipe = make(data.taxonomy, unlabelled_until(data, last))
        pipeline = recipe.fit([data.dev[i] for i in train] + data.seeds).pipeline
        parts.append((np.array(test), outputs(pipeline, [data.dev[i] for i in test])))
        scored += test
    merged = merge(parts, len(data.dev), len(data.taxonomy.ids))
    keep = np.array(scored)
    return {
        "scores": merged["scores"][keep],
        "predicted": [merged["predicted"][i] for i in keep],
        "empty": merged["empty"][keep],
    }, scored


def run_recent(make: RecipeFactory, data: Data, training: Sequence[Article], unlabelled: str = "all") -> dict[str, Any]:
    """``unlabelled``: ``all`` = pool + recent-pool (retrained with the news at hand), ``pool`` =
    only the pool up to 2024-12 (trained before 2025)."""
    assert data.recent is not None
    recipe = make(data.taxonomy, data.pool + (data.recent_pool if unlabelled == "all" else []))
    return outputs(recipe.fit(list(training)).pipeline, data.recent)


def unlabelled_until(data: Data, last: str) -> list[Article]:
    """The unlabelled articles a user would have had by ``last`` (a YYYYMMDD date)."""
    return [a for a in data.pool if date(a) <= last]


def evaluate(
    make: RecipeFactory,
    data: Data,
    shuffles: Sequence[int] = SHUFFLES,
    report_recent: bool = False,
    protocols: Sequence[str] = ("cold", "cv", "forward"),
    unlabelled_to: str = "test",
    recent_unlabelled: str = "all",
) -> dict[str, Any]:
    """Every protocol for one recipe: metrics plus per-article outputs (for paired comparisons)."""
    topics = data.taxonomy.ids
    dev_gold = [a.topics or [] for a in data.dev]
    result: dict[str, Any] = {"metrics": {}, "outputs": {}}
    started = time.perf_counter()
    if "cold" in protocols:
        cold = run_cold(make, data)
        result["metrics"]["cold"] = metrics(dev_gold, cold, topics)
        result["outputs"]["cold"] = cold
    if "cv" in protocols:
        cv_reports = []
        for shuffle in shuffles:
            out = run_cv(make, data, shuffle)
            cv_reports.append(metrics(dev_gold, out, topics))
            result["outputs"][f"cv{shuffle}"] = out
        result["metrics"]["cv"] = mean_report(cv_reports)
        result["metrics"]["cv"]["micro_range"] = [
            min(r["micro_f1"] for r in cv_reports),
            max(r["micro_f1"] for r in cv_reports),
        ]
    if "forward" in protocols:
        fwd, scored = run_forward(make, data, unlabelled_to)
        result["metrics"]["forward"] = metrics([dev_gold[i] for i in scored], fwd, topics)
        result["outputs"]["forward"] = fwd
        result["forward_index"] = scored
    if report_recent:
        recent_gold = [a.topics or [] for a in data.recent or []]
        for name, training in (("seeds -> recent", data.seeds), ("seeds+dev -> recent", data.seeds + data.dev)):
            out = run_recent(make, data, training, recent_unlabelled)
            result["metrics"][name] = metrics(recent_gold, out, topics)
            result["outputs"][name] = out
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def mean_report(reports: list[dict[str, Any]]) -> dict[str, Any]:
    out = {k: float(np.mean([r[k] for r in reports])) for k in (*KEYS, "top1_accuracy", "subset_accuracy")}
    out["per_topic"] = {
        t: {k: float(np.mean([r["per_topic"][t][k] for r in reports])) for k in ("precision", "recall", "f1")}
        for t in reports[0]["per_topic"]
    }
    return out


# Variants -------------------------------------------------------------------------------------

BEFORE_COMMIT = "dbb2a26"  # main when this research started


def taxonomy_text_before() -> str:
    """labels/taxonomy.toml as it was before the term-list edits (read from git)."""
    import subprocess

    return subprocess.run(
        ["git", "-C", str(REPO), "show", f"{BEFORE_COMMIT}:labels/taxonomy.toml"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def variants() -> dict[str, RecipeFactory]:
    """Named recipes, as measured in accuracy_research.md.

    ``before`` is the recipe before this research; ``recommended`` the frozen choice (the edited
    term lists of ``labels/taxonomy.toml`` + self-training on the unlabelled news). The
    experiments change one thing at a time: those listed before the term-list rows start from
    ``before``'s taxonomy, the ``v2-*`` rows from the edited one.
    """
    import tempfile

    import term_list_edits

    before_text = taxonomy_text_before()
    tax_dir = Path(tempfile.mkdtemp(prefix="taxonomy-variants-"))
    for name in ("remove", "none", "sector", "remove+none", "v2"):
        (tax_dir / f"{name}.toml").write_text(term_list_edits.variant_text(before_text, name), encoding="utf-8")
    (tax_dir / "before.toml").write_text(before_text, encoding="utf-8")

    def recipe(tax: Taxonomy, unlabelled: Sequence[Article], taxonomy: str, self_train: bool, **kw: Any) -> Recipe:
        taxonomy_ = tax if taxonomy == "current" else load_taxonomy(tax_dir / f"{taxonomy}.toml")
        return Recipe(tax.ids, taxonomy_, unlabelled=list(unlabelled) if self_train else (), **kw)

    def make(taxonomy: str = "before", self_train: bool = False, **kw: Any) -> RecipeFactory:
        return lambda tax, unlabelled: recipe(tax, unlabelled, taxonomy, self_train, **kw)

    def classify(**kw: Any) -> RecipeFactory:
        return make(pipeline_params={f"classify__{k}": v for k, v in kw.items()})

    v2 = {"taxonomy": "v2", "self_train": True}
    return {
        "before": make(),
        "recommended": make(taxonomy="current", self_train=True),
        # Character n-grams seen in one training text only are dropped (two thirds of the vocabulary
        # of the all-labels model): a smaller model, if it costs nothing on dev.
        "recommended-chars-min-df-2": make(
            taxonomy="current", self_train=True, pipeline_params={"features__chars__min_df": 2}
        ),
        # Training time (issue #13): ``recommended`` fits its out-of-fold models at liblinear's tolerance
        # 1e-2 since; these are the recipe before (1e-4), and 3 folds instead of 5 (measured, rejected).
        "recommended-5folds": make(
            taxonomy="current", self_train=True, pipeline_params={"classify__cv_folds": 5, "classify__oof_tol": None}
        ),
        "recommended-3folds-exact": make(
            taxonomy="current", self_train=True, pipeline_params={"classify__cv_folds": 3, "classify__oof_tol": None}
        ),
        "recommended-5folds-ooftol": make(
            taxonomy="current", self_train=True, pipeline_params={"classify__cv_folds": 5, "classify__oof_tol": 1e-2}
        ),
        # The abstention model ("has no topic"), on before's taxonomy.
        "abstain-veto": classify(abstain="veto"),
        "abstain-fill": classify(abstain="fill"),
        "abstain-scale": classify(abstain="scale"),
        "abstain-veto-joint": classify(abstain="veto", joint_thresholds=True),
        "abstain-fill-joint": classify(abstain="fill", joint_thresholds=True),
        # Hyper-parameters of the recipe.
        "C10": classify(C=10.0),
        "C100": classify(C=100.0),
        "unbalanced": classify(class_weight=None),
        "none160": make(none_docs=160),
        "none40": make(none_docs=40),
        "pseudo40": make(docs_per_topic=40, none_docs=160),
        # Term frequency instead of presence (binary was chosen on THUCNews headlines, not articles).
        "sublinear": make(
            pipeline_params={
                f"features__{b}__{k}": v
                for b in ("words", "chars")
                for k, v in (("binary", False), ("sublinear_tf", True))
            }
        ),
        "sublinear-words": make(
            pipeline_params={"features__words__binary": False, "features__words__sublinear_tf": True}
        ),
        # Term lists (benchmarks/term_list_edits.py), each group alone and together.
        **{f"tax-{k}": make(taxonomy=k) for k in ("remove", "none", "sector", "remove+none", "v2")},
        # Self-training (Recipe.unlabelled), on the edited term lists.
        "v2-self-0.3": make(**v2, self_train_weight=0.3),
        "v2-self-1": make(**v2, self_train_weight=1.0),
        "v2-self-1-m1": make(**v2, self_train_weight=1.0, self_train_margin=1.0),
        "v2-self-1-m3": make(**v2, self_train_weight=1.0, self_train_margin=3.0),
        "v2-self-1-n4000": make(**v2, self_train_weight=1.0, self_train_max=4000),
        # The abstention model again, on the edited term lists, with and without self-training.
        "v2-stackveto": make(taxonomy="v2", pipeline_params=STACK_VETO),
        "v2-self-1-stackveto": make(**v2, self_train_weight=1.0, pipeline_params=STACK_VETO),
        "v2-self-1-linveto": make(**v2, self_train_weight=1.0, pipeline_params={"classify__abstain": "veto"}),
    }


# Output ---------------------------------------------------------------------------------------


def table(results: dict[str, dict[str, Any]], protocol: str) -> str:
    lines = [
        f"### {protocol}",
        "",
        "| variant | " + " | ".join(KEYS) + " |",
        "|---|" + "---|" * len(KEYS),
    ]
    for name, result in results.items():
        m = result["metrics"].get(protocol)
        if m is None:
            continue
        lines.append(f"| {name} | " + " | ".join(f"{m[k]:.3f}" for k in KEYS) + " |")
    return "\n".join(lines)


def to_jsonable(result: dict[str, Any]) -> dict[str, Any]:
    def conv(x: Any) -> Any:
        if isinstance(x, np.ndarray):
            return x.round(6).tolist()
        if isinstance(x, dict):
            return {k: conv(v) for k, v in x.items()}
        if isinstance(x, list):
            return [conv(v) for v in x]
        if isinstance(x, np.floating | np.integer):
            return x.item()
        return x

    return conv(result)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", help="recipe name (repeatable); default: before")
    parser.add_argument("--shuffles", type=int, default=len(SHUFFLES), help="CV fold shufflings (default 3)")
    parser.add_argument("--report-recent", action="store_true", help="also score recent.jsonl (frozen recipes only)")
    parser.add_argument("--protocols", default="cold,cv,forward", help="dev protocols to run (comma-separated)")
    parser.add_argument(
        "--forward-unlabelled",
        choices=("test", "cut"),
        default="test",
        help="forward: unlabelled pool up to the end of the scored half-year (test) or of the labels (cut)",
    )
    parser.add_argument(
        "--recent-unlabelled",
        choices=("all", "pool"),
        default="all",
        help="recent: unlabelled news for self-training = pool + recent-pool (all) or the pool only",
    )
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--out", type=Path, help="markdown file for the tables")
    parser.add_argument("--json", type=Path, help="JSON file for metrics and per-article outputs")
    args = parser.parse_args(argv)
    registry = variants()
    names = args.variant or ["before"]
    unknown = [n for n in names if n not in registry]
    if unknown:
        sys.exit(f"unknown variant(s): {', '.join(unknown)}; known: {', '.join(registry)}")
    data = load_data(args.data_dir, with_recent=args.report_recent)
    results = {}
    for name in names:
        results[name] = evaluate(
            registry[name],
            data,
            range(args.shuffles),
            args.report_recent,
            args.protocols.split(","),
            args.forward_unlabelled,
            args.recent_unlabelled,
        )
        m = results[name]["metrics"]
        print(
            f"{name}: "
            + "  ".join(f"{p}: micro {m[p]['micro_f1']:.3f} macro {m[p]['macro_f1']:.3f}" for p in m)
            + f"  ({results[name]['seconds']} s)",
            flush=True,
        )
        if args.json:  # after every variant, so that a crash keeps the finished ones
            args.json.write_text(json.dumps({k: to_jsonable(v) for k, v in results.items()}, ensure_ascii=False))
    protocols = [p for p in args.protocols.split(",") if p] + (
        ["seeds -> recent", "seeds+dev -> recent"] if args.report_recent else []
    )
    markdown = "\n\n".join(
        [f"cv: mean of {args.shuffles} fold shufflings; forward: 151 dev articles of 2023H2..2024H2"]
        + [table(results, p) for p in protocols]
    )
    print("\n" + markdown)
    if args.out:
        args.out.write_text(markdown + "\n", encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({k: to_jsonable(v) for k, v in results.items()}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
