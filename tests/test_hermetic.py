"""The suite does not depend on the checkout's labels/ and models/: it passes after a user has labelled and retrained."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from classifier.locations import shared_data_dir
from tests.conftest import ROOT

IGNORED = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache", "build")


@pytest.mark.slow
def test_suite_passes_in_a_checkout_with_new_labels_and_a_newer_default_model(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT, checkout, ignore=IGNORED)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSIFIER_")}
    env.update(PYTHONPATH=str(checkout), CLASSIFIER_SHARED_DATA=str(shared_data_dir()))

    def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *args], cwd=checkout, env=env, capture_output=True, text=True, timeout=timeout
        )

    located = run("-c", "import classifier; print(classifier.__file__)")
    assert located.stdout.startswith(str(checkout)), located.stdout + located.stderr

    # What a user does on Monday: label articles of their own, retrain, make the new model the default.
    pool = checkout / "my_articles.jsonl"
    texts = {
        "mine-1": ("光伏电站并网发电", "新建光伏电站今日并网发电，新能源装机再创新高。"),
        "mine-2": ("文艺演出走进社区", "文化馆组织文艺演出走进社区，非遗传承人现场展示技艺。"),
        "mine-3": ("外交部发言人答记者问", "外交部发言人就双边关系回答记者提问。"),
    }
    pool.write_text(
        "".join(json.dumps({"id": i, "title": t, "text": x}, ensure_ascii=False) + "\n" for i, (t, x) in texts.items()),
        encoding="utf-8",
    )
    for article_id, topics in (("mine-1", "energy"), ("mine-2", "culture"), ("mine-3", "none")):
        done = run("-m", "classifier", "labels", "add", article_id, "--topics", topics, "--from", str(pool))
        assert done.returncode == 0, done.stderr
    before = (checkout / "models" / "default").read_text(encoding="utf-8").strip()
    trained = run("-m", "classifier", "train", "--set-default")
    assert trained.returncode == 0, trained.stderr
    after = (checkout / "models" / "default").read_text(encoding="utf-8").strip()
    assert after != before and "trained on 53 articles" in trained.stdout

    suite = run("-m", "pytest", "-m", "not slow", "-x", "-q", "-p", "no:cacheprovider")
    assert suite.returncode == 0, suite.stdout[-3000:] + suite.stderr[-2000:]
