"""Throughput, latency, memory and hot reload of ``classifier serve`` against in-process tagging (issue #14).

One run, loopback only, a fixed number of requests per phase:

1. ``classifier tag ARTICLES.jsonl --jobs 2``: articles per second, the in-process reference;
2. ``classifier serve --workers 2``, batches of 100 articles (4 requests in flight): articles per second;
3. one article per request, 16 concurrent clients: articles per second, p50 and p99 latency;
   the server's resident memory (the parent and its workers) after 1,000 and after 10,000 requests;
4. the same load while the store's default changes (``classifier models use``), SIGHUP arrives and
   ``POST /v1/models/reload`` is called: every request must get a 200.

The load of phases 2 and 3 comes from ``wrk`` (Debian's package: ``apt-get install wrk``), one thread, for a
fixed time per round; it is written in C and takes little of the two cores the workers need. Phase 4 counts
every answer's model version, so it uses an asyncio + httpx client in this process. Other jobs on the machine
show up in every figure: compare within one run (the ratios), not across runs.

Run from the project root (``pip install -e '.[test]'``; reads ``../shared/data/xwlb/pool.jsonl``)::

    python benchmarks/serve.py [--articles 2000] [--requests 10000] [--output benchmarks/results/serve.md]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from measure import tree_rss_kib

from classifier.files import write_atomic
from classifier.locations import shared_data_dir

REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "classifier"]


def tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and its descendants, MiB."""
    return tree_rss_kib(pid) / 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_articles(path: Path, n: int) -> list[dict]:
    out = []
    with path.open(encoding="utf-8") as lines:
        for line in itertools.islice(lines, n):
            record = json.loads(line)
            out.append({"id": record["id"], "title": record.get("title", ""), "text": record["text"]})
    return out


class Load:
    """A fixed number of requests from ``clients`` concurrent clients; latencies and failures recorded."""

    def __init__(self, url: str, clients: int) -> None:
        self.url, self.clients = url, clients
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.versions: set[str] = set()

    async def run(self, bodies: list[dict] | None = None, during=None) -> float:
        """Send every body once, or with ``during`` (a blocking function run in a thread) cycle through the
        bodies until it returns; return the wall seconds."""
        if during is None:
            queue = iter(bodies or [])
        else:
            queue = itertools.cycle(bodies or [])
        limits = httpx.Limits(max_connections=self.clients, max_keepalive_connections=self.clients)
        async with httpx.AsyncClient(base_url=self.url, timeout=60, limits=limits) as client:
            disturbance = None if during is None else asyncio.get_running_loop().run_in_executor(None, during)

            async def worker() -> None:
                for body in queue:
                    if disturbance is not None and disturbance.done():
                        return
                    start = time.perf_counter()
                    try:
                        response = await client.post("/v1/tag", json=body)
                    except httpx.HTTPError as error:
                        self.failures.append(repr(error))
                        continue
                    self.latencies.append(time.perf_counter() - start)
                    if response.status_code != 200:
                        self.failures.append(f"{response.status_code} {response.text[:200]}")
                    else:
                        self.versions.add(response.json()["model"]["version"])

            start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(self.clients)))
            if disturbance is not None:
                await disturbance
            return time.perf_counter() - start


#: wrk's script: cycle through the request bodies of a file (one JSON body per line), print a JSON summary.
WRK_SCRIPT = """
local bodies = {}
for line in io.lines(os.getenv("BODIES")) do bodies[#bodies + 1] = line end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, "/v1/tag", nil, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "seconds": %f, "failed": %d, "p50_ms": %f, "p99_ms": %f}\\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def wrk(url: str, bodies: Path, connections: int, seconds: float, script: Path) -> dict:
    """Requests from ``connections`` open connections for ``seconds``: counts, failures, latency percentiles."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "--timeout", "30s", "-s", str(script), url]
    result = subprocess.run(command, env={**os.environ, "BODIES": str(bodies)}, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"wrk failed: {result.stderr.strip() or result.stdout.strip()}")
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    summary["rate"] = summary["requests"] / summary["seconds"]
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=shared_data_dir() / "xwlb" / "pool.jsonl")
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=10_000, help="Requests before the second memory figure.")
    parser.add_argument("--rounds", type=int, default=3, help="Turns of reference and server measurements.")
    parser.add_argument("--seconds", type=float, default=10, help="Length of each wrk run.")
    parser.add_argument("--output", type=Path, default=REPO / "benchmarks" / "results" / "serve.md")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    if not args.data.is_file():
        raise SystemExit(f"{args.data}: not here (set $CLASSIFIER_SHARED_DATA or --data)")
    articles = read_articles(args.data, args.articles)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as tmp_name:
        tmp = Path(tmp_name)
        from classifier.model.store import resolve_model_dir

        first = resolve_model_dir(None)
        store = tmp / "models"
        store.mkdir()
        shutil.copytree(first, store / first.name)
        (store / "default").write_text(first.name + "\n", encoding="utf-8")
        env = {**os.environ, "CLASSIFIER_MODELS": str(store)}
        print("training a second version for the reload phase...", file=sys.stderr)
        subprocess.run([*CLI, "train"], env=env, cwd=REPO, check=True, capture_output=True)
        second = next(p.name for p in store.iterdir() if p.is_dir() and p.name != first.name)
        source = tmp / "articles.jsonl"
        source.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")

        from classifier.article import Article
        from classifier.tagging.tagger import Tagger, load_tagging_model

        def cli_rate_now(path: Path = source, n: int = len(articles)) -> float:
            """1. ``classifier tag --jobs 2`` end to end (start-up included): the reference."""
            start = time.perf_counter()
            command = [*CLI, "tag", str(path), "--jobs", "2", "--format", "jsonl", "-o", str(tmp / "out.jsonl")]
            subprocess.run(command, env=env, cwd=REPO, check=True)
            (tmp / "out.jsonl").unlink()
            return n / (time.perf_counter() - start)

        n_whole = sum(1 for _ in args.data.open(encoding="utf-8"))

        tagger = Tagger(load_tagging_model(first))
        objects = [Article(a["id"], a["title"], a["text"]) for a in articles]

        def inproc_rate_now() -> float:
            """The same articles in this process, one model, no start-up: the pure tagging cost."""
            start = time.perf_counter()
            for i in range(0, len(objects), 100):
                tagger.tag_batch(objects[i : i + 100])
            return len(articles) / (time.perf_counter() - start)

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = (tmp / "serve.log").open("wb")
        server = subprocess.Popen([*CLI, "serve", "--workers", "2", "--port", str(port)], env=env, cwd=REPO, stderr=log)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("server did not start")
                time.sleep(0.2)
            time.sleep(1)  # both workers up
            singles = [{"articles": [a]} for a in articles]
            batches = [{"articles": articles[i : i + 100]} for i in range(0, len(articles), 100)]
            script, single_file, batch_file = tmp / "load.lua", tmp / "singles.txt", tmp / "batches.txt"
            script.write_text(WRK_SCRIPT, encoding="utf-8")
            for path, bodies in ((single_file, singles), (batch_file, batches)):
                path.write_text("".join(json.dumps(b, ensure_ascii=False) + "\n" for b in bodies), encoding="utf-8")

            # The machine's load moves by the minute: the reference and the server are measured in turns,
            # round after round, and each round gives its own ratios.
            cli_rates, whole_rates, inproc_rates, batch_runs, single_runs = [], [], [], [], []
            # The first memory reading: after at least 1,000 single-article requests (wrk runs for a
            # time, not a count: the count is what one second gives).
            sent = 0
            while sent < 1000:
                sent += wrk(url, single_file, 16, 1, script)["requests"]
            rss_1k, sent_1k = tree_rss_mib(server.pid), sent
            for round_ in range(args.rounds):
                print(f"round {round_ + 1}: classifier tag, in-process, batches, single articles...", file=sys.stderr)
                cli_rates.append(cli_rate_now())
                whole_rates.append(cli_rate_now(args.data, n_whole))
                inproc_rates.append(inproc_rate_now())
                batch_runs.append(wrk(url, batch_file, 4, args.seconds, script))
                single_runs.append(wrk(url, single_file, 16, args.seconds, script))
                sent += batch_runs[-1]["requests"] + single_runs[-1]["requests"]
            # 3b. more single-article requests, up to the total, for the memory figure
            print("single articles up to the total...", file=sys.stderr)
            while sent < args.requests:
                sent += wrk(url, single_file, 16, args.seconds, script)["requests"]
            rss_10k = tree_rss_mib(server.pid)

            # 4. hot reload under load
            print("hot reload under load...", file=sys.stderr)

            def disturb() -> None:
                """Under load: switch the store's default, then SIGHUP, then POST /v1/models/reload."""
                time.sleep(3)
                subprocess.run([*CLI, "models", "use", second], env=env, cwd=REPO, check=True, capture_output=True)
                time.sleep(5)  # both workers notice within a second; let the new model serve a while
                server.send_signal(signal.SIGHUP)
                time.sleep(3)
                httpx.post(url + "/v1/models/reload", timeout=60)
                time.sleep(3)

            reload_load = Load(url, 16)
            reload_seconds = asyncio.run(reload_load.run(singles, disturb))
            serving = httpx.get(url + "/v1/models", timeout=10).json()["serving"]
        finally:
            server.send_signal(signal.SIGTERM)
            exit_code = server.wait(60)
            log.close()
            server_log = [
                line
                for line in (tmp / "serve.log").read_text(encoding="utf-8", errors="replace").splitlines()
                if not line.startswith('{"time"') or '"status": 200' not in line
            ]
        failures = sum(run["failed"] for run in batch_runs + single_runs)
    load_after = os.getloadavg()

    med = statistics.median
    cli_rate = med(cli_rates)
    batch_rates = [run["rate"] * 100 for run in batch_runs]
    single_rates = [run["rate"] for run in single_runs]
    batch_ratio = med(b / c for b, c in zip(batch_rates, cli_rates, strict=True))
    single_ratio = med(r / c for r, c in zip(single_rates, cli_rates, strict=True))
    inproc_ratio = med(i / c for i, c in zip(inproc_rates, cli_rates, strict=True))
    # The same ratios against the whole file: start-up weighs less there, so tag's rate is higher.
    whole_batch = med(b / c for b, c in zip(batch_rates, whole_rates, strict=True))
    whole_single = med(r / c for r, c in zip(single_rates, whole_rates, strict=True))
    p50, p99 = med(run["p50_ms"] for run in single_runs), med(run["p99_ms"] for run in single_runs)

    latency_runs = ", ".join(f"{run['p50_ms']:.1f}/{run['p99_ms']:.1f}" for run in single_runs)

    def runs(values: list[float]) -> str:
        return ", ".join(f"{v:,.0f}" for v in values)

    rows = [
        (
            f"`classifier tag --jobs 2` on the same {len(articles):,} articles, articles/s (start-up included)",
            "reference",
            f"{cli_rate:,.0f}",
            "",
        ),
        (
            f"`classifier tag --jobs 2` on all {n_whole:,} articles of the file, articles/s",
            "",
            f"{med(whole_rates):,.0f}",
            f"{med(w / c for w, c in zip(whole_rates, cli_rates, strict=True)):.2f}x",
        ),
        (
            "in-process `Tagger.tag_batch`, 1 process, no start-up, articles/s",
            "",
            f"{med(inproc_rates):,.0f}",
            f"{inproc_ratio:.2f}x",
        ),
        (
            "serve --workers 2, batches of 100 (4 in flight), articles/s",
            ">= 0.8x tag",
            f"{med(batch_rates):,.0f}",
            f"{batch_ratio:.2f}x",
        ),
        (
            "serve --workers 2, 1 article/request, 16 clients, articles/s",
            ">= 0.5x tag",
            f"{med(single_rates):,.0f}",
            f"{single_ratio:.2f}x",
        ),
        ("  the same two rates against tag on the whole file", "", "", f"{whole_batch:.2f}x, {whole_single:.2f}x"),
        ("  latency p50, ms", "", f"{p50:.1f}", ""),
        ("  latency p99, ms", "aim <= 50", f"{p99:.1f}", ""),
        (f"server RSS after {sent_1k:,} requests, MiB", "", f"{rss_1k:.0f}", ""),
        (
            f"server RSS after {sent:,} requests, MiB",
            "within 10%",
            f"{rss_10k:.0f}",
            f"{rss_10k / rss_1k:.3f}x",
        ),
        (
            f"hot reload under load ({reload_seconds:.0f} s): failed requests of {len(reload_load.latencies) + len(reload_load.failures):,}",
            "0",
            str(len(reload_load.failures)),
            "",
        ),
        ("  versions answered during the reload phase", "both", str(len(reload_load.versions)), ""),
        ("failed requests in the other phases", "0", str(failures), ""),
        ("exit status after SIGTERM", "0", str(exit_code), ""),
    ]
    lines = [
        "# `classifier serve` against in-process tagging (issue #14)",
        "",
        f"`python benchmarks/serve.py --articles {args.articles} --requests {args.requests}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} cores; the first {len(articles)} articles "
        f"of `{args.data.name}`; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after (other jobs share the machine).",
        "",
        "| figure | target | measured | ratio |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
        f"- Medians of {args.rounds} rounds; each round runs the reference, the in-process loop, {args.seconds:.0f} s of "
        f"batches and {args.seconds:.0f} s of single-article requests in turn, and the ratios are the medians of the "
        "per-round ratios. "
        f"Rounds, articles/s: tag {runs(cli_rates)}; tag on the whole file {runs(whole_rates)}; in-process {runs(inproc_rates)}; batches {runs(batch_rates)}; "
        f"single {runs(single_rates)}; single p50/p99 ms "
        f"{latency_runs}.",
        f"- Reload phase: 16 clients without pause; after 3 s the store default switched to `{second}` "
        f"(`classifier models use`), 5 s later SIGHUP, 3 s later `POST /v1/models/reload`; serving at the end: "
        f"`{serving}`.",
        "- The load generator (`wrk -t1`, one thread in C; the reload phase: asyncio + httpx in this process) shares "
        "the 2 cores with the 2 workers. Latency: wrk's percentiles per round, the median over rounds.",
        "",
    ]
    every_failure = reload_load.failures
    if every_failure:
        lines += ["Failures (first 5):", "", *[f"- `{f}`" for f in every_failure[:5]], ""]
        lines += ["Server log (last lines):", "", "```", *server_log[-15:], "```", ""]
    text = "\n".join(lines)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(args.output, text)
    print(text)


if __name__ == "__main__":
    main()
