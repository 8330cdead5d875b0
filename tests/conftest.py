"""Shared test set-up: every test works on temporary copies of the project's labels and model store.

The ``hermetic`` fixture (autouse) points ``$CLASSIFIER_LABELS``, ``$CLASSIFIER_MODELS`` and
``$CLASSIFIER_CACHE`` at fresh temporary folders for each test: the labels folder holds the
tracked seed labels and taxonomy only, the store holds one model of the default recipe trained
on those labels in this session. So no test reads or writes the checkout's ``labels/`` or
``models/``, and the suite passes in a checkout where a user has added labels and trained new
models (``tests/test_hermetic.py`` proves it).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

#: Fixtures of their own modules: ``browser`` (headless Chromium).
pytest_plugins = ("tests.browser",)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
#: The files of labels/ that the project ships (a user's own label files are never copied).
SHIPPED_LABEL_FILES = ("seed_labels.jsonl", "taxonomy.toml")
SEED_PAGE = SEEDS / "000_10373714aa9facff.txt"

# A tiny corpus with the user's own categories: trains in well under a second (no taxonomy priors).
SPORT = [
    "足球联赛今晚开赛，主队在主场迎战",
    "篮球比赛进入决赛，球员发挥出色",
    "运动员在田径比赛中打破纪录",
    "乒乓球队夺得团体冠军",
]
MONEY = [
    "股市今日上涨，银行板块领涨",
    "央行下调存款准备金率，释放流动性",
    "基金净值回升，投资者信心增强",
    "债券收益率下行，资金面宽松",
]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def own_corpus(path: Path) -> Path:
    """Nine labelled articles of two categories of the user's own (``sport``, ``money``)."""
    records = [{"id": f"s{i}", "title": "", "text": t, "topics": ["sport"]} for i, t in enumerate(SPORT)]
    records += [{"id": f"m{i}", "title": "", "text": t, "topics": ["money"]} for i, t in enumerate(MONEY)]
    records += [{"id": "b0", "title": "", "text": "球队老板投资股市，体育产业基金上涨", "topics": ["sport", "money"]}]
    return write_jsonl(path, records)


def shipped_labels(folder: Path) -> Path:
    """A labels folder holding copies of the shipped label files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED_LABEL_FILES:
        shutil.copy2(ROOT / "labels" / name, folder / name)
    return folder


@pytest.fixture(scope="session")
def seed_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model of the default recipe trained on the shipped seed labels, once per session (read-only)."""
    from classifier.model.store import save_model
    from classifier.model.training import load_training, train_model

    base = tmp_path_factory.mktemp("seed-model")
    labels = shipped_labels(base / "labels")
    articles, recipe, files = load_training([labels / "seed_labels.jsonl"], labels / "taxonomy.toml")
    pipeline, meta = train_model(articles, recipe, label_sources=files)
    return save_model(pipeline, meta, out_dir=base / "seeds-model")


@pytest.fixture(autouse=True)
def hermetic(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Path]:
    """Fresh copies of labels/ and the model store for this test; yields the temporary project folder."""
    project = tmp_path_factory.mktemp("project")
    labels = shipped_labels(project / "labels")
    store = project / "models"
    store.mkdir()
    monkeypatch.setenv("CLASSIFIER_LABELS", str(labels))
    monkeypatch.setenv("CLASSIFIER_MODELS", str(store))
    monkeypatch.setenv("CLASSIFIER_CACHE", str(tmp_path_factory.getbasetemp() / "tagger-cache"))
    if "no_default_model" not in request.keywords:
        seed_model = request.getfixturevalue("seed_model")
        shutil.copytree(seed_model, store / seed_model.name)
        (store / "default").write_text(seed_model.name + "\n", encoding="utf-8")
    yield project


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner: CliRunner):
    """Run the CLI in-process, as the console script does; returns the click Result (exit_code, stdout, stderr)."""
    from classifier.cli import app

    def run(*args: str, input: str | bytes | None = None):
        return runner.invoke(app, [str(a) for a in args], input=input)

    return run


def one_line_error(result) -> str:
    """The error line of a failed command, after checking it failed cleanly (non-zero, no traceback)."""
    assert result.exit_code != 0
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) >= 1
    return lines[-1]


def needs_shared(*parts: str) -> Path:
    """A path under the shared evaluation data; the test is skipped when it is not there."""
    from classifier.locations import shared_data_dir

    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here")
    return path
