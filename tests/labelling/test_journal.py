"""The label journal: decisions appended and materialised, crashes survived, ids that clash refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.article import Article
from classifier.errors import ClassifierError
from classifier.labelling.journal import open_journal
from tests.conftest import write_jsonl


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "labels" / "new_labels.jsonl"


def test_journal_is_the_truth_after_a_crash(store_path: Path) -> None:
    store = open_journal(store_path)
    store.record(Article("p1", "t", "正文"), ["energy"], "ann", "test")
    store.record(Article("p2", "t", "正文"), None, "ann", "test")  # a skip: journalled, not a label
    # A crash after the journal append, before the label file was rewritten, with a torn last line:
    store_path.unlink()
    with store.journal_path.open("a", encoding="utf-8") as out:
        out.write('{"id": "p3", "act')
    reopened = open_journal(store_path)
    assert [r["id"] for r in lines(store_path)] == ["p1"]
    assert set(reopened.latest()) == {"p1", "p2"}


def test_label_file_without_journal_is_not_overwritten(store_path: Path) -> None:
    store_path.parent.mkdir(parents=True)
    write_jsonl(store_path, [{"id": "x", "text": "正文", "topics": []}])
    with pytest.raises(ClassifierError, match="no journal"):
        open_journal(store_path)
