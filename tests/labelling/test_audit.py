"""`labels audit`: the labels the out-of-fold scores contradict most come first; flipped labels are found."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from classifier.article import Article
from tests.conftest import ROOT

#: A topic swapped for one far from it, to make a labelling mistake on purpose.
FAR = {
    "environment": "culture",
    "culture": "industry",
    "industry": "culture",
    "technology": "urban_rural",
    "urban_rural": "technology",
    "public_service": "energy",
    "energy": "public_service",
    "economy": "environment",
}


def test_rank_disagreements_orders_by_the_most_contradicted_topic() -> None:
    from classifier.labelling.audit import rank_disagreements

    articles = [Article("a", "A", "x", ["t1"]), Article("b", "B", "y", ["t2"]), Article("c", "C", "z", [])]
    scores = np.array([[0.9, 0.1], [0.95, 0.3], [0.4, 0.4]])
    rows = rank_disagreements(articles, ["t1", "t2"], scores, [["t1"], ["t1"], []], {"b": "labels.jsonl:2"})
    assert [r["id"] for r in rows] == ["b", "c", "a"]
    first = rows[0]
    assert first["disagreement"] == pytest.approx(0.95) and first["expected_wrong"] == pytest.approx(1.65)
    assert first["disputed"] == [
        {"topic": "t1", "labelled": False, "score": 0.95},
        {"topic": "t2", "labelled": True, "score": 0.3},
    ]
    assert first["label_at"] == "labels.jsonl:2" and first["hand_topics"] == ["t2"]
    assert "topics" not in first  # a review source, never a label file


def flipped_copy(folder: Path, n: int = 5) -> tuple[Path, list[str]]:
    """A copy of the seed labels with ``n`` single-topic labels swapped for a far topic, spread over the file."""
    records = [json.loads(line) for line in (ROOT / "labels" / "seed_labels.jsonl").read_text("utf-8").splitlines()]
    singles = [r for r in records if len(r["topics"]) == 1]
    flipped = []
    for record in singles[:: len(singles) // n][:n]:
        record["topics"] = [FAR[record["topics"][0]]]
        flipped.append(record["id"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "seed_labels.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path, flipped


@pytest.mark.slow
def test_audit_finds_labels_flipped_on_purpose(tmp_path: Path) -> None:
    from classifier.labelling.audit import audit_labels
    from classifier.model.training import load_training

    path, flipped = flipped_copy(tmp_path / "labels")
    # A fixed term-prior weight: the same recipe at a third of the cost.
    articles, recipe, files = load_training([path], prior_weight=0.5)
    top = audit_labels(articles, recipe, files, limit=10)
    found = [r["id"] for r in top if r["id"] in flipped]
    assert len(found) >= 4, (flipped, [r["id"] for r in top])
    for row in top:
        if row["id"] in flipped:
            # The flipped topic is among the disputed ones, as labelled but scored low.
            assert any(d["labelled"] and d["topic"] in row["hand_topics"] for d in row["disputed"])
            assert row["label_at"].endswith(f"seed_labels.jsonl:{1 + _line(path, row['id'])}")


def _line(path: Path, article_id: str) -> int:
    ids = [json.loads(line)["id"] for line in path.read_text("utf-8").splitlines()]
    return ids.index(article_id)


@pytest.mark.slow
def test_audit_command_writes_a_review_source(invoke, tmp_path: Path) -> None:
    from classifier.reading.reader import read_articles

    path, flipped = flipped_copy(tmp_path / "labels")
    out = tmp_path / "audit.jsonl"
    result = invoke("labels", "audit", "--labels", path, "--folds", "3", "--limit", "8", "--output", out)
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(rows) == 8 and [r["rank"] for r in rows] == list(range(1, 9))
    # What `classifier labels review` reads from a source: whole articles, no label.
    articles = list(read_articles([out]))
    assert [a.id for a in articles] == [r["id"] for r in rows]
    assert all(a.text and a.topics is None for a in articles)
    from classifier.labelling.audit import format_audit

    table = format_audit(rows[:3]).splitlines()
    assert table[0].split()[:2] == ["#", "disagree"] and len(table) == 5
    assert rows[0]["id"] in table[1]


def test_audit_with_too_many_folds_is_one_line(invoke) -> None:
    from tests.conftest import one_line_error

    message = one_line_error(invoke("labels", "audit", "--folds", "500"))
    assert "folds" in message


def test_review_rechecks_audited_articles_labelled_in_its_store(tmp_path: Path) -> None:
    from classifier.labelling.journal import open_journal
    from classifier.labelling.review import review_queue
    from tests.conftest import write_jsonl

    audit = write_jsonl(
        tmp_path / "audit.jsonl",
        [{"id": "n1", "title": "标题", "text": "正文", "hand_topics": ["energy"], "disagreement": 0.9}],
    )
    store = open_journal(tmp_path / "labels" / "new_labels.jsonl")
    store.record(Article("n1", "标题", "正文"), ["energy"], "me", "test")
    assert [i.article.id for i in review_queue([str(audit)], False, store)] == []
    rechecked = list(review_queue([str(audit)], False, store, recheck=True))
    assert [i.article.id for i in rechecked] == ["n1"] and rechecked[0].article.topics is None
