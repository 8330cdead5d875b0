"""Whole archives on Dask (issue #16): ``tag --cluster local:2`` against ``tag --jobs 2`` on the same machine, same run.

What it measures
----------------
* The pool (``../shared/data/xwlb/pool.jsonl``, 11,549 articles, read in place) repeated ``--times``
  times into a temporary directory of parts (one copy per part, so ×20 is 20 partitions, ~231,000 articles).
* ``classifier tag DIR --jobs 2 --format jsonl --output FILE`` (one machine, two worker processes)
  and ``classifier tag DIR --cluster local:2 --output OUT`` (a Dask LocalCluster of two single-threaded
  worker processes), each a fresh process, wall time end to end (cluster start-up included).
* The ratio of their rates (target >= 0.8: the cluster's overhead is small), that the concatenated
  parts equal the one-machine output byte for byte, and the peak RSS of each worker process
  (sampled every 0.2 s over the command's process tree).

Run from the project root (about 8 minutes for ×20 on a quiet 2-core machine)::

    python benchmarks/archive.py [--times 20] [--write]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from classifier.locations import shared_data_dir

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results" / "archive.md"


def timed(command: list[str]) -> tuple[float, dict[int, int]]:
    """Run ``command``; wall seconds and the peak RSS (bytes) of each of its descendant processes."""
    peaks: dict[int, int] = {}
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stop = threading.Event()

    def sample() -> None:
        parent = psutil.Process(process.pid)
        while not stop.is_set():
            try:
                children = parent.children(recursive=True)
            except psutil.Error:
                break
            for child in children:
                try:
                    if "resource_tracker" in " ".join(child.cmdline()):
                        continue
                    peaks[child.pid] = max(peaks.get(child.pid, 0), child.memory_info().rss)
                except psutil.Error:
                    pass
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    seconds = time.monotonic() - start
    stop.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {stderr.decode()[-2000:]}")
    return seconds, peaks


def digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=20, help="copies of the pool, one part each")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.relative_to(REPO)}")
    args = parser.parse_args()
    pool = shared_data_dir() / "xwlb" / "pool.jsonl"
    articles_per_copy = sum(1 for line in pool.open("rb") if line.strip())
    classifier = [sys.executable, "-m", "classifier"]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="archive-bench-") as tmp:
        parts = Path(tmp) / "parts"
        parts.mkdir()
        for i in range(args.times):
            shutil.copyfile(pool, parts / f"pool-{i:03d}.jsonl")
        total = articles_per_copy * args.times
        local_out = Path(tmp) / "local.jsonl"
        local_s, local_peaks = timed(
            classifier + ["tag", str(parts), "--jobs", str(args.workers), "--format", "jsonl", "-o", str(local_out)]
        )
        print(f"local --jobs {args.workers}: {local_s:.1f} s, {total / local_s:,.0f} articles/s", file=sys.stderr)
        out = Path(tmp) / "out"
        cluster_s, cluster_peaks = timed(
            classifier + ["tag", str(parts), "--cluster", f"local:{args.workers}", "--output", str(out)]
        )
        print(f"cluster local:{args.workers}: {cluster_s:.1f} s, {total / cluster_s:,.0f} articles/s", file=sys.stderr)
        identical = digest(sorted(out.glob("part-*.jsonl"))) == digest([local_out])
    load_after = os.getloadavg()
    workers = sorted(cluster_peaks.values(), reverse=True)[: args.workers]
    local_workers = sorted(local_peaks.values(), reverse=True)[: args.workers]
    ratio = (total / cluster_s) / (total / local_s)
    mib = 2**20
    lines = [
        f"# benchmarks/archive.py — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()}-core machine, pool ×{args.times} = {total:,} articles in {args.times} parts",
        "",
        "```",
        f"{'figure':<44} {'target':>8} {'value':>10}",
        f"{'tag --jobs ' + str(args.workers) + ', articles/s':<44} {'':>8} {total / local_s:>10,.0f}",
        f"{'tag --cluster local:' + str(args.workers) + ', articles/s':<44} {'':>8} {total / cluster_s:>10,.0f}",
        f"{'ratio cluster / one machine':<44} {'>= 0.8':>8} {ratio:>10.2f}",
        f"{'parts concatenated == one-machine output':<44} {'yes':>8} {'yes' if identical else 'NO':>10}",
        f"{'peak RSS per Dask worker, MiB':<44} {'':>8} {', '.join(f'{w / mib:.0f}' for w in workers):>10}",
        f"{'peak RSS per --jobs worker, MiB':<44} {'':>8} {', '.join(f'{w / mib:.0f}' for w in local_workers):>10}",
        f"{'per-core rate on the cluster, articles/s':<44} {'':>8} {total / cluster_s / args.workers:>10,.0f}",
        "```",
        "",
        f"Wall seconds: one machine {local_s:.1f}, cluster {cluster_s:.1f} (cluster start-up, hashing the inputs "
        f"and the manifest included). Load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        "(a shared machine: other jobs take CPU from both runs; compare the ratio, not the rates).",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.write:
        RESULTS.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
