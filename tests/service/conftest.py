"""The real server for the service tests: ``python -m classifier serve`` in a subprocess on a free loopback port."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, shipped_labels

ARTICLE = "国家能源局：加快建设新型储能电站\n今年以来，各地加快光伏、风电等新能源项目建设，新型储能装机规模持续扩大，电网调峰能力明显增强。"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running ``classifier serve``: its URL, process and stderr (the JSON access log)."""

    url: str
    process: subprocess.Popen
    stderr: Path

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)

    def log(self) -> list[dict]:
        """The JSON access-log lines written so far."""
        out = []
        for line in self.stderr.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)


def start_server(tmp: Path, *args: str, env: dict[str, str] | None = None, wait: float = 60) -> Server:
    """Start the server with these options and wait until ``/readyz`` says it is ready."""
    port = free_port()
    stderr = tmp / f"serve-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "classifier", "serve", "--port", str(port), *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=stderr.open("wb"),
    )
    server = Server(f"http://127.0.0.1:{port}", process, stderr)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited {process.returncode}: {stderr.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(server.url + "/readyz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop(signal.SIGKILL)
    raise AssertionError(f"server not ready in {wait} s: {stderr.read_text(errors='replace')[-2000:]}")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator:
    """Start servers on the test's own (hermetic) labels and store; all are stopped at the end."""
    started: list[Server] = []

    def run(*args: str, env: dict[str, str] | None = None) -> Server:
        server = start_server(tmp_path, *args, env=env)
        started.append(server)
        return server

    yield run
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory, seed_model: Path) -> Iterator[Server]:
    """One server for a module's read-only tests, on a store of its own; small limits to test them cheaply."""
    base = tmp_path_factory.mktemp("served")
    labels = shipped_labels(base / "labels")
    store = base / "models"
    store.mkdir()
    shutil.copytree(seed_model, store / seed_model.name)
    (store / "default").write_text(seed_model.name + "\n", encoding="utf-8")
    env = {"CLASSIFIER_LABELS": str(labels), "CLASSIFIER_MODELS": str(store), "CLASSIFIER_CACHE": str(base / "cache")}
    server = start_server(base, "--max-body", "64KiB", "--max-articles", "5", env=env)
    yield server
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait()
