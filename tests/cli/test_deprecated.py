"""Old spellings of commands and options still work for one release, and say so in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.cli._deprecated import upgrade_arguments
from tests.conftest import SEED_PAGE, own_corpus, write_jsonl


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["split", "p.txt", "--out", "a.jsonl"], ["split", "p.txt", "--output", "a.jsonl"]),
        (["split", "p.txt", "--out=a.jsonl"], ["split", "p.txt", "--output=a.jsonl"]),
        (["evaluate", "-k", "3"], ["evaluate", "--folds", "3"]),
        (["evaluate", "-k3"], ["evaluate", "--folds", "3"]),
        (["models", "compare", "a", "b", "-k", "3"], ["models", "compare", "a", "b", "--folds", "3"]),
        (
            ["suggest", "p", "--n", "5", "--label-file", "s.jsonl"],
            ["suggest", "p", "--limit", "5", "--label-store", "s.jsonl"],
        ),
        (["label", "p.jsonl", "--out", "s.jsonl"], ["labels", "review", "p.jsonl", "--label-store", "s.jsonl"]),
        (
            ["label", "add", "x", "-t", "energy", "-f", "p.jsonl", "-o", "s.jsonl"],
            ["labels", "add", "x", "--topics", "energy", "--from", "p.jsonl", "--label-store", "s.jsonl"],
        ),
        (
            ["label", "export", "-o", "s.jsonl", "--output", "out.jsonl"],
            ["labels", "export", "--label-store", "s.jsonl", "--output", "out.jsonl"],
        ),
    ],
)
def test_old_spellings_are_upgraded_with_a_warning_each(old: list[str], new: list[str]) -> None:
    upgraded, warnings = upgrade_arguments(old)
    assert upgraded == new
    assert warnings and all("deprecated" in w for w in warnings)


@pytest.mark.parametrize(
    "args",
    [
        ["tag", "a.txt", "-k", "2", "-o", "out.jsonl"],  # -k is --top and -o --output in tag: nothing old here
        ["labels", "add", "x", "--topics", "energy"],
        ["split", "--", "--out"],  # after --, a file named --out
        [],
    ],
)
def test_todays_spellings_are_left_alone(args: list[str]) -> None:
    assert upgrade_arguments(args) == (args, [])


def test_old_options_still_work_and_warn(invoke, tmp_path: Path) -> None:
    out = tmp_path / "articles.jsonl"
    result = invoke("split", SEED_PAGE, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 9
    assert "warning: --out is deprecated: use --output" in result.stderr

    labels = own_corpus(tmp_path / "own.jsonl")
    result = invoke("evaluate", "--labels", labels, "--own-topics", "-k", "3", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["folds"] == 3
    assert "warning: -k is deprecated: use --folds" in result.stderr


def test_the_old_label_command_still_labels_and_warns(invoke, tmp_path: Path) -> None:
    pool = write_jsonl(tmp_path / "pool.jsonl", [{"id": "p1", "title": "光伏", "text": "光伏电站并网发电。"}])
    store = tmp_path / "labels" / "new_labels.jsonl"
    result = invoke("label", "add", "p1", "-t", "energy", "-f", pool, "--out", store)
    assert result.exit_code == 0, result.stderr
    assert "warning: `classifier label add` is deprecated: use `classifier labels add`" in result.stderr
    assert [json.loads(line)["topics"] for line in store.read_text(encoding="utf-8").splitlines()] == [["energy"]]


def test_a_mistyped_labels_command_is_not_taken_for_a_file(invoke) -> None:
    result = invoke("labels", "chek")
    assert result.exit_code != 0 and "No such command" in result.output
