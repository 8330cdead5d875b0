"""The fast tagging paths give the plain path's answers: compiled model, rjieba, worker processes,
streamed atomic output, a progress line that keeps quiet off a terminal, and a clean Ctrl-C."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from classifier.article import Article
from tests.conftest import MONEY, ROOT, SEEDS, SPORT, needs_shared, write_jsonl

# Texts where jieba-rs and jieba split differently unless corrected (see classifier.text).
TRICKY = [
    "日称,美军f-22战机已于当天飞抵",
    "今年1-4月继续保持增长势头,增长3.5%",
    "详见20th.cpcnews.cn和相关平台",
    "发射5米s-sar 01星 t-shirt b2b",
    "",
]


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLASSIFIER_CACHE", str(tmp_path_factory.getbasetemp() / "tagger-cache"))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model of the default recipe (words, chars and term priors) trained on the seed labels."""
    from classifier.cli import app

    out = tmp_path_factory.mktemp("model") / "m"
    result = CliRunner().invoke(app, ["train", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def seed_articles() -> list[Article]:
    from classifier.reader import read_articles

    return list(read_articles([SEEDS]))


def sample_texts() -> list[str]:
    texts = [a.full_text for a in seed_articles()] + TRICKY + [f"标题\n{t}" for t in TRICKY]
    dev = ROOT.parent / "shared" / "data" / "xwlb" / "dev.jsonl"
    if dev.exists():
        from classifier.reader import read_articles

        texts += [a.full_text for a in read_articles([dev])]
    return texts


def test_tokens_are_jiebas(model_dir: Path) -> None:
    import jieba

    from classifier.text import _WORDLIKE, JiebaTokenizer, normalise

    for hmm in (False, True):  # the recipe's setting, and the one older models were trained with
        tokenizer = JiebaTokenizer(hmm=hmm)
        for text in sample_texts():
            text = normalise(text)
            expected = [w for w in jieba.lcut(text, HMM=hmm) if w.strip() and _WORDLIKE.search(w)]
            assert tokenizer(text) == expected, text[:40]


def test_compiled_model_equals_the_pipeline_bit_for_bit(model_dir: Path) -> None:
    from classifier.store import load_model
    from classifier.tagger import compile_model

    pipeline = load_model(model_dir).pipeline
    compiled = compile_model(pipeline)
    assert compiled is not None, "the default recipe must compile"
    texts = sample_texts()
    features = pipeline[:-1].transform(texts).tocsr()
    expected = pipeline[-1].predict_proba(features)
    for i, text in enumerate(texts):
        indices, data = compiled.row(text)
        row = features[i]
        assert indices.tolist() == row.indices.tolist()
        assert np.array_equal(data, row.data)
        assert np.array_equal(compiled.scores(indices, data), expected[i])


def test_compiled_model_keeps_the_tokenizers_hmm_setting() -> None:
    """A model cut with jieba's HMM on (as models before the switch were) compiles to the same rows."""
    from classifier.tagger import compile_model
    from classifier.text import JiebaTokenizer
    from classifier.training import Recipe

    recipe = Recipe(["money", "sport"], pipeline_params={"features__words__tokenizer": JiebaTokenizer(hmm=True)})
    corpus = [Article(f"s{i}", "", t, ["sport"]) for i, t in enumerate(SPORT)]
    corpus += [Article(f"m{i}", "", t, ["money"]) for i, t in enumerate(MONEY)]
    corpus.append(Article("hmm", "", "锦波生物研发重组胶原蛋白", ["money"]))  # puts HMM's "锦波" in the vocabulary
    pipeline = recipe.fit(corpus)
    compiled = compile_model(pipeline)
    assert compiled is not None
    # Words jieba's HMM joins but its dictionary alone splits, so the setting changes the tokens.
    texts = ["\n锦波生物研发重组胶原蛋白，足球联赛开赛", "\n央行下调存款准备金率"]
    assert JiebaTokenizer(hmm=True)(texts[0]) != JiebaTokenizer(hmm=False)(texts[0])
    features = pipeline[:-1].transform(texts).tocsr()
    for i, text in enumerate(texts):
        indices, data = compiled.row(text)
        assert indices.tolist() == features[i].indices.tolist()
        assert np.array_equal(data, features[i].data)


def test_compiled_records_equal_the_pipeline_records(model_dir: Path) -> None:
    from classifier.store import load_model
    from classifier.tagger import Tagger, _PipelineModel

    loaded = load_model(model_dir)
    fast = Tagger(loaded, explain=True)
    plain = Tagger(loaded, explain=True)
    plain.model = _PipelineModel(loaded.pipeline)
    articles = seed_articles()
    assert list(fast.tag(articles)) == list(plain.tag(articles))


def test_model_cache_is_used_and_keyed_by_the_model_file(model_dir: Path) -> None:
    from classifier.tagger import CompiledModel, _cache_file, _sha256, load_tagging_model

    first = load_tagging_model(model_dir)
    assert isinstance(first, CompiledModel)
    assert _cache_file(_sha256(model_dir / "model.joblib")).is_file()
    again = load_tagging_model(model_dir)
    assert np.array_equal(again.coef, first.coef)


def many_articles(path: Path, n: int = 40) -> Path:
    seeds = seed_articles()
    records = [{"id": f"a{i:03d}", "title": seeds[i % 5].title, "text": seeds[i % 5].text[: 50 + i]} for i in range(n)]
    return write_jsonl(path, records)


def test_jobs_1_and_2_give_identical_output(
    invoke, model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import classifier.tagger

    monkeypatch.setattr(classifier.tagger, "BATCH_SIZE", 4)  # 40 articles = 10 batches over 2 workers
    data = many_articles(tmp_path / "in.jsonl")
    one = invoke("tag", data, "--model", model_dir, "--format", "jsonl", "--jobs", "1")
    two = invoke("tag", data, "--model", model_dir, "--format", "jsonl", "--jobs", "2")
    assert one.exit_code == 0 and two.exit_code == 0, one.output + two.output
    assert one.stdout == two.stdout
    assert [json.loads(line)["id"] for line in two.stdout.splitlines()] == [f"a{i:03d}" for i in range(40)]


def test_streamed_json_equals_json_dumps(invoke, model_dir: Path, tmp_path: Path) -> None:
    data = many_articles(tmp_path / "in.jsonl", n=3)
    lines = invoke("tag", data, "--model", model_dir, "--format", "jsonl").stdout.splitlines()
    array = invoke("tag", data, "--model", model_dir, "--format", "json").stdout
    assert array == json.dumps([json.loads(line) for line in lines], ensure_ascii=False, indent=2) + "\n"


def test_output_file_is_all_or_nothing(invoke, model_dir: Path, tmp_path: Path) -> None:
    data = many_articles(tmp_path / "in.jsonl", n=300)
    with data.open("a", encoding="utf-8") as stream:
        stream.write("{not json\n")
    out = tmp_path / "out" / "tags.jsonl"
    result = invoke("tag", data, "--model", model_dir, "--output", out)
    assert result.exit_code == 1 and "in.jsonl:301" in result.stderr
    assert not out.exists() and list(out.parent.iterdir()) == []

    out.write_text("old\n", encoding="utf-8")
    assert invoke("tag", data, "--model", model_dir, "--output", out).exit_code == 1
    assert out.read_text(encoding="utf-8") == "old\n" and list(out.parent.iterdir()) == [out]

    good = many_articles(tmp_path / "good.jsonl", n=3)
    assert invoke("tag", good, "--model", model_dir, "--output", out).exit_code == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3


def test_progress_is_silent_off_a_terminal(invoke, model_dir: Path, tmp_path: Path) -> None:
    from classifier.progress import Progress

    stream = io.StringIO()
    with Progress(total=10, stream=stream) as progress:
        assert not progress.enabled
        progress.advance(10)
    assert stream.getvalue() == ""
    result = invoke("tag", many_articles(tmp_path / "in.jsonl"), "--model", model_dir, "--format", "jsonl")
    assert result.exit_code == 0 and result.stderr == ""


def test_progress_line_shows_rate_and_eta() -> None:
    from classifier.progress import Progress

    progress = Progress(total=1000, label="articles", stream=io.StringIO())
    progress.done = 250
    line = progress.line(elapsed=0.5)
    assert "250/1,000 articles" in line and "500/s" in line and "ETA 0:02" in line
    progress.total = None
    assert progress.line(elapsed=0.5) == "250 articles  500/s"


def test_ctrl_c_stops_with_one_line(model_dir: Path, tmp_path: Path) -> None:
    """SIGINT while the input is still being read: exit 130, one line, no output file."""
    out = tmp_path / "tags.jsonl"
    env = {**os.environ, "CLASSIFIER_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "classifier", "tag", "-", "--model", str(model_dir), "--output", str(out)]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT, start_new_session=True
    )
    assert process.stdin is not None and process.stderr is not None
    lines = "".join(json.dumps({"id": f"x{i}", "text": "美军f-22战机"}) + "\n" for i in range(600))
    process.stdin.write(lines.encode())
    process.stdin.flush()  # stdin stays open: the command waits for more input
    try:
        _wait_for_temp_file(out.parent, process)
        process.send_signal(signal.SIGINT)
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=30) == 130
    finally:
        process.kill()
    assert stderr.strip().splitlines() == ["error: interrupted"]
    assert list(tmp_path.glob("*tags.jsonl*")) == []


def _wait_for_temp_file(folder: Path, process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Until the command has started writing (the model is loaded, the first batch tagged)."""
    import time

    deadline = time.monotonic() + timeout
    while not list(folder.glob(".tags.jsonl.*")):
        assert process.poll() is None, "the command ended early"
        assert time.monotonic() < deadline, "the command never started writing"
        time.sleep(0.05)
    time.sleep(0.3)


def test_shared_pool_sample_is_tagged_the_same_by_both_paths(model_dir: Path) -> None:
    """A slice of the real pool: rjieba + compiled model against the scikit-learn pipeline."""
    pool = needs_shared("data", "xwlb", "pool.jsonl")
    from itertools import islice

    from classifier.reader import read_articles
    from classifier.store import load_model
    from classifier.tagger import Tagger, _PipelineModel

    articles = list(islice(read_articles([pool]), 300))
    loaded = load_model(model_dir)
    plain = Tagger(loaded)
    plain.model = _PipelineModel(loaded.pipeline)
    assert list(Tagger(loaded).tag(articles)) == list(plain.tag(articles))
