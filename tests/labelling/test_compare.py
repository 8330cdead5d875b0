"""`classifier models compare`: two versions on the same test file or the same folds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import own_corpus

FEWER = [
    {"id": "s0", "title": "", "text": "足球联赛今晚开赛，主队在主场迎战", "topics": ["sport"]},
    {"id": "s1", "title": "", "text": "篮球比赛进入决赛，球员发挥出色", "topics": ["sport"]},
    {"id": "m0", "title": "", "text": "股市今日上涨，银行板块领涨", "topics": ["money"]},
    {"id": "s2", "title": "", "text": "运动员在田径比赛中打破纪录", "topics": ["sport"]},
    {"id": "m1", "title": "", "text": "央行下调存款准备金率，释放流动性", "topics": ["money"]},
    {"id": "m2", "title": "", "text": "基金净值回升，投资者信心增强", "topics": ["money"]},
    {"id": "b0", "title": "", "text": "球队老板投资股市，体育产业基金上涨", "topics": ["sport", "money"]},
]


@pytest.fixture(scope="module")
def two_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    from typer.testing import CliRunner

    from classifier.cli import app
    from tests.conftest import write_jsonl

    base = tmp_path_factory.mktemp("compare")
    small = write_jsonl(base / "small.jsonl", FEWER)
    full = own_corpus(base / "full.jsonl")
    for labels, out in ((small, base / "a"), (full, base / "b")):
        result = CliRunner().invoke(app, ["train", "--labels", str(labels), "--own-topics", "--output", str(out)])
        assert result.exit_code == 0, result.stderr
    return base / "a", base / "b", full


def test_compare_on_a_test_file(invoke, two_models, tmp_path: Path) -> None:
    a, b, _ = two_models
    test = own_corpus(tmp_path / "test.jsonl")
    result = invoke("models", "compare", a, b, "--test", test)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert f"A = {a.name}" in out and "F1 per topic" in out and "micro_f1" in out
    assert "articles changed their tags" in out
    report = json.loads(invoke("models", "compare", a, b, "--test", test, "--format", "json").stdout)
    assert set(report["metrics"]) == {a.name, b.name}
    assert report["n_articles"] == 9
    for row in report["changed"]:
        assert row[a.name] != row[b.name]


def test_compare_by_cross_validation(invoke, two_models) -> None:
    a, b, _ = two_models
    # Leave-one-out: the smaller model keeps enough of each topic in every fold.
    result = invoke("models", "compare", a, b, "--folds", "9", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n_articles"] == 9  # the union of both training sets, the same folds for both
    assert report["method"].startswith("9-fold")


def test_compare_unknown_model_is_one_line(invoke, two_models) -> None:
    a, _, _ = two_models
    result = invoke("models", "compare", a, "no-such-version")
    assert result.exit_code == 1 and "no such model" in result.stderr


def test_compare_a_model_with_itself_is_one_line(invoke, two_models, tmp_path: Path) -> None:
    a, _, test = two_models
    result = invoke("models", "compare", a, a, "--test", test)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: both models are named")


@pytest.mark.slow
def test_compare_by_cross_validation_writes_a_report(invoke, two_models, tmp_path: Path) -> None:
    from tests.evaluation.test_report import parse

    a, b, _ = two_models
    page = tmp_path / "compare.html"
    result = invoke("models", "compare", a, b, "--folds", "9", "--format", "json", "--report", page)
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    assert json.loads(parse(page).blob) == printed["report"]
    comparison = printed["report"]["comparison"]
    assert (comparison["a"], comparison["b"]) == (a.name, b.name)
    # The table's changed articles are the report's, by the same rule.
    assert {row["id"] for row in printed["changed"]} == {row["id"] for row in comparison["changed"]}
