"""The app in-process (Starlette's test client), for the quick loop; tests/service/test_api.py runs the real server."""

from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():
    # Starlette asks for httpx2 for its test client; httpx works, and is what the project installs.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from classifier.service.app import Settings, create_app, stable_id
from tests.service.conftest import ARTICLE


@pytest.fixture
def client():
    with TestClient(create_app(Settings(max_articles=2, max_body=4096, poll=0, access_log=False))) as client:
        yield client


def test_tag_and_errors(client: TestClient) -> None:
    ok = client.post("/v1/tag", json={"articles": [{"text": ARTICLE}]})
    assert ok.status_code == 200 and ok.json()["results"][0]["topics"] == ["energy"]
    title, text = ARTICLE.split("\n", 1)
    plain = client.post("/v1/tag", content=ARTICLE.encode("gbk"), headers={"Content-Type": "text/plain"})
    assert plain.json()["results"][0]["id"] == stable_id(title, text)
    assert client.post("/v1/tag", json={"articles": [{"text": "能源"}] * 3}).status_code == 413
    assert client.post("/v1/tag", json={"articles": [{"text": "能" * 5000}]}).status_code == 413
    assert client.post("/v1/tag", content=b"{", headers={"Content-Type": "application/json"}).json() == {
        "error": "body is not valid JSON (Expecting property name enclosed in double quotes)"
    }
    assert client.post("/v1/tag", json={"articles": [{"text": " "}]}).json() == {
        "error": "articles.0: empty article: no title and no text"
    }


def test_probes(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").json()["status"] == "ready"
    assert client.get("/v2/health/ready").json() == {"ready": True}


def test_settings_travel_to_workers_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(model="v1", token="t", max_body=10, max_articles=3)
    monkeypatch.setenv("CLASSIFIER_SERVE_SETTINGS", settings.to_env())
    assert Settings.from_env() == settings


def test_a_sighup_while_a_worker_starts_is_not_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    # The supervisor may signal a worker that is still loading its model: it reloads once up.
    import os
    import signal
    import time

    from classifier.service.app import SETTINGS_ENV, app_from_env

    monkeypatch.setenv(SETTINGS_ENV, Settings(poll=0, access_log=False).to_env())
    previous = signal.getsignal(signal.SIGHUP)
    try:
        app = app_from_env()
        os.kill(os.getpid(), signal.SIGHUP)  # before the lifespan has run
        with TestClient(app) as client:
            deadline = time.monotonic() + 20
            while (client.get("/v1/models").json()["last_reload"] or {}).get("trigger") != "SIGHUP":
                assert time.monotonic() < deadline, "the early SIGHUP was lost"
                time.sleep(0.05)
    finally:
        signal.signal(signal.SIGHUP, previous)
