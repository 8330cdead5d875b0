"""Operations against the real server: hot reload (store default, POST, SIGHUP), a refused model, token, SIGTERM drain, workers."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import own_corpus
from tests.service.conftest import ARTICLE

pytestmark = pytest.mark.slow


def train_second_model(invoke, tmp_path: Path) -> str:
    """A second version in the store (topics of its own: sport, money), not the default."""
    from classifier.model.store import list_models

    before = {m["version"] for m in list_models()}
    result = invoke("train", "--labels", own_corpus(tmp_path / "own.jsonl"), "--own-topics")
    assert result.exit_code == 0, result.stderr
    (version,) = {m["version"] for m in list_models()} - before
    return version


def wait_for(predicate, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


class Load:
    """Clients tagging in a loop while something else happens; counts every request that did not get a 200."""

    def __init__(self, url: str, threads: int = 4) -> None:
        self.url, self.stop, self.failures, self.versions, self.done = url, threading.Event(), [], set(), 0
        self.threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while not self.stop.is_set():
                try:
                    response = client.post("/v1/tag", json={"articles": [{"text": ARTICLE}]})
                except httpx.HTTPError as error:
                    self.failures.append(repr(error))
                    continue
                if response.status_code != 200:
                    self.failures.append(response.text)
                else:
                    self.versions.add(response.json()["model"]["version"])
                    self.done += 1

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def test_models_use_switches_the_serving_model_under_load_without_a_failed_request(
    serve, invoke, tmp_path, seed_model
) -> None:
    second = train_second_model(invoke, tmp_path)
    server = serve()
    with server.client() as client, Load(server.url) as load:
        time.sleep(0.5)
        assert invoke("models", "use", second).exit_code == 0
        wait_for(lambda: client.get("/v1/models").json()["serving"] == second)
        time.sleep(0.5)
        topics = client.post("/v1/tag", json={"articles": [{"text": "足球联赛今晚开赛"}]}).json()["model"]["topics"]
    assert load.failures == [] and load.done > 0
    assert load.versions == {seed_model.name, second}
    assert sorted(topics) == ["money", "sport"]
    models = httpx.get(server.url + "/v1/models").json()
    assert models["last_reload"]["ok"] and models["last_reload"]["trigger"] == "store default changed"
    assert server.stop() == 0


def test_a_model_that_fails_to_load_is_refused_and_the_old_one_keeps_serving(
    serve, invoke, tmp_path, seed_model
) -> None:
    second = train_second_model(invoke, tmp_path)
    server = serve()
    from classifier.model.store import models_dir

    store = models_dir()
    (store / second / "tagger.npz").write_bytes(b"not the arrays the manifest vouches for")
    (store / "default").write_text(second + "\n", encoding="utf-8")  # behind the store's back: set_default would refuse
    with server.client() as client:
        reply = client.post("/v1/models/reload").json()
        assert reply["ok"] is False and reply["serving"] == seed_model.name and "tagger.npz" in reply["error"]
        models = client.get("/v1/models").json()
        assert models["serving"] == seed_model.name and models["default"] == second
        assert models["last_reload"]["ok"] is False and "tagger.npz" in models["last_reload"]["error"]
        assert (
            client.post("/v1/tag", json={"articles": [{"text": ARTICLE}]}).json()["model"]["version"] == seed_model.name
        )
        assert client.get("/readyz").status_code == 200
        assert 'classifier_model_reloads_total{outcome="refused"}' in client.get("/metrics").text
    assert "model load refused" in server.stderr.read_text(encoding="utf-8")


def test_post_reload_and_sighup_load_the_pinned_model_again(serve, seed_model) -> None:
    server = serve("--model", seed_model.name)
    with server.client() as client:
        assert client.post("/v1/models/reload").json() == {"ok": True, "serving": seed_model.name, "error": None}
        assert client.get("/v1/models").json()["pinned"] == seed_model.name
        server.process.send_signal(signal.SIGHUP)
        wait_for(lambda: client.get("/v1/models").json()["last_reload"]["trigger"] == "SIGHUP")
        assert client.get("/readyz").status_code == 200
    assert server.stop() == 0


def test_token(serve, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("s3cret-令牌\n", encoding="utf-8")
    server = serve("--token-file", str(token))
    body = {"articles": [{"text": ARTICLE}]}
    with server.client() as client:
        missing = client.post("/v1/tag", json=body)
        wrong = client.post("/v1/tag", json=body, headers={"Authorization": "Bearer nope"})
        right = client.post("/v1/tag", json=body, headers={"Authorization": "Bearer s3cret-令牌".encode()})
        assert missing.status_code == wrong.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer" and set(missing.json()) == {"error"}
        assert right.status_code == 200
        assert client.get("/v1/models").status_code == 401
        assert client.post("/v2/models/classifier/infer", json={}).status_code == 401
        for open_path in (
            "/healthz",
            "/readyz",
            "/metrics",
            "/v2/health/live",
            "/v2/health/ready",
            "/",
            "/page/app.js",
        ):
            assert client.get(open_path).status_code == 200, open_path


def test_sigterm_drains_requests_in_flight_and_exits_0(serve) -> None:
    server = serve("--max-articles", "5000")
    articles = [{"id": str(n), "text": ARTICLE * 3} for n in range(3000)]
    result: dict = {}

    def slow_request() -> None:
        with httpx.Client(timeout=120) as client:
            result["response"] = client.post(server.url + "/v1/tag", json={"articles": articles})

    thread = threading.Thread(target=slow_request)
    thread.start()
    time.sleep(1.0)  # the body is sent and tagging has begun
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    with pytest.raises(httpx.ConnectError):  # no longer accepting
        httpx.get(server.url + "/healthz", timeout=2)
    thread.join(120)
    assert server.process.wait(60) == 0
    response = result["response"]
    assert response.status_code == 200 and len(response.json()["results"]) == 3000


def test_two_workers_serve_reload_on_sighup_and_stop_on_sigterm(serve) -> None:
    server = serve("--workers", "2")
    with server.client() as client:
        for _ in range(20):
            assert client.post("/v1/tag", json={"articles": [{"text": ARTICLE}]}).status_code == 200
        server.process.send_signal(signal.SIGHUP)
        wait_for(lambda: server.stderr.read_text(encoding="utf-8").count("(SIGHUP)") == 2)
        assert client.get("/readyz").status_code == 200
        metrics = client.get("/metrics").text
    assert server.stderr.read_text(encoding="utf-8").count("(SIGHUP)") == 2  # the supervisor told each worker
    assert "classifier_http_requests_total" in metrics
    assert len({entry["pid"] for entry in server.log()}) >= 1
    assert server.stop() == 0
