"""`classifier serve`: options that cannot work are one line of error before a port is opened."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.service.server import parse_size
from tests.conftest import one_line_error


def test_missing_token_file(invoke, tmp_path: Path) -> None:
    assert one_line_error(invoke("serve", "--token-file", tmp_path / "nope")).startswith("error: ")


def test_empty_token_file(invoke, tmp_path: Path) -> None:
    (tmp_path / "t").write_text("\n", encoding="utf-8")
    assert one_line_error(invoke("serve", "--token-file", tmp_path / "t")).endswith("empty token file")


def test_bad_size(invoke) -> None:
    assert "--max-body" in one_line_error(invoke("serve", "--max-body", "lots"))


def test_unknown_model(invoke) -> None:
    assert one_line_error(invoke("serve", "--model", "nope")) == "error: nope: no such model"


@pytest.mark.parametrize(
    ("text", "size"), [("10MiB", 10 * 2**20), ("512KiB", 512 * 1024), ("1000", 1000), ("1.5MB", 1_500_000)]
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size
