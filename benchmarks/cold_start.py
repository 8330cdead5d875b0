"""Cold start of `classifier tag <one article>` against `python -c "import numpy"`, interleaved, one core: format 5 and 4, and an older checkout.

Issue #13's cold-start figure (as ``benchmarks/speed.py`` measures it, without the batch and
training parts), with the shipped default model as it is (format 4) and its format-5 copy
(``classifier.model.store.upgrade_version``, written into a temporary store), and optionally the
code of another git revision (``--before REV``: exported with ``git archive`` into a temporary
folder, tagging the shipped format-4 model) in the same interleaved rounds::

    PYTHONPATH=. python benchmarks/cold_start.py [--repeats 7] [--before main]

Writes ``benchmarks/results/cold_start.json`` and ``cold_start_runs.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=7, help="Interleaved rounds.")
    parser.add_argument("--before", help="Also measure this git revision's code (format-4 model).")
    parser.add_argument("--results", default=None, help="Where to write the results.")
    args = parser.parse_args()

    from classifier.model.store import resolve_model_dir, upgrade_version

    repo = Path(__file__).resolve().parent.parent
    article = str(sorted((repo / "seeds").glob("*.txt"))[0])
    py = sys.executable
    shipped = resolve_model_dir(None).resolve()
    one_core = ["taskset", "-c", "1"] if shutil.which("taskset") else []
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    figures: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average": {"start": [round(x, 2) for x in os.getloadavg()]},
        "model": shipped.name,
    }
    with tempfile.TemporaryDirectory(prefix="cold.") as tmp_name:
        tmp = Path(tmp_name)
        upgraded = upgrade_version(shipped, tmp / "store" / shipped.name)
        env["CLASSIFIER_MODELS"] = str(tmp / "store")
        env["PYTHONPATH"] = str(repo)
        subprocess.run([py, "-m", "compileall", "-q", str(repo / "classifier")], check=True, env=env)
        tag = [py, "-m", "classifier", "tag", article, "--model"]
        programs: dict[str, tuple[list[str], dict[str, str]]] = {
            "import_numpy": (one_core + [py, "-c", "import numpy"], env),
            "ours_format5": (one_core + [*tag, str(upgraded)], env),
            "ours_format4": (one_core + [*tag, str(shipped)], env),
        }
        if args.before:
            old = tmp / "before"
            old.mkdir()
            archive = subprocess.run(["git", "-C", str(repo), "archive", args.before], check=True, capture_output=True)
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
            old_env = {**env, "PYTHONPATH": str(old)}
            subprocess.run([py, "-m", "compileall", "-q", str(old / "classifier")], check=True, env=old_env)
            programs["before_format4"] = (one_core + [*tag, str(shipped)], old_env)
        runs: dict[str, list[float]] = {name: [] for name in programs}
        for command, program_env in programs.values():  # a warm-up round: files in the page cache
            subprocess.run(command, check=True, env=program_env, stdout=subprocess.DEVNULL, cwd=tmp)
        for _ in range(args.repeats):
            for name, (command, program_env) in programs.items():
                start = time.perf_counter()
                # cwd: a neutral folder, so `python -m classifier` imports the code PYTHONPATH names
                subprocess.run(command, check=True, env=program_env, stdout=subprocess.DEVNULL, cwd=tmp)
                runs[name].append(time.perf_counter() - start)
    figures["load_average"]["end"] = [round(x, 2) for x in os.getloadavg()]
    median = {name: statistics.median(v) for name, v in runs.items()}
    figures["runs_s"] = {name: [round(x, 3) for x in v] for name, v in runs.items()}
    figures["median_s"] = {name: round(v, 3) for name, v in median.items()}
    figures["vs_import_numpy"] = {
        name: round(v / median["import_numpy"], 2) for name, v in median.items() if name != "import_numpy"
    }
    results = Path(args.results) if args.results else repo / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "cold_start.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    (results / "cold_start_runs.md").write_text(markdown(figures, args.before), encoding="utf-8")
    print(json.dumps(figures, indent=2))


def markdown(figures: dict, before: str | None) -> str:
    """The medians, ratios and raw runs of one measurement, as a Markdown section."""
    names = {
        "ours_format5": "`classifier tag`, the shipped default as a format-5 copy",
        "ours_format4": "`classifier tag`, the shipped default as shipped (format 4)",
        "before_format4": f"`classifier tag` of revision {before}, format 4",
    }
    load = figures["load_average"]
    lines = [
        f"# benchmarks/cold_start.py — {figures['date']}, model {figures['model']}",
        "",
        f"Load average (1, 5, 15 min) at start {load['start']}, at end {load['end']}; one core (`taskset -c 1`).",
        "",
        '| program | median s | / `python -c "import numpy"` |',
        "|---|---|---|",
        f'| `python -c "import numpy"` | {figures["median_s"]["import_numpy"]} | 1 |',
        *[
            f"| {names[name]} | {figures['median_s'][name]} | {ratio} |"
            for name, ratio in figures["vs_import_numpy"].items()
        ],
        "",
        "Runs (seconds, in order):",
        "",
        "```",
        *[f"{name:15} {runs}" for name, runs in figures["runs_s"].items()],
        "```",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
