"""Speed and footprint of ``classifier tag`` and ``classifier train`` against a plain baseline (issue #6).

What it measures (each a median of ``--repeats`` runs, every run a fresh process)
-------------------------------------------------------------------------------
* batch: ``classifier tag pool.jsonl --format jsonl`` end to end, articles per second; the
  output must be byte-identical to the baseline's;
* cold start: ``classifier tag seeds/<one article>.txt``, wall seconds;
* peak RSS of the pool run, and of the pool four times over (streamed input: memory must not
  grow), summed over the command and its worker processes (shared pages counted per process,
  so an over-estimate);
* training on THUCNews headlines (``classifier train --labels train.jsonl --out ...``), seconds.

The baseline is the obvious program with the same fitted model: pure-Python jieba as the word
tokenizer, scikit-learn's ``TfidfVectorizer.transform`` and ``predict_proba`` in batches of 256,
records built as the first tagger did. For training, the baseline fits the same recipe with the
jieba tokenizer. Machine load from other jobs shows up in every figure: compare within a run.

Run from the project root::

    /work/venv/bin/python benchmarks/speed.py [--repeats 3] [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from classifier.locations import shared_data_dir

REPO = Path(__file__).resolve().parent.parent
DATA = shared_data_dir()
POOL = DATA / "xwlb" / "pool.jsonl"
THUCNEWS = DATA / "thucnews" / "train.jsonl"
CLI = [sys.executable, "-m", "classifier"]
_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")


# --- the baseline, run as `speed.py --baseline-tag` / `--baseline-train` in a fresh process ---


class PlainJieba:
    """The word tokenizer written the obvious way: jieba.lcut, white space and punctuation dropped.

    ``hmm`` follows the model's own tokenizer setting, so both paths cut the same words.
    """

    def __init__(self, hmm: bool = False) -> None:
        self.hmm = hmm

    def __call__(self, text: str) -> list[str]:
        import jieba

        return [w for w in jieba.lcut(text, HMM=self.hmm) if w.strip() and _WORDLIKE.search(w)]


def baseline_tag(paths: Sequence[str], model: str | None) -> None:
    """Tag with the fitted sklearn pipeline, jieba words, batches of 256; JSONL on stdout."""
    from itertools import islice

    import numpy as np

    from classifier.model.store import load_model
    from classifier.reading.reader import read_articles

    pipeline = load_model(model).pipeline
    words = pipeline.named_steps["features"].transformer_list[0][1]
    words.tokenizer = PlainJieba(hmm=getattr(words.tokenizer, "hmm", True))
    classifier = pipeline[-1]
    topics = [str(t) for t in classifier.classes_]
    names = pipeline.named_steps["features"].get_feature_names_out()
    n_words = len(pipeline.named_steps["features"].transformer_list[0][1].vocabulary_)
    articles = read_articles(paths)
    while batch := list(islice(articles, 256)):
        features = pipeline[:-1].transform([a.full_text for a in batch])
        scores = classifier.predict_proba(features)
        for i, article in enumerate(batch):
            row = scores[i]
            assigned = [j for j in np.argsort(-row, kind="stable") if row[j] >= classifier.thresholds_[j]]
            feats = features[i].tocsr()
            words = sorted(
                ((w, k) for k, w in zip(feats.indices, feats.data, strict=True) if k < n_words), key=lambda p: -p[0]
            )
            keywords = [t for t in (str(names[k]).split("__", 1)[1] for _, k in words) if len(t) >= 2][:5]
            record = {
                "id": article.id,
                "title": article.title,
                "topics": [topics[j] for j in assigned],
                "scores": {t: round(float(s), 4) for t, s in zip(topics, row, strict=True)},
                "keywords": keywords,
            }
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")


def baseline_train(labels: str, out: str) -> None:
    """Fit the same recipe as `classifier train`, with the jieba tokenizer."""
    import joblib

    from classifier.model.training import load_training

    articles, recipe, _ = load_training([Path(labels)], own_topics=True)
    recipe.pipeline_params = {"features__words__tokenizer": PlainJieba(hmm=False)}
    joblib.dump(recipe.fit(articles).pipeline, Path(out) / "model.joblib")


# --- measuring ---------------------------------------------------------------------------


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and its descendants, in KiB (0 once it is gone)."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as status:
            total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            total += sum(tree_rss_kb(int(child)) for child in children.read().split())
    except (OSError, ValueError):
        pass
    return total


def run(command: Sequence[str], stdout: Path | None = None) -> tuple[float, int]:
    """Run a command; return its wall seconds and the peak RSS (MiB) of its process tree."""
    peak = 0
    with open(stdout or os.devnull, "wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, cwd=REPO)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss_kb(process.pid))
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, stderr = process.communicate()
        elapsed = time.perf_counter() - start
        done.set()
        sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr.decode()}")
    return elapsed, peak // 1024


def median_of(repeats: int, measure: Callable[[], tuple[float, int]]) -> tuple[float, int, list[float]]:
    runs = [measure() for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs), [round(r[0], 2) for r in runs]


def count_lines(path: Path) -> int:
    with path.open("rb") as stream:
        return sum(1 for line in stream if line.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--baseline-tag", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--baseline-train", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--model", help="Model directory or version (default: the store's default).")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed-article", default=str(next(iter(sorted((REPO / "seeds").glob("*.txt"))))))
    args = parser.parse_args()
    if args.baseline_tag:
        return baseline_tag(args.baseline_tag, args.model)
    if args.baseline_train:
        return baseline_train(*args.baseline_train)
    report(args)


def report(args: argparse.Namespace) -> None:
    model = ["--model", args.model] if args.model else []
    baseline = [sys.executable, str(Path(__file__).resolve())]
    n_pool = count_lines(POOL)
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        subprocess.run([*CLI, "tag", args.seed_article, *model], cwd=REPO, check=True, capture_output=True)  # cache
        ours_out, base_out = tmp / "ours.jsonl", tmp / "base.jsonl"
        ours_pool = median_of(
            args.repeats, lambda: run([*CLI, "tag", str(POOL), "--format", "jsonl", *model], ours_out)
        )
        base_pool = median_of(args.repeats, lambda: run([*baseline, "--baseline-tag", str(POOL), *model], base_out))
        identical = ours_out.read_bytes() == base_out.read_bytes()
        rows.append(("batch tag, articles/s", ">= 1000", n_pool / ours_pool[0], n_pool / base_pool[0], "higher"))
        rows.append(("  output identical to baseline", "yes", identical, None, None))
        rows.append(("peak RSS pool 1x, MiB", "<= 400", ours_pool[1], base_pool[1], "lower"))
        big = tmp / "pool4x.jsonl"
        big.write_bytes(POOL.read_bytes() * 4)
        ours_big = median_of(1, lambda: run([*CLI, "tag", str(big), "--format", "jsonl", *model]))
        rows.append(("peak RSS pool 4x, MiB", "~ as 1x", ours_big[1], None, None))
        rows.append(("batch tag 4x, articles/s", ">= 1000", 4 * n_pool / ours_big[0], None, "higher"))
        cold = median_of(max(5, args.repeats), lambda: run([*CLI, "tag", args.seed_article, *model]))
        base_cold = median_of(
            max(5, args.repeats), lambda: run([*baseline, "--baseline-tag", args.seed_article, *model])
        )
        rows.append(("cold start one article, s", "<= 1.0", cold[0], base_cold[0], "lower"))

        def train(out: Path, command: list[str]) -> tuple[float, int]:
            import shutil

            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            return run(command)

        ours_train = median_of(
            args.repeats,
            lambda: train(tmp / "m", [*CLI, "train", "--labels", str(THUCNEWS), "--out", str(tmp / "m")]),
        )
        base_train = median_of(
            args.repeats, lambda: train(tmp / "b", [*baseline, "--baseline-train", str(THUCNEWS), str(tmp / "b")])
        )
        rows.append(("train THUCNews 10k, s", "<= 15", ours_train[0], base_train[0], "lower"))
    print_table(rows, args.repeats)
    print(
        f"\nruns (s): pool {ours_pool[2]} vs baseline {base_pool[2]}; cold {cold[2]} vs {base_cold[2]}; "
        f"train {ours_train[2]} vs {base_train[2]}; load average {os.getloadavg()[0]:.2f}"
    )


def print_table(rows: list[tuple], repeats: int) -> None:
    print(f"{'figure':<32} {'target':>8} {'ours':>9} {'baseline':>9} {'ratio':>7}")
    for name, target, ours, base, better in rows:
        if isinstance(ours, bool):
            print(f"{name:<32} {target:>8} {'yes' if ours else 'NO':>9}")
            continue
        ratio = "" if base is None else f"{(ours / base if better == 'higher' else base / ours):.1f}x"
        base_text = "" if base is None else f"{base:,.2f}" if base < 100 else f"{base:,.0f}"
        ours_text = f"{ours:,.2f}" if ours < 100 else f"{ours:,.0f}"
        print(f"{name:<32} {target:>8} {ours_text:>9} {base_text:>9} {ratio:>7}")
    print(f"(medians of {repeats} runs, cold start of 5; ratio > 1 means ours is better)")


if __name__ == "__main__":
    main()
