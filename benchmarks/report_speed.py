"""How long ``classifier evaluate --test dev.jsonl --report report.html`` takes (issue #15: under 10 s).

Each run is a fresh process, end to end: start-up, loading the model, scoring the 200 dev articles,
the bootstrap, the figures and writing the page. Wall seconds and the CPU seconds the process
used (user + system) are both reported: on a shared machine the wall time grows with other jobs'
load, the CPU time much less. The table-only run (``evaluate`` without ``--report``) is timed in
the same loop, so the report's own cost is the difference. The load average is read before and
after. Finally the page is opened in headless Chromium (Debian's, as the tests use it) and the
first screen is saved to ``benchmarks/results/report.png``.

Run from the project root::

    PYTHONPATH=. python benchmarks/report_speed.py [--repeats 3] [--model M]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from classifier.locations import shared_data_dir

REPO = Path(__file__).resolve().parent.parent
DEV = shared_data_dir() / "xwlb" / "dev.jsonl"
RESULTS = REPO / "benchmarks" / "results"
CLI = [sys.executable, "-m", "classifier"]


def timed(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one command (a fresh process); it must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def screenshot(page: Path, out: Path) -> None:
    """The first screen (1280x800) of the page in headless Chromium, the browser fixture's flags."""
    from tests.browser import find_chromium, start_chromium

    found = find_chromium()
    if found is None:
        print("no chromium: screenshot skipped", file=sys.stderr)
        return
    driver = start_chromium(found, Path(tempfile.mkdtemp(prefix="chromium-")))
    try:
        driver.get(page.as_uri())
        driver.save_screenshot(str(out))
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    if not DEV.is_file():
        sys.exit(f"{DEV} is not here (set CLASSIFIER_SHARED_DATA)")
    model = ["--model", args.model] if args.model else []
    load_before = os.getloadavg()
    runs: dict[str, list[tuple[float, float]]] = {"table only": [], "with --report": []}
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        for _ in range(args.repeats):
            base = [*CLI, "evaluate", "--test", str(DEV), *model, "--format", "table"]
            runs["table only"].append(timed(base))
            runs["with --report"].append(timed([*base, "--report", str(page)]))
        size = page.stat().st_size
        RESULTS.mkdir(parents=True, exist_ok=True)
        screenshot(page, RESULTS / "report.png")
    load_after = os.getloadavg()
    lines = [
        f"# benchmarks/report_speed.py — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()}-core machine",
        "",
        "```",
        f"{'command (200 dev articles)':<28} {'wall s':>7} {'cpu s':>7}   runs (wall / cpu)",
    ]
    for name, values in runs.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        detail = ", ".join(f"{w:.2f}/{c:.2f}" for w, c in values)
        lines.append(f"{'evaluate ' + name:<28} {wall:>7.2f} {cpu:>7.2f}   {detail}")
    lines += [
        f"(medians of {args.repeats} runs, each a fresh process; report page {size / 1024:.0f} KiB; target: < 10 s)",
        f"load average before {load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}, "
        f"after {load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f}",
        "```",
        "",
    ]
    text = "\n".join(lines)
    (RESULTS / "report_speed.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
