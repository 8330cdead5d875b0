"""The label store and the non-interactive `label add / import / export` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.errors import ClassifierError
from classifier.labelling import open_store
from classifier.labels import check_labels, split_seed_pages
from classifier.taxonomy import load_taxonomy
from tests.conftest import write_jsonl

SEED_ID = "000_10373714aa9facff-01"
POOL = [
    {"id": "p1", "title": "光伏电站并网", "text": "新建光伏电站今日并网发电。", "date": "20240101"},
    {"id": "p2", "title": "文艺演出", "text": "文化馆组织文艺演出走进社区。"},
]


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "labels" / "new_labels.jsonl"


def test_add_seed_and_pool_articles_then_correct(invoke, store_path: Path, tmp_path: Path) -> None:
    pool = write_jsonl(tmp_path / "pool.jsonl", POOL)
    result = invoke("label", "add", SEED_ID, "--topics", "environment", "--out", store_path, "--annotator", "ann")
    assert result.exit_code == 0, result.stderr
    result = invoke("label", "add", "p1", "p2", "--topics", "energy", "--from", pool, "--out", store_path)
    assert result.exit_code == 0, result.stderr
    result = invoke("label", "add", "p2", "--topics", "none", "--from", pool, "--out", store_path)  # a correction
    assert result.exit_code == 0, result.stderr
    labels = {r["id"]: r for r in lines(store_path)}
    assert labels[SEED_ID]["topics"] == ["environment"] and "text" not in labels[SEED_ID]  # seeds by reference
    assert labels[SEED_ID]["title"] == split_seed_pages()[SEED_ID].title and labels[SEED_ID]["annotator"] == "ann"
    assert labels["p1"]["text"] == POOL[0]["text"] and labels["p1"]["date"] == "20240101"
    assert labels["p2"]["topics"] == []
    assert len(lines(store_path.parent / "journal" / "new_labels.jsonl")) == 4  # every decision kept
    assert check_labels([store_path], load_taxonomy().ids) == []  # `labels check` passes, no duplicate ids


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--topics", "energy"], "no article with id nope"),
        ([SEED_ID, "--topics", "sport"], "unknown topic(s) sport"),
    ],
)
def test_add_rejects_bad_input_in_one_line(invoke, store_path: Path, args: list[str], message: str) -> None:
    result = invoke("label", "add", *args, "--out", store_path)
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_an_id_labelled_in_another_file_is_refused(invoke, store_path: Path) -> None:
    store_path.parent.mkdir(parents=True)
    write_jsonl(store_path.parent / "seed_labels.jsonl", [{"id": SEED_ID, "topics": ["environment"]}])
    result = invoke("label", "add", SEED_ID, "--topics", "energy", "--out", store_path)
    assert result.exit_code == 1 and "already labelled at" in result.stderr


def test_import_is_all_or_nothing_and_export_prints_labels(invoke, store_path: Path, tmp_path: Path) -> None:
    bad = write_jsonl(tmp_path / "bad.jsonl", [{**POOL[0], "topics": ["energy"]}, {**POOL[1], "topics": ["sport"]}])
    result = invoke("label", "import", bad, "--out", store_path)
    assert result.exit_code == 1 and "bad.jsonl:2: unknown topic(s) sport" in result.stderr
    assert not store_path.exists()
    good = write_jsonl(tmp_path / "good.jsonl", [{**POOL[0], "topics": ["energy"]}, {"id": SEED_ID, "topics": []}])
    result = invoke("label", "import", good, "--out", store_path, "--annotator", "bob")
    assert result.exit_code == 0, result.stderr
    assert "imported 2 labels" in result.stdout
    exported = [json.loads(line) for line in invoke("label", "export", "--out", store_path).stdout.splitlines()]
    assert [(r["id"], r["topics"], r["annotator"], r["source"]) for r in exported] == [
        ("p1", ["energy"], "bob", "good.jsonl"),
        (SEED_ID, [], "bob", "good.jsonl"),
    ]


def test_journal_is_the_truth_after_a_crash(store_path: Path) -> None:
    from classifier.article import Article

    store = open_store(store_path)
    store.record(Article("p1", "t", "正文"), ["energy"], "ann", "test")
    store.record(Article("p2", "t", "正文"), None, "ann", "test")  # a skip: journalled, not a label
    # A crash after the journal append, before the label file was rewritten, with a torn last line:
    store_path.unlink()
    with store.journal_path.open("a", encoding="utf-8") as out:
        out.write('{"id": "p3", "act')
    reopened = open_store(store_path)
    assert [r["id"] for r in lines(store_path)] == ["p1"]
    assert set(reopened.latest()) == {"p1", "p2"}


def test_label_file_without_journal_is_not_overwritten(store_path: Path) -> None:
    store_path.parent.mkdir(parents=True)
    write_jsonl(store_path, [{"id": "x", "text": "正文", "topics": []}])
    with pytest.raises(ClassifierError, match="no journal"):
        open_store(store_path)


def test_a_torn_journal_line_loses_nothing_after_it(invoke, store_path: Path, tmp_path: Path) -> None:
    pool = write_jsonl(tmp_path / "pool.jsonl", POOL)
    assert invoke("label", "add", "p1", "--topics", "energy", "--from", pool, "--out", store_path).exit_code == 0
    journal = store_path.parent / "journal" / store_path.name
    with journal.open("a", encoding="utf-8") as out:
        out.write('{"id": "p2", "topi')  # a crash in the middle of a write
    for topics in ("culture", "none"):  # two decisions after the crash
        result = invoke("label", "add", "p2", "--topics", topics, "--from", pool, "--out", store_path)
        assert result.exit_code == 0, result.stderr
    assert {r["id"]: r["topics"] for r in lines(store_path)} == {"p1": ["energy"], "p2": []}


def test_an_unwritable_output_is_a_one_line_error(invoke, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("", encoding="utf-8")
    result = invoke("label", "export", "--output", tmp_path / "afile" / "out.jsonl")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
