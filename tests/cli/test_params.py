"""A one-article ``classifier tag`` imports only what tagging needs (no pydantic, scikit-learn or skops), and option values still coerce as Typer's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SEED_PAGE

PROBE = """
import json, sys
sys.argv = ["classifier", *sys.argv[1:]]
from classifier.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in ("pydantic", "sklearn", "skops", "scipy", "rich", "jieba", "rjieba") if m in sys.modules)))
"""


def test_a_cold_tag_imports_no_pydantic_nor_scikit_learn(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "tag", str(SEED_PAGE), "--output", str(out), "--format", "jsonl", "--top", "2"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
    record = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert len(record["topics"]) <= 2


def test_values_typer_checks_are_still_checked(invoke, tmp_path: Path) -> None:
    jobs = invoke("tag", SEED_PAGE, "--jobs", "0")
    assert jobs.exit_code == 2 and "--jobs" in jobs.stderr
    style = invoke("tag", SEED_PAGE, "--format", "bogus")
    assert style.exit_code == 2 and "bogus" in style.stderr
    top = invoke("tag", SEED_PAGE, "--top", "x")
    assert top.exit_code == 2 and "--top" in top.stderr
    out = tmp_path / "o.json"
    ok = invoke("tag", SEED_PAGE, SEED_PAGE, "--output", out, "--format", "json", "--top", "1")
    assert ok.exit_code == 0 and len(json.loads(out.read_text(encoding="utf-8"))) == 2
