"""`classifier train --unlabelled` / `--abstain` and `evaluate --unlabelled`: what they record and refuse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.files import sha256_file
from tests.conftest import one_line_error, own_corpus, write_jsonl

NEITHER = [
    "外交部发言人今天主持例行记者会，回答记者提问",
    "国家主席会见来访的外国总统，双方举行会谈",
    "中央气象台发布寒潮预警，北方大部将迎来降温",
    "两国领导人互致贺电，庆祝建交周年",
]
UNLABELLED = [
    {"id": "u1", "date": "2025-01-02", "text": "银行股市上涨，基金净值回升", "topics": ["sport"]},
    {"id": "u2", "date": "2025-01-01", "text": "足球队在决赛中夺得冠军"},
    {"id": "u3", "date": "2025-01-03", "text": "债券收益率下行，央行释放流动性"},
]


@pytest.mark.slow
def test_train_with_unlabelled_news_records_it_in_meta(invoke, tmp_path: Path) -> None:
    labels = own_corpus(tmp_path / "own.jsonl")
    (tmp_path / "pool").mkdir()
    pool = write_jsonl(tmp_path / "pool" / "u.jsonl", UNLABELLED)
    out = tmp_path / "m"
    result = invoke("train", "--labels", labels, "--own-topics", "--unlabelled", tmp_path / "pool", "-o", out)
    assert result.exit_code == 0, result.stderr
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["unlabelled_sources"] == [{"path": meta["unlabelled_sources"][0]["path"], "sha256": sha256_file(pool)}]
    assert meta["unlabelled_sources"][0]["path"].endswith("pool/u.jsonl")
    assert not Path(meta["unlabelled_sources"][0]["path"]).is_absolute()
    self_training = meta["recipe"]["self_training"]
    assert self_training["unlabelled"] == 3
    assert {"weight": 1.0, "max": 2000, "margin": 2.0}.items() <= self_training.items()
    assert 0 <= self_training["added"] <= 3
    assert "self-training:" in result.stdout
    assert meta["n_articles"] == 9, "self-labelled articles are not hand labels"

    plain = tmp_path / "plain"
    assert invoke("train", "--labels", labels, "--own-topics", "-o", plain).exit_code == 0
    meta = json.loads((plain / "meta.json").read_text(encoding="utf-8"))
    assert meta["unlabelled_sources"] == [] and meta["recipe"]["self_training"] is None


def test_unlabelled_input_that_is_empty_or_missing_is_one_clear_error(invoke, tmp_path: Path) -> None:
    labels = own_corpus(tmp_path / "own.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    train = ("train", "--labels", labels, "--own-topics", "-o", tmp_path / "m")
    assert "no articles in" in one_line_error(invoke(*train, "--unlabelled", empty))
    assert "no such file or directory" in one_line_error(invoke(*train, "--unlabelled", tmp_path / "nope.jsonl"))
    blank = write_jsonl(tmp_path / "blank.jsonl", [{"id": "x", "title": "只有标题", "text": ""}])
    assert "no article with text" in one_line_error(invoke(*train, "--unlabelled", blank))
    assert "not standard input" in one_line_error(invoke(*train, "--unlabelled", "-"))
    assert not (tmp_path / "m").exists()


def test_evaluate_the_recipe_with_unlabelled_news(invoke, tmp_path: Path) -> None:
    labels = own_corpus(tmp_path / "own.jsonl")
    pool = write_jsonl(tmp_path / "u.jsonl", UNLABELLED)
    args = ("evaluate", "--labels", labels, "--own-topics", "--folds", "3", "--format", "json", "--unlabelled", pool)
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    assert "micro_f1" in json.loads(result.stdout)
    message = one_line_error(invoke("evaluate", "--test", labels, "--unlabelled", pool))
    assert "--unlabelled trains the recipe" in message


@pytest.mark.slow
def test_a_model_with_an_abstention_model_is_tagged_through_its_pipeline(invoke, tmp_path: Path) -> None:
    from classifier.article import Article
    from classifier.model.estimator import scores_and_topics
    from classifier.model.store import load_model
    from classifier.tagging.tagger import Tagger, load_tagging_model

    labels = own_corpus(tmp_path / "own.jsonl")
    with labels.open("a", encoding="utf-8") as stream:
        for i, text in enumerate(NEITHER):
            stream.write(json.dumps({"id": f"n{i}", "text": text, "topics": []}, ensure_ascii=False) + "\n")
    out = tmp_path / "m"
    result = invoke("train", "--labels", labels, "--own-topics", "--abstain", "veto", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert json.loads((out / "meta.json").read_text(encoding="utf-8"))["recipe"]["abstain"] == "veto"
    assert not (out / "tagger.npz").exists(), "the arrays cannot carry the abstention model"
    loaded = load_model(out)
    assert loaded.pipeline[-1].abstains
    model = load_tagging_model(out)
    assert hasattr(model.model, "pipeline"), "tagged through the pipeline"
    texts = ["外交部发言人回答记者提问", "足球比赛今晚开赛", "股市上涨，银行板块领涨"]
    records = Tagger(model).tag_batch([Article(str(i), "", t) for i, t in enumerate(texts)])
    _, expected = scores_and_topics(loaded.pipeline, texts)
    assert [r["topics"] for r in records] == expected
    result = invoke("tag", "-", "--model", out, "--format", "jsonl", input='{"text": "足球比赛今晚开赛"}\n')
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["topics"] == expected[1]


def test_the_recipe_of_a_self_trained_model_reads_its_unlabelled_news_again(invoke, tmp_path: Path) -> None:
    import pytest

    from classifier.errors import ClassifierError
    from classifier.model.training import Recipe

    labels = own_corpus(tmp_path / "own.jsonl")
    pool = write_jsonl(tmp_path / "u.jsonl", UNLABELLED)
    out = tmp_path / "m"
    assert invoke("train", "--labels", labels, "--own-topics", "--unlabelled", pool, "-o", out).exit_code == 0
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    recipe = Recipe.from_meta(meta, None)
    assert [a.id for a in recipe.unlabelled] == ["u2", "u1", "u3"], "oldest first, by date"
    assert all(a.topics is None for a in recipe.unlabelled), "topics in unlabelled files are ignored"
    pool.write_text(pool.read_text(encoding="utf-8") + '{"id": "u4", "text": "新闻"}\n', encoding="utf-8")
    with pytest.raises(ClassifierError, match="gone or has changed"):
        Recipe.from_meta(meta, None)


def test_evaluate_forward_in_time_with_unlabelled_news(invoke, tmp_path: Path) -> None:
    records = [json.loads(line) for line in own_corpus(tmp_path / "own.jsonl").read_text(encoding="utf-8").splitlines()]
    for n, record in enumerate(records):
        record["date"] = f"2024-0{1 + n % 2}-15"  # alternate months: both topics on both sides
    labels = write_jsonl(tmp_path / "dated.jsonl", records)
    pool = write_jsonl(tmp_path / "u.jsonl", UNLABELLED)
    args = ("evaluate", "--labels", labels, "--own-topics", "--time-split", "2024-02-01", "--format", "json")
    result = invoke(*args, "--unlabelled", pool)
    assert result.exit_code == 0, result.stderr
    assert "micro_f1" in json.loads(result.stdout)
