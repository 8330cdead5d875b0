"""THUCNews headline benchmark: our TF-IDF + linear recipe against fastText on the same split.

What it measures
----------------
Top-1 accuracy on ``test.jsonl`` (10,000 headlines, ten single-label classes) after training on
``train.jsonl`` (10,000 headlines), and the wall-clock seconds of training, for

* ``classifier.model.estimator.build_pipeline()`` -- the project's default recipe; top-1 is the argmax of
  ``predict_proba`` (the per-topic thresholds are not used);
* fastText supervised, once on characters separated by spaces and once on jieba words.

Both systems see the same normalised text (``classifier.model.text.normalise``). fastText's
training files are written to a temporary directory that is removed afterwards. fastText is a
benchmark-only dependency: ``pip install fasttext-numpy2-wheel``.

Run from the project root::

    PYTHONPATH=. python benchmarks/thucnews.py [--data-dir ../shared/data/thucnews]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifier.locations import shared_data_dir
from classifier.model.text import normalise

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = shared_data_dir() / "thucnews"


@dataclass(frozen=True)
class Split:
    """Headlines and their single gold topic."""

    texts: list[str]
    labels: list[str]


@dataclass(frozen=True)
class Result:
    """One row of the results table."""

    system: str
    tokens: str
    accuracy: float
    train_seconds: float


def load_split(path: Path) -> Split:
    """Read a ``{"id", "text", "topics": [one]}`` JSON-lines file."""
    texts, labels = [], []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                texts.append(row["text"])
                labels.append(row["topics"][0])
    return Split(texts, labels)


def accuracy(predicted: Sequence[str], gold: Sequence[str]) -> float:
    """Fraction of exact matches."""
    return float(np.mean(np.asarray(predicted) == np.asarray(gold)))


def run_recipe(train: Split, test: Split) -> Result:
    """Fit ``build_pipeline()`` on the training split and score top-1 on the test split."""
    from classifier.model.estimator import build_pipeline

    pipeline = build_pipeline()
    start = time.perf_counter()
    pipeline.fit(train.texts, [[label] for label in train.labels])
    seconds = time.perf_counter() - start
    scores = pipeline.predict_proba(test.texts)
    predicted = pipeline[-1].classes_[scores.argmax(axis=1)]
    return Result(
        "TF-IDF + linear (build_pipeline)", "jieba words + chars 1-3", accuracy(predicted, test.labels), seconds
    )


def char_tokens(text: str) -> list[str]:
    """Every non-space character of the normalised text."""
    return [c for c in normalise(text) if not c.isspace()]


def jieba_tokens(text: str) -> list[str]:
    """jieba words of the normalised text, white space dropped."""
    import jieba

    return [w for w in jieba.lcut(normalise(text)) if w.strip()]


def run_fasttext(
    train: Split,
    test: Split,
    tokenise: Callable[[str], list[str]],
    tokens_name: str,
    workdir: Path,
    seed: int = 0,
) -> Result:
    """Train fastText supervised on one tokenisation and score top-1 on the test split."""
    import fasttext

    train_file = workdir / f"train.{tokens_name.split()[0]}.txt"
    with train_file.open("w", encoding="utf-8") as out:
        for text, label in zip(train.texts, train.labels, strict=True):
            out.write(f"__label__{label} {' '.join(tokenise(text))}\n")
    start = time.perf_counter()
    model = fasttext.train_supervised(
        input=str(train_file),
        epoch=25,
        lr=0.5,
        wordNgrams=2,
        dim=100,
        minCount=1,
        loss="softmax",
        seed=seed,
        thread=2,
        verbose=0,
    )
    seconds = time.perf_counter() - start
    labels, _ = model.predict([" ".join(tokenise(text)) for text in test.texts], k=1)
    predicted = [row[0].removeprefix("__label__") for row in labels]
    return Result("fastText supervised", tokens_name, accuracy(predicted, test.labels), seconds)


def markdown_table(results: Sequence[Result]) -> str:
    """Results as a small markdown table."""
    lines = ["| system | tokens | top1 accuracy | train seconds |", "|---|---|---|---|"]
    lines += [f"| {r.system} | {r.tokens} | {r.accuracy:.4f} | {r.train_seconds:.1f} |" for r in results]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder with train.jsonl and test.jsonl"
    )
    parser.add_argument("--seed", type=int, default=0, help="fastText seed")
    args = parser.parse_args(argv)

    paths = [args.data_dir / "train.jsonl", args.data_dir / "test.jsonl"]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"THUCNews data not found: {', '.join(missing)} (set --data-dir)", file=sys.stderr)
        return 2
    try:
        import fasttext  # noqa: F401
    except ImportError:
        print("fastText is not installed: pip install fasttext-numpy2-wheel", file=sys.stderr)
        return 2

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()  # load the dictionary before any timer starts
    train, test = load_split(paths[0]), load_split(paths[1])

    results = [run_recipe(train, test)]
    with tempfile.TemporaryDirectory(prefix="thucnews-fasttext-") as tmp:
        results.append(run_fasttext(train, test, char_tokens, "characters", Path(tmp), args.seed))
        results.append(run_fasttext(train, test, jieba_tokens, "jieba words", Path(tmp), args.seed))
    print(markdown_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
