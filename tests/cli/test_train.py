"""`classifier train` and `classifier evaluate` as a user meets them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import one_line_error, own_corpus, write_jsonl


@pytest.fixture(scope="module")
def own_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model of the user's own two categories, trained with --own-topics."""
    from typer.testing import CliRunner

    from classifier.cli import app

    base = tmp_path_factory.mktemp("own")
    labels = own_corpus(base / "own.jsonl")
    out = base / "model"
    result = CliRunner().invoke(app, ["train", "--labels", str(labels), "--own-topics", "--output", str(out)])
    assert result.exit_code == 0, result.stderr
    return out


def test_train_on_own_categories_then_tag_and_evaluate(invoke, own_model: Path, tmp_path: Path) -> None:
    meta = json.loads((own_model / "meta.json").read_text(encoding="utf-8"))
    assert meta["topics"] == ["money", "sport"]
    assert meta["recipe"]["priors"] is False
    result = invoke(
        "tag", "-", "--model", own_model, "--format", "jsonl", input='{"text": "央行下调存款准备金率，股市上涨"}\n'
    )
    assert result.exit_code == 0, result.stderr
    scores = json.loads(result.stdout)["scores"]
    assert scores["money"] > scores["sport"]
    test = own_corpus(tmp_path / "test.jsonl")
    result = invoke("evaluate", "--model", own_model, "--test", test, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"micro_f1", "macro_f1", "top1_accuracy", "subset_accuracy", "per_topic"} <= set(report)
    assert report["top1_accuracy"] > 0.8


def test_evaluate_cross_validation_markdown(invoke, tmp_path: Path) -> None:
    labels = own_corpus(tmp_path / "own.jsonl")
    result = invoke("evaluate", "--labels", labels, "--own-topics", "--folds", "3", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("| topic | precision | recall | f1 | support |")
    assert "| micro_f1 |" in result.stdout


def test_evaluate_refuses_more_folds_than_articles(invoke, tmp_path: Path) -> None:
    labels = own_corpus(tmp_path / "own.jsonl")
    message = one_line_error(invoke("evaluate", "--labels", labels, "--own-topics", "--folds", "100"))
    assert message == "error: need 2 <= folds <= 9 (the number of articles), got 100"


def test_evaluate_with_topics_the_model_does_not_know(invoke, own_model: Path, tmp_path: Path) -> None:
    test = write_jsonl(tmp_path / "t.jsonl", [{"id": "x", "text": "煤炭保供", "topics": ["energy"]}])
    message = one_line_error(invoke("evaluate", "--model", own_model, "--test", test))
    assert "topics unknown to the model" in message and "energy" in message


def test_train_with_a_fixed_prior_weight_says_so(invoke, tmp_path: Path) -> None:
    result = invoke("train", "--output", tmp_path / "m", "--prior-weight", "0.25")
    assert result.exit_code == 0, result.stderr
    recipe = json.loads((tmp_path / "m" / "meta.json").read_text(encoding="utf-8"))["recipe"]
    assert recipe["priors"] is True
    assert recipe["prior_weight"] == 0.25 and recipe["prior_weight_choice"] == {}
    assert "term-prior weight" not in result.stdout
    result = invoke("train", "--output", tmp_path / "bad", "--prior-weight", "-1")
    assert result.exit_code != 0 and not (tmp_path / "bad").exists()


def test_a_typo_in_a_topic_stops_training(invoke, hermetic: Path, tmp_path: Path) -> None:
    """Two labels saying `enviroment` once switched training to "own categories" (9 topics, no priors)."""
    extra = write_jsonl(
        hermetic / "labels" / "extra.jsonl",
        [
            {"id": "x1", "text": "治理大气污染，改善空气质量。", "topics": ["environment"]},
            {"id": "x2", "text": "植树造林，保护湿地。", "topics": ["enviroment"]},
            {"id": "x3", "text": "河湖长制，水污染防治。", "topics": ["enviroment"]},
        ],
    )
    store_before = sorted(p.name for p in (hermetic / "models").iterdir())
    message = one_line_error(invoke("train", "--set-default"))
    assert (
        message
        == f"error: {extra}:2: unknown topic 'enviroment' (did you mean environment?) (and 1 more problems; run `classifier labels check`)"
    )
    assert sorted(p.name for p in (hermetic / "models").iterdir()) == store_before


def test_own_categories_need_the_flag(invoke, tmp_path: Path) -> None:
    labels = own_corpus(tmp_path / "own.jsonl")
    message = one_line_error(invoke("train", "--labels", labels, "--output", tmp_path / "m"))
    assert "unknown topic 'sport'" in message
    assert not (tmp_path / "m").exists()


def test_train_output_that_exists_is_refused_before_training(invoke, tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "something").write_text("x", encoding="utf-8")
    message = one_line_error(invoke("train", "--output", out))
    assert message == f"error: {out}: exists and is not empty; choose another --output"
    assert "training on" not in message


def test_train_with_a_topic_of_one_example_touches_no_model(
    invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    monkeypatch.setenv("CLASSIFIER_MODELS", str(store))
    labels = own_corpus(tmp_path / "own.jsonl")
    assert invoke("train", "--labels", labels, "--own-topics").exit_code == 0
    before = sorted(p.name for p in store.iterdir())
    with labels.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"id": "w", "text": "天气晴朗", "topics": ["weather"]}, ensure_ascii=False) + "\n")
    message = one_line_error(invoke("train", "--labels", labels, "--own-topics", "--set-default"))
    assert message == "error: topic 'weather' has 1 labelled article(s); need at least 2"
    assert sorted(p.name for p in store.iterdir()) == before
