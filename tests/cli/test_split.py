"""`classifier split` as a user meets it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import SEED_PAGE, SEEDS


def test_split_prints_every_seed_article(invoke) -> None:
    result = invoke("split", *sorted(SEEDS.glob("*.txt")), "--format", "jsonl")
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 50
    assert records[0]["id"] == "000_10373714aa9facff-01"
    assert records[0]["title"] == "我省推动太原空气质量提升"


def test_split_writes_jsonl_file(invoke, tmp_path: Path) -> None:
    out = tmp_path / "articles.jsonl"
    result = invoke("split", SEED_PAGE, "--output", out)
    assert result.exit_code == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 9


def test_split_table(invoke) -> None:
    result = invoke("split", SEED_PAGE, "--format", "table")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "9 articles from 1 pages"


def test_split_refuses_articles_in_jsonl(invoke, tmp_path: Path) -> None:
    """A .jsonl once came out as one 7,185-character "notice"."""
    from tests.conftest import one_line_error, write_jsonl

    path = write_jsonl(tmp_path / "articles.jsonl", [{"text": "正文"}])
    assert (
        one_line_error(invoke("split", path))
        == f"error: {path}: a newspaper page is a text file; .jsonl holds articles already"
    )
