"""`pip install .` (not editable) tags, trains and tags with the new model, with no checkout in sight."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import ROOT, own_corpus

ARTICLE = "国家能源局：加快建设新型储能电站\n今年以来，各地加快光伏、风电等新能源项目建设，新型储能装机规模持续扩大。"


@pytest.mark.slow
def test_a_wheel_installed_outside_the_checkout_tags_trains_and_tags_again(tmp_path: Path) -> None:
    """It used to fail with "no default model in .../site-packages/models"."""
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "build"))
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), "."],
        cwd=source,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("classifier-*.whl")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # The dependencies come from this environment (no downloads); the package itself only from the wheel.
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    Path(purelib, "dependencies.pth").write_text("\n".join(sorted(ours)) + "\n", encoding="utf-8")
    installed = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], capture_output=True, text=True
    )
    assert installed.returncode == 0, installed.stderr

    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "article.txt").write_text(ARTICLE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSIFIER_")}
    env["CLASSIFIER_HOME"] = str(tmp_path / "home")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(venv / "bin" / "classifier"), *args], cwd=work, env=env, capture_output=True, text=True
        )

    where = subprocess.run(
        [python, "-c", "import classifier; print(classifier.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr

    first = run("tag", "article.txt", "--format", "jsonl")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["topics"] == ["energy"]  # the bundled default model

    own_corpus(work / "mine.jsonl")
    trained = run("train", "--labels", "mine.jsonl", "--own-topics")
    assert trained.returncode == 0, trained.stderr
    store = tmp_path / "home" / "models"
    assert (store / "default").is_file() and "default model is now" in trained.stdout

    again = run("tag", "article.txt", "--format", "jsonl")
    assert again.returncode == 0, again.stderr
    assert set(json.loads(again.stdout)["scores"]) == {"money", "sport"}  # the new default, from the user's store
    assert run("models", "verify").returncode == 0
