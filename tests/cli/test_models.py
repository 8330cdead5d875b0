"""`classifier models list|use` as a user meets them (`models compare`: tests/labelling/test_compare.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import one_line_error, own_corpus


@pytest.mark.slow
def test_models_list_and_use(invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLASSIFIER_MODELS", str(tmp_path / "store"))
    labels = own_corpus(tmp_path / "own.jsonl")
    assert invoke("train", "--labels", labels, "--own-topics").exit_code == 0
    first = json.loads(invoke("models", "list", "--format", "json").stdout)
    assert len(first) == 1 and first[0]["is_default"]  # the first model in a store becomes the default
    assert invoke("train", "--labels", labels, "--own-topics").exit_code == 0
    models = json.loads(invoke("models", "list", "--format", "json").stdout)
    assert len(models) == 2
    assert [m["is_default"] for m in models].count(True) == 1
    newest = models[-1]["version"]
    result = invoke("models", "use", newest)
    assert result.exit_code == 0
    assert (tmp_path / "store" / "default").read_text().strip() == newest


def test_models_use_an_unknown_version(invoke) -> None:
    assert one_line_error(invoke("models", "use", "no-such-version")) == "error: no-such-version: no such model"


@pytest.mark.no_default_model
def test_models_list_on_an_empty_store(invoke) -> None:
    result = invoke("models", "list")
    assert result.exit_code == 0 and result.stdout.strip() == "no models; train one with `classifier train`"
