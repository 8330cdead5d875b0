"""Shared test helpers: the project root, the shared data folder, and a CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = ROOT / "seeds"


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


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner: CliRunner):
    """Run the CLI in-process; returns the click Result (exit_code, stdout, stderr)."""
    from classifier.cli import app

    def run(*args: str, input: str | bytes | None = None):
        return runner.invoke(app, [str(a) for a in args], input=input)

    return run


def needs_shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here")
    return path
