"""``classifier train`` of two trees of the project side by side with fastText, interleaved: wall and CPU seconds.

The training part of ``benchmarks/speed.py`` (the same commands: ``taskset -c 0,1 python -m
classifier train --labels ... --output DIR`` and its fastText program on the same labels), run
for a base tree (e.g. a copy of main: ``git worktree add /tmp/base main``) and this one in the
same rounds, so that a loaded machine's figures compare as ratios. CPU seconds are user + system
of each command's process tree. Run from the project root::

    python benchmarks/train_compare.py --base /tmp/base [--rounds 5] [--sets xwlb,thucnews]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def run(command: list[str], tree: Path) -> tuple[float, float]:
    """Wall and CPU seconds (the process and the children it waited for) of ``command`` run in ``tree``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # .pyc files, as installed
    env["PYTHONPATH"] = str(tree)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    sys.path.insert(0, str(HERE))
    from classifier.locations import shared_data_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the other tree (a copy of main)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sets", default="xwlb,thucnews")
    args = parser.parse_args()
    data = shared_data_dir()
    sets = {
        "xwlb": ["labels", str(data / "xwlb" / "dev.jsonl"), str(data / "xwlb" / "recent.jsonl")],
        "thucnews": [str(data / "thucnews" / "train.jsonl")],
    }
    flags = {"xwlb": [], "thucnews": ["--own-topics"]}
    cores = ["taskset", "-c", "0,1"] if shutil.which("taskset") else []
    trees = {"base": args.base.resolve(), "this": HERE}
    runs: dict[tuple[str, str], list[tuple[float, float]]] = {}
    print(f"load average at start {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for name in args.sets.split(","):
                labels = [x for path in sets[name] for x in ("--labels", path)]
                for tree_name, tree in trees.items():
                    out = Path(tmp) / f"{tree_name}_{name}"
                    shutil.rmtree(out, ignore_errors=True)
                    command = [*cores, sys.executable, "-m", "classifier", "train", *labels, *flags[name]]
                    runs.setdefault((name, tree_name), []).append(run([*command, "--output", str(out)], tree))
                fasttext = [sys.executable, str(HERE / "benchmarks" / "speed.py"), "--fasttext-train"]
                runs.setdefault((name, "fasttext"), []).append(
                    run([*cores, *fasttext, str(Path(tmp) / f"ft_{name}.bin"), *sets[name]], HERE)
                )
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    for name in args.sets.split(","):
        med = {
            who: (
                statistics.median(w for w, _ in runs[(name, who)]),
                statistics.median(c for _, c in runs[(name, who)]),
            )
            for who in ("base", "this", "fasttext")
        }
        print(
            f"{name}: "
            + ", ".join(f"{who} {w:.2f} s wall {c:.2f} s CPU" for who, (w, c) in med.items())
            + f" | base/fastText {med['base'][0] / med['fasttext'][0]:.2f}, this/fastText "
            f"{med['this'][0] / med['fasttext'][0]:.2f}, this/base wall {med['this'][0] / med['base'][0]:.2f} "
            f"CPU {med['this'][1] / med['base'][1]:.2f}"
        )
        for who in ("base", "this", "fasttext"):
            print(f"  {who} runs (wall, CPU): " + ", ".join(f"({w:.2f}, {c:.2f})" for w, c in runs[(name, who)]))


if __name__ == "__main__":
    main()
