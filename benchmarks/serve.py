"""Throughput, latency, memory and hot reload of ``classifier serve`` against in-process tagging (issue #14).

One run, loopback only, a fixed number of requests per phase:

1. ``classifier tag ARTICLES.jsonl --jobs 2``: articles per second, the in-process reference;
2. ``classifier serve --workers 2``, batches of 100 articles (4 requests in flight): articles per second;
3. one article per request, 16 concurrent clients: articles per second, p50 and p99 latency;
   the server's resident memory (the parent and its workers) after 1,000 and after 10,000 requests;
4. the same load while the store's default changes (``classifier models use``), SIGHUP arrives and
   ``POST /v1/models/reload`` is called: every request must get a 200.

The load generator is an asyncio + httpx client in this process; on a 2-core machine it takes CPU from
the two workers, so the per-request figures are a lower bound. Other jobs on the machine show up in every
figure: compare within one run (the ratios), not across runs.

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

from classifier.files import write_atomic
from classifier.locations import shared_data_dir

REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "classifier"]


def tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and its descendants, MiB."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as status:
            total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            total += sum(int(tree_rss_mib(int(child)) * 1024) for child in children.read().split())
    except (OSError, ValueError):
        pass
    return total / 1024


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

    async def run(self, bodies: list[dict], during=None) -> float:
        """Send every body once; return the wall seconds. ``during(done_fraction)`` is awaited at 1/3 and 2/3."""
        queue = iter(enumerate(bodies))
        marks = {len(bodies) // 3: 1, 2 * len(bodies) // 3: 2}
        limits = httpx.Limits(max_connections=self.clients, max_keepalive_connections=self.clients)
        async with httpx.AsyncClient(base_url=self.url, timeout=60, limits=limits) as client:

            async def worker() -> None:
                for n, body in queue:
                    if during is not None and n in marks:
                        asyncio.get_running_loop().run_in_executor(None, during, marks[n])
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
            return time.perf_counter() - start


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=shared_data_dir() / "xwlb" / "pool.jsonl")
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--reload-requests", type=int, default=3000)
    parser.add_argument("--output", type=Path, default=REPO / "benchmarks" / "results" / "serve.md")
    args = parser.parse_args()
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

        # 1. in-process reference
        print("classifier tag --jobs 2...", file=sys.stderr)
        start = time.perf_counter()
        subprocess.run(
            [*CLI, "tag", str(source), "--jobs", "2", "--format", "jsonl", "-o", str(tmp / "out.jsonl")],
            env=env,
            cwd=REPO,
            check=True,
        )
        cli_seconds = time.perf_counter() - start
        cli_rate = len(articles) / cli_seconds

        # 1b. the same articles tagged in this process, one model, no start-up: the pure tagging cost
        from classifier.article import Article
        from classifier.tagging.tagger import Tagger, load_tagging_model

        tagger = Tagger(load_tagging_model(first))
        objects = [Article(a["id"], a["title"], a["text"]) for a in articles]
        start = time.perf_counter()
        for i in range(0, len(objects), 100):
            tagger.tag_batch(objects[i : i + 100])
        inproc_rate = len(articles) / (time.perf_counter() - start)

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

            # 2. batches of 100
            print("batches of 100...", file=sys.stderr)
            batches = [{"articles": articles[i : i + 100]} for i in range(0, len(articles), 100)]
            batch_load = Load(url, 4)
            batch_seconds = asyncio.run(batch_load.run(batches))
            batch_rate = len(articles) / batch_seconds

            # 3. one article a request, 16 clients; memory after 1,000 and 10,000
            print("one article per request...", file=sys.stderr)
            warm = Load(url, 16)
            warm_seconds = asyncio.run(warm.run(list(itertools.islice(itertools.cycle(singles), 1000))))
            rss_1k = tree_rss_mib(server.pid)
            steady = Load(url, 16)
            rest = args.requests - 1000
            steady_seconds = asyncio.run(steady.run(list(itertools.islice(itertools.cycle(singles), rest))))
            rss_10k = tree_rss_mib(server.pid)
            latencies = warm.latencies + steady.latencies
            single_rate = args.requests / (warm_seconds + steady_seconds)

            # 4. hot reload under load
            print("hot reload under load...", file=sys.stderr)

            def disturb(mark: int) -> None:
                if mark == 1:
                    subprocess.run([*CLI, "models", "use", second], env=env, cwd=REPO, check=True, capture_output=True)
                else:
                    server.send_signal(signal.SIGHUP)
                    httpx.post(url + "/v1/models/reload", timeout=60)

            reload_load = Load(url, 16)
            asyncio.run(
                reload_load.run(list(itertools.islice(itertools.cycle(singles), args.reload_requests)), disturb)
            )
            serving = httpx.get(url + "/v1/models", timeout=10).json()["serving"]
        finally:
            server.send_signal(signal.SIGTERM)
            exit_code = server.wait(60)
            log.close()
        failures = len(batch_load.failures) + len(warm.failures) + len(steady.failures)
    load_after = os.getloadavg()

    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    rows = [
        ("`classifier tag --jobs 2`, articles/s", "reference", f"{cli_rate:,.0f}", ""),
        (
            "in-process `Tagger.tag_batch`, 1 process, no start-up, articles/s",
            "",
            f"{inproc_rate:,.0f}",
            f"{inproc_rate / cli_rate:.2f}x",
        ),
        (
            "serve --workers 2, batches of 100, articles/s",
            ">= 0.8x tag",
            f"{batch_rate:,.0f}",
            f"{batch_rate / cli_rate:.2f}x",
        ),
        (
            "serve --workers 2, 1 article/request, 16 clients, articles/s",
            ">= 0.5x tag",
            f"{single_rate:,.0f}",
            f"{single_rate / cli_rate:.2f}x",
        ),
        ("  latency p50, ms", "", f"{p50:.1f}", ""),
        ("  latency p99, ms", "aim <= 50", f"{p99:.1f}", ""),
        ("server RSS after 1,000 requests, MiB", "", f"{rss_1k:.0f}", ""),
        (
            f"server RSS after {args.requests:,} requests, MiB",
            "within 10%",
            f"{rss_10k:.0f}",
            f"{rss_10k / rss_1k:.3f}x",
        ),
        (
            f"hot reload under load: failed requests of {args.reload_requests:,}",
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
        f"- `classifier tag --jobs 2` took {cli_seconds:.2f} s for {len(articles)} articles, start-up included.",
        f"- Reload phase: store default switched to `{second}` at 1/3 (`classifier models use`), SIGHUP and "
        f"`POST /v1/models/reload` at 2/3; serving at the end: `{serving}`.",
        "- The load generator (asyncio + httpx, this process) shares the 2 cores with the 2 workers.",
        f"- Latency over all {args.requests:,} single-article requests (median {statistics.median(latencies) * 1000:.1f} ms).",
        "",
    ]
    every_failure = batch_load.failures + warm.failures + steady.failures + reload_load.failures
    if every_failure:
        lines += ["Failures (first 5):", "", *[f"- `{f}`" for f in every_failure[:5]], ""]
    text = "\n".join(lines)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(args.output, text)
    print(text)


if __name__ == "__main__":
    main()
