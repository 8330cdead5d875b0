"""The command line as a user meets it: real commands, real files, exit codes and messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import MONEY, ROOT, SEEDS, SPORT, write_jsonl

SEED_PAGE = SEEDS / "000_10373714aa9facff.txt"


def own_corpus(path: Path) -> Path:
    records = [{"id": f"s{i}", "title": "", "text": t, "topics": ["sport"]} for i, t in enumerate(SPORT)]
    records += [{"id": f"m{i}", "title": "", "text": t, "topics": ["money"]} for i, t in enumerate(MONEY)]
    records += [{"id": "b0", "title": "", "text": "球队老板投资股市，体育产业基金上涨", "topics": ["sport", "money"]}]
    return write_jsonl(path, records)


@pytest.fixture(scope="module")
def own_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from typer.testing import CliRunner

    from classifier.cli import app

    base = tmp_path_factory.mktemp("own")
    labels = own_corpus(base / "own.jsonl")
    out = base / "model"
    result = CliRunner().invoke(app, ["train", "--labels", str(labels), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    return out


def test_split_prints_every_seed_article(invoke) -> None:
    result = invoke("split", *sorted(SEEDS.glob("*.txt")), "--format", "jsonl")
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 50
    assert records[0]["id"] == "000_10373714aa9facff-01"
    assert records[0]["title"] == "我省推动太原空气质量提升"


def test_split_writes_jsonl_file(invoke, tmp_path: Path) -> None:
    out = tmp_path / "articles.jsonl"
    result = invoke("split", SEED_PAGE, "--out", out)
    assert result.exit_code == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 9


def test_tag_with_committed_default_model(invoke) -> None:
    result = invoke("tag", SEED_PAGE, "--split", "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == [f"000_10373714aa9facff-{n:02d}" for n in range(1, 10)]
    taxonomy_ids = [
        "environment",
        "energy",
        "industry",
        "technology",
        "economy",
        "public_service",
        "urban_rural",
        "culture",
    ]
    for r in records:
        assert set(r) == {"id", "title", "topics", "scores", "keywords"}
        assert sorted(r["scores"]) == sorted(taxonomy_ids)
        assert all(0.0 <= s <= 1.0 for s in r["scores"].values())
        assert set(r["topics"]) <= set(taxonomy_ids)
    # The first article is about air pollution control: the committed model must say so.
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
    result = invoke("evaluate", "--labels", labels, "--folds", "3", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("| topic | precision | recall | f1 | support |")
    assert "| micro_f1 |" in result.stdout


def test_models_list_and_use(invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLASSIFIER_MODELS", str(tmp_path / "store"))
    labels = own_corpus(tmp_path / "own.jsonl")
    assert invoke("train", "--labels", labels).exit_code == 0
    first = json.loads(invoke("models", "list", "--format", "json").stdout)
    assert len(first) == 1 and first[0]["is_default"]  # the first model in a store becomes the default
    assert invoke("train", "--labels", labels).exit_code == 0
    models = json.loads(invoke("models", "list", "--format", "json").stdout)
    assert len(models) == 2
    assert [m["is_default"] for m in models].count(True) == 1
    newest = models[-1]["version"]
    result = invoke("models", "use", newest)
    assert result.exit_code == 0
    assert (tmp_path / "store" / "default").read_text().strip() == newest


# ---- bad input: one line on stderr, non-zero exit, nothing saved is touched ----


def one_line_error(result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) >= 1
    return lines[-1]


def test_tag_missing_file(invoke) -> None:
    assert one_line_error(invoke("tag", "nope.txt")) == "error: nope.txt: no such file or directory"


def test_tag_without_any_model(invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLASSIFIER_MODELS", str(tmp_path / "empty"))
    assert "no default model" in one_line_error(invoke("tag", SEED_PAGE))


def test_tag_with_a_directory_that_is_not_a_model(invoke, tmp_path: Path) -> None:
    (tmp_path / "meta.json").write_text('{"hello": 1}', encoding="utf-8")
    assert "not a classifier model" in one_line_error(invoke("tag", SEED_PAGE, "--model", tmp_path))


def test_tag_with_a_corrupt_model(invoke, own_model: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(own_model, broken)
    data = (broken / "model.joblib").read_bytes()
    (broken / "model.joblib").write_bytes(data[: len(data) // 2])
    assert "corrupt" in one_line_error(invoke("tag", SEED_PAGE, "--model", broken))


def test_evaluate_with_topics_the_model_does_not_know(invoke, own_model: Path, tmp_path: Path) -> None:
    test = write_jsonl(tmp_path / "t.jsonl", [{"id": "x", "text": "煤炭保供", "topics": ["energy"]}])
    message = one_line_error(invoke("evaluate", "--model", own_model, "--test", test))
    assert "topics unknown to the model" in message and "energy" in message


def test_train_with_a_fixed_prior_weight_says_so(invoke, tmp_path: Path) -> None:
    result = invoke("train", "--out", tmp_path / "m", "--prior-weight", "0.25")
    assert result.exit_code == 0, result.stderr
    recipe = json.loads((tmp_path / "m" / "meta.json").read_text(encoding="utf-8"))["recipe"]
    assert recipe["priors"] is True
    assert recipe["prior_weight"] == 0.25 and recipe["prior_weight_choice"] == {}
    assert "term-prior weight" not in result.stdout
    result = invoke("train", "--out", tmp_path / "bad", "--prior-weight", "-1")
    assert result.exit_code != 0 and not (tmp_path / "bad").exists()


def test_train_with_topics_unknown_to_the_taxonomy(invoke, tmp_path: Path) -> None:
    labels = own_corpus(tmp_path / "own.jsonl")
    taxonomy = ROOT / "labels" / "taxonomy.toml"
    message = one_line_error(invoke("train", "--labels", labels, "--taxonomy", taxonomy, "--out", tmp_path / "m"))
    assert "not in the taxonomy" in message
    assert not (tmp_path / "m").exists()


def test_train_with_a_topic_of_one_example_touches_no_model(
    invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    monkeypatch.setenv("CLASSIFIER_MODELS", str(store))
    labels = own_corpus(tmp_path / "own.jsonl")
    assert invoke("train", "--labels", labels).exit_code == 0
    before = sorted(p.name for p in store.iterdir())
    with labels.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"id": "w", "text": "天气晴朗", "topics": ["weather"]}, ensure_ascii=False) + "\n")
    message = one_line_error(invoke("train", "--labels", labels, "--set-default"))
    assert message == "error: topic 'weather' has 1 labelled article(s); need at least 2"
    assert sorted(p.name for p in store.iterdir()) == before


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


def test_shipped_labels_pass_check_and_cover_every_seed_article(invoke) -> None:
    result = invoke("labels", "check")
    assert result.exit_code == 0, result.stderr
    from classifier.labels import split_seed_pages

    labelled = {json.loads(line)["id"] for line in (ROOT / "labels" / "seed_labels.jsonl").read_text().splitlines()}
    assert labelled == set(split_seed_pages())


def test_labels_stats(invoke) -> None:
    result = invoke("labels", "stats", "--format", "json")
    assert result.exit_code == 0
    stats = json.loads(result.stdout)
    assert stats["articles"] == 50
    assert stats["cooccurrence"]["energy"]["energy"] == stats["counts"]["energy"]
