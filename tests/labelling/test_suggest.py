"""Active learning: the ranking strategies, and `classifier suggest` as a `label` source."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy import sparse

from classifier.labelling.suggest import rank
from classifier.model.decision import article_uncertainty, topic_uncertainty
from classifier.reading.reader import read_articles
from tests.conftest import write_jsonl

THRESHOLDS = np.array([0.5, 0.2])


def test_uncertainty_is_highest_at_the_threshold_on_either_side() -> None:
    scores = np.array([[0.5, 0.2], [0.9, 0.01], [0.45, 0.01], [0.55, 0.01]])
    u = topic_uncertainty(scores, THRESHOLDS)
    assert u[0, 0] == 1.0 and u[0, 1] == 1.0
    assert u[1, 0] < u[2, 0] and abs(u[2, 0] - u[3, 0]) < 0.05
    value = article_uncertainty(u)
    assert value.argmax() == 0  # two unsure topics beat one


def test_strategies_rank_unsure_articles_first_and_spread_out() -> None:
    scores = np.array([[0.5, 0.01], [0.51, 0.01], [0.49, 0.01], [0.99, 0.01], [0.3, 0.2]])
    # Articles 0-2 are the same story; 3 and 4 differ.
    features = sparse.csr_matrix(np.array([[1, 0, 0], [1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float))
    assert rank(scores, THRESHOLDS, features, 2, "uncertainty") == [4, 0]  # near-duplicates of 0 passed over
    diverse = rank(scores, THRESHOLDS, features, 3, "diverse")
    assert diverse[:2] == [4, 0] and diverse[2] == 3
    random = rank(scores, THRESHOLDS, features, 5, "random", seed=1)
    assert sorted(random) == [0, 1, 2, 3, 4]


def test_suggest_writes_a_label_source_without_labelled_articles(invoke, tmp_path: Path) -> None:
    texts = [
        "植树造林，治理大气污染。",
        "光伏发电并网，新能源装机增长。",
        "文艺演出走进社区。",
        "足球比赛",
        "发展人工智能。",
    ]
    pool = write_jsonl(tmp_path / "pool.jsonl", [{"id": f"a{i}", "title": "", "text": t} for i, t in enumerate(texts)])
    labels = tmp_path / "labels"
    labels.mkdir()
    write_jsonl(labels / "mine.jsonl", [{"id": "a0", "text": texts[0], "topics": ["environment"]}])
    out = tmp_path / "suggested.jsonl"
    result = invoke("suggest", pool, "--limit", "3", "--output", out, "--label-store", labels / "new.jsonl")
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["rank"] for r in records] == [1, 2, 3]
    assert "a0" not in {r["id"] for r in records}  # labelled already
    assert {"id", "title", "text", "scores", "model_topics", "reason", "uncertainty"} <= set(records[0])
    assert "topics" not in records[0]  # the model's guess is not written where a label would be read
    assert [a.id for a in read_articles([out])] == [r["id"] for r in records]  # usable by `classifier label`
    result = invoke("suggest", pool, "--strategy", "diverse", "--format", "table", "--label-store", labels / "n.jsonl")
    assert result.exit_code == 0 and result.stdout.startswith("rank")


def test_suggest_missing_pool_is_one_line(invoke, tmp_path: Path) -> None:
    result = invoke("suggest", tmp_path / "nope.jsonl")
    assert result.exit_code == 1 and "no such file" in result.stderr
