"""`classifier labels` as a user meets it: add, import, export, check, stats (review: tests/labelling/test_review.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.reading.labels import check_labels, split_seed_pages
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
    result = invoke(
        "labels", "add", SEED_ID, "--topics", "environment", "--label-store", store_path, "--annotator", "ann"
    )
    assert result.exit_code == 0, result.stderr
    result = invoke("labels", "add", "p1", "p2", "--topics", "energy", "--from", pool, "--label-store", store_path)
    assert result.exit_code == 0, result.stderr
    result = invoke(
        "labels", "add", "p2", "--topics", "none", "--from", pool, "--label-store", store_path
    )  # a correction
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
    result = invoke("labels", "add", *args, "--label-store", store_path)
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_an_id_labelled_in_another_file_is_refused(invoke, store_path: Path) -> None:
    store_path.parent.mkdir(parents=True)
    write_jsonl(store_path.parent / "seed_labels.jsonl", [{"id": SEED_ID, "topics": ["environment"]}])
    result = invoke("labels", "add", SEED_ID, "--topics", "energy", "--label-store", store_path)
    assert result.exit_code == 1 and "already labelled at" in result.stderr


def test_import_is_all_or_nothing_and_export_prints_labels(invoke, store_path: Path, tmp_path: Path) -> None:
    bad = write_jsonl(tmp_path / "bad.jsonl", [{**POOL[0], "topics": ["energy"]}, {**POOL[1], "topics": ["sport"]}])
    result = invoke("labels", "import", bad, "--label-store", store_path)
    assert result.exit_code == 1 and "bad.jsonl:2: unknown topic 'sport'" in result.stderr
    assert not store_path.exists()
    good = write_jsonl(tmp_path / "good.jsonl", [{**POOL[0], "topics": ["energy"]}, {"id": SEED_ID, "topics": []}])
    result = invoke("labels", "import", good, "--label-store", store_path, "--annotator", "bob")
    assert result.exit_code == 0, result.stderr
    assert "imported 2 labels" in result.stdout
    exported = [
        json.loads(line) for line in invoke("labels", "export", "--label-store", store_path).stdout.splitlines()
    ]
    assert [(r["id"], r["topics"], r["annotator"], r["source"]) for r in exported] == [
        ("p1", ["energy"], "bob", "good.jsonl"),
        (SEED_ID, [], "bob", "good.jsonl"),
    ]


def test_a_torn_journal_line_loses_nothing_after_it(invoke, store_path: Path, tmp_path: Path) -> None:
    pool = write_jsonl(tmp_path / "pool.jsonl", POOL)
    assert (
        invoke("labels", "add", "p1", "--topics", "energy", "--from", pool, "--label-store", store_path).exit_code == 0
    )
    journal = store_path.parent / "journal" / store_path.name
    with journal.open("a", encoding="utf-8") as out:
        out.write('{"id": "p2", "topi')  # a crash in the middle of a write
    for topics in ("culture", "none"):  # two decisions after the crash
        result = invoke("labels", "add", "p2", "--topics", topics, "--from", pool, "--label-store", store_path)
        assert result.exit_code == 0, result.stderr
    assert {r["id"]: r["topics"] for r in lines(store_path)} == {"p1": ["energy"], "p2": []}


def test_an_unwritable_output_is_a_one_line_error(invoke, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("", encoding="utf-8")
    result = invoke("labels", "export", "--output", tmp_path / "afile" / "out.jsonl")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_labels_check_reports_each_problem_with_file_and_line(invoke, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"id": "000_10373714aa9facff-01", "topics": ["environment"]}),
                json.dumps({"id": "000_10373714aa9facff-01", "topics": ["environment"]}),
                json.dumps({"id": "000_10373714aa9facff-02", "topics": ["weather"]}),
                json.dumps({"id": "no-such-article", "topics": []}),
                "{not json",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = invoke("labels", "check", "--labels", path)
    assert result.exit_code == 1
    assert f"{path}:2: duplicate id '000_10373714aa9facff-01' (first at {path}:1)" in result.stderr
    assert f"{path}:3: unknown topic 'weather'" in result.stderr
    assert f"{path}:4: id 'no-such-article' does not resolve to a seed article" in result.stderr
    assert f"{path}:5: not valid JSON" in result.stderr


def test_shipped_labels_pass_check_and_cover_every_seed_article(invoke, hermetic: Path) -> None:
    result = invoke("labels", "check")
    assert result.exit_code == 0, result.stderr
    labelled = {json.loads(line)["id"] for line in (hermetic / "labels" / "seed_labels.jsonl").read_text().splitlines()}
    assert labelled == set(split_seed_pages())


def test_labels_stats(invoke) -> None:
    result = invoke("labels", "stats", "--format", "json")
    assert result.exit_code == 0
    stats = json.loads(result.stdout)
    assert stats["articles"] == 50
    assert stats["cooccurrence"]["energy"]["energy"] == stats["counts"]["energy"]
