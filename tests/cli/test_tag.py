"""`classifier tag` as a user meets it: real commands, real files, exit codes and messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import SEED_PAGE, one_line_error, write_jsonl

TAXONOMY_IDS = [
    "environment",
    "energy",
    "industry",
    "technology",
    "economy",
    "public_service",
    "urban_rural",
    "culture",
]


def test_tag_a_seed_page_with_the_default_model(invoke) -> None:
    result = invoke("tag", SEED_PAGE, "--split", "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == [f"000_10373714aa9facff-{n:02d}" for n in range(1, 10)]
    for r in records:
        assert set(r) == {"id", "title", "topics", "scores", "keywords"}
        assert sorted(r["scores"]) == sorted(TAXONOMY_IDS)
        assert all(0.0 <= s <= 1.0 for s in r["scores"].values())
        assert set(r["topics"]) <= set(TAXONOMY_IDS)
    # The first article is about air pollution control: a model of the default recipe must say so.
    assert "environment" in records[0]["topics"]


def test_tag_reads_stdin_and_explains(invoke) -> None:
    text = "推动煤炭清洁高效利用\n加快光伏、风电等新能源发展，建设新型储能电站，保障电力供应和电网安全。"
    result = invoke("tag", "-", "--format", "json", "--explain", "--top", "1", input=text)
    assert result.exit_code == 0, result.stderr
    (record,) = json.loads(result.stdout)
    assert record["id"] == "stdin"
    assert record["topics"] == ["energy"]
    assert record["explain"]["energy"], "an assigned topic names the terms behind it"


def test_tag_jsonl_keeps_input_order(invoke, tmp_path: Path) -> None:
    texts = ["植树造林，治理大气污染。", "足球比赛", "发展量子计算和人工智能。"]
    path = write_jsonl(tmp_path / "in.jsonl", [{"id": f"a{i}", "text": t} for i, t in enumerate(texts)])
    result = invoke("tag", path, "--format", "jsonl")
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a0", "a1", "a2"]


def test_tag_refuses_a_format_it_does_not_write(invoke) -> None:
    message = one_line_error(invoke("tag", SEED_PAGE, "--format", "markdown"))
    assert message == "error: --format markdown: choose one of table, json, jsonl"


def test_tag_missing_file(invoke) -> None:
    assert one_line_error(invoke("tag", "nope.txt")) == "error: nope.txt: no such file or directory"


@pytest.mark.no_default_model
def test_tag_without_any_model(invoke) -> None:
    assert "no default model" in one_line_error(invoke("tag", SEED_PAGE))


def test_tag_with_a_directory_that_is_not_a_model(invoke, tmp_path: Path) -> None:
    (tmp_path / "meta.json").write_text('{"hello": 1}', encoding="utf-8")
    assert "not a classifier model" in one_line_error(invoke("tag", SEED_PAGE, "--model", tmp_path))


def test_tag_with_a_model_of_another_format(invoke, seed_model: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(seed_model, old)
    meta = json.loads((old / "meta.json").read_text(encoding="utf-8"))
    meta["format"] = "classifier-model/9"
    (old / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    message = one_line_error(invoke("tag", SEED_PAGE, "--model", old))
    assert "model format classifier-model/9, this version reads classifier-model/3" in message


def test_tagging_a_directory_into_a_file_inside_it_does_not_read_that_file(invoke, tmp_path: Path) -> None:
    """The second run used to tag the first run's output as articles."""
    folder = tmp_path / "in"
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", [{"id": "a1", "text": "治理大气污染。"}, {"id": "a2", "text": "发展人工智能。"}])
    out = folder / "tags.jsonl"
    for _ in range(2):
        assert invoke("tag", folder, "--output", out).exit_code == 0
        assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == ["a1", "a2"]


def test_an_empty_input_is_an_error_and_writes_nothing(invoke, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    out = tmp_path / "tags.jsonl"
    assert one_line_error(invoke("tag", empty, "--output", out)) == f"error: no articles in {empty}"
    assert not out.exists()


def test_cluster_options_are_checked_before_any_cluster_starts(invoke, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": "股市上涨"}])
    for args, message in (
        (["--cluster", "local:2"], "give it with --output DIR"),
        (["--cluster", "local:2", "-o", tmp_path / "out", "--format", "table"], "choose one of jsonl, parquet"),
        (["--cluster", "local:2", "-o", tmp_path / "out", "--jobs", "2"], "--jobs does not go with --cluster"),
        (["--cluster", "yarn", "-o", tmp_path / "out"], "give local, local:N or a scheduler address"),
        (["--overwrite"], "--overwrite goes with --cluster"),
        (["--format", "parquet"], "choose one of table, json, jsonl"),
    ):
        assert message in one_line_error(invoke("tag", data, *args)), args


def test_plain_tag_does_not_import_dask() -> None:
    import subprocess
    import sys

    code = "import sys, classifier.cli.tag; assert 'distributed' not in sys.modules and 'pandas' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
