"""Tagging many articles: worker processes, streamed and atomic output, progress off a terminal, Ctrl-C."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, write_jsonl
from tests.tagging import seed_articles


def many_articles(path: Path, n: int = 40) -> Path:
    seeds = seed_articles()
    records = [{"id": f"a{i:03d}", "title": seeds[i % 5].title, "text": seeds[i % 5].text[: 50 + i]} for i in range(n)]
    return write_jsonl(path, records)


def test_jobs_1_and_2_give_identical_output(
    invoke, seed_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import classifier.tagging.workers

    monkeypatch.setattr(classifier.tagging.workers, "BATCH_SIZE", 4)  # 40 articles = 10 batches over 2 workers
    monkeypatch.setattr(classifier.tagging.workers, "BLOCK_BYTES", 700)  # and a few lines in each JSONL block
    data = many_articles(tmp_path / "in.jsonl")
    one = invoke("tag", data, "--model", seed_model, "--format", "jsonl", "--jobs", "1")
    two = invoke("tag", data, "--model", seed_model, "--format", "jsonl", "--jobs", "2")
    assert one.exit_code == 0 and two.exit_code == 0, one.output + two.output
    assert one.stdout == two.stdout
    assert [json.loads(line)["id"] for line in two.stdout.splitlines()] == [f"a{i:03d}" for i in range(40)]
    piped = invoke("tag", "-", "--model", seed_model, "--format", "jsonl", "--jobs", "2", input=data.read_bytes())
    assert piped.stdout == one.stdout.replace('"id": "in-L', '"id": "stdin-L')
    # blocks, a text article and a JSON array (their articles BATCH_SIZE at a time), in input order
    (tmp_path / "page.txt").write_text("标题\n正文一段", encoding="utf-8")
    (tmp_path / "more.json").write_text(data.read_text(encoding="utf-8").replace("}\n{", "},{").join("[]"))
    mixed = [data, tmp_path / "page.txt", tmp_path / "more.json", data]
    one = invoke("tag", *mixed, "--model", seed_model, "--format", "jsonl", "--jobs", "1")
    two = invoke("tag", *mixed, "--model", seed_model, "--format", "jsonl", "--jobs", "2")
    assert one.exit_code == 0 and one.stdout == two.stdout and len(two.stdout.splitlines()) == 121
    table = invoke("tag", data, "--model", seed_model, "--format", "table", "--jobs", "2")
    assert table.stdout == invoke("tag", data, "--model", seed_model, "--format", "table", "--jobs", "1").stdout


def test_a_bad_line_in_a_later_block_is_named(
    invoke, seed_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import classifier.tagging.workers

    monkeypatch.setattr(classifier.tagging.workers, "BLOCK_BYTES", 500)
    data = many_articles(tmp_path / "in.jsonl", n=60)
    with data.open("a", encoding="utf-8") as stream:
        stream.write("\n" + json.dumps({"id": "x", "title": "t"}) + "\n{not json\n")
    for jobs in ("1", "2"):
        result = invoke("tag", data, "--model", seed_model, "--jobs", jobs, "--output", tmp_path / "out.jsonl")
        assert result.exit_code == 1 and result.stderr.strip().endswith('in.jsonl:62: no "text" field'), result.stderr


def test_streamed_json_equals_json_dumps(invoke, seed_model: Path, tmp_path: Path) -> None:
    data = many_articles(tmp_path / "in.jsonl", n=3)
    lines = invoke("tag", data, "--model", seed_model, "--format", "jsonl").stdout.splitlines()
    array = invoke("tag", data, "--model", seed_model, "--format", "json").stdout
    assert array == json.dumps([json.loads(line) for line in lines], ensure_ascii=False, indent=2) + "\n"


def test_output_file_is_all_or_nothing(invoke, seed_model: Path, tmp_path: Path) -> None:
    data = many_articles(tmp_path / "in.jsonl", n=300)
    with data.open("a", encoding="utf-8") as stream:
        stream.write("{not json\n")
    out = tmp_path / "out" / "tags.jsonl"
    result = invoke("tag", data, "--model", seed_model, "--output", out)
    assert result.exit_code == 1 and "in.jsonl:301" in result.stderr
    assert not out.exists() and list(out.parent.iterdir()) == []

    out.write_text("old\n", encoding="utf-8")
    assert invoke("tag", data, "--model", seed_model, "--output", out).exit_code == 1
    assert out.read_text(encoding="utf-8") == "old\n" and list(out.parent.iterdir()) == [out]

    good = many_articles(tmp_path / "good.jsonl", n=3)
    assert invoke("tag", good, "--model", seed_model, "--output", out).exit_code == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3


def test_progress_is_silent_off_a_terminal(invoke, seed_model: Path, tmp_path: Path) -> None:
    from classifier.progress import Progress

    stream = io.StringIO()
    with Progress(total=10, stream=stream) as progress:
        assert not progress.enabled
        progress.advance(10)
    assert stream.getvalue() == ""
    result = invoke("tag", many_articles(tmp_path / "in.jsonl"), "--model", seed_model, "--format", "jsonl")
    assert result.exit_code == 0 and result.stderr == ""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sent", "code", "message"),
    [(signal.SIGINT, 130, "error: interrupted"), (signal.SIGTERM, 143, "error: terminated")],
)
def test_a_signal_stops_with_one_line_and_no_temporary_file(
    seed_model: Path, tmp_path: Path, sent: int, code: int, message: str
) -> None:
    """Ctrl-C, or SIGTERM (a service manager stopping us), while the input is still being read:
    one line, exit 130 / 143, no output file and no temporary file left."""
    out = tmp_path / "tags.jsonl"
    env = {**os.environ, "CLASSIFIER_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "classifier", "tag", "-", "--model", str(seed_model), "--output", str(out)]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT, start_new_session=True
    )
    assert process.stdin is not None and process.stderr is not None
    lines = "".join(json.dumps({"id": f"x{i}", "text": "美军f-22战机"}) + "\n" for i in range(600))
    process.stdin.write(lines.encode())
    process.stdin.flush()  # stdin stays open: the command waits for more input
    try:
        _wait_for_temp_file(out.parent, process)
        process.send_signal(sent)
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=30) == code
    finally:
        process.kill()
    assert stderr.strip().splitlines() == [message]
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
