"""Every endpoint and every bad request of the issue, against the real server (a subprocess on a loopback port)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from classifier.article import Article
from classifier.tagging.tagger import Tagger, load_tagging_model
from tests.service.conftest import ARTICLE, Server

pytestmark = pytest.mark.slow

TITLE, TEXT = ARTICLE.split("\n", 1)


def one_line_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"], str)
    assert body["error"] and "\n" not in body["error"] and "Traceback" not in body["error"]
    return body["error"]


def test_probes(shared_server: Server) -> None:
    with shared_server.client() as client:
        assert client.get("/healthz").json() == {"status": "alive"}
        ready = client.get("/readyz").json()
        assert ready["status"] == "ready" and ready["model"]
        assert client.get("/v2/health/live").json() == {"live": True}
        assert client.get("/v2/health/ready").json() == {"ready": True}
        assert client.get("/v2").json()["name"] == "classifier"


def test_tag_gives_the_cli_records_in_input_order(shared_server: Server, seed_model: Path) -> None:
    articles = [
        {"id": "b", "title": TITLE, "text": TEXT},
        {"id": "a", "text": "文化旅游节今天开幕，游客在古城欣赏非遗表演。"},
        {"title": "没有编号", "text": "农村公路建设加快，城乡交通更加便利。"},
    ]
    with shared_server.client() as client:
        response = client.post("/v1/tag", json={"articles": articles})
        again = client.post("/v1/tag", json={"articles": articles[2:]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"]["version"] == seed_model.name
    assert body["model"]["topics"][1] == "energy"
    results = body["results"]
    assert [r["id"] for r in results[:2]] == ["b", "a"]
    assert results[2]["id"].startswith("a-") and results[2]["id"] == again.json()["results"][0]["id"]  # stable
    expected = Tagger(load_tagging_model(seed_model)).tag_batch(
        [Article(id=r["id"], title=a.get("title", ""), text=a["text"]) for r, a in zip(results, articles, strict=True)]
    )
    assert results == json.loads(json.dumps(expected, ensure_ascii=False))
    assert results[0]["topics"] == ["energy"]


def test_top_and_explain(shared_server: Server) -> None:
    with shared_server.client() as client:
        record = client.post("/v1/tag", json={"articles": [{"text": ARTICLE}], "top": 1, "explain": True}).json()
    result = record["results"][0]
    assert len(result["topics"]) <= 1
    assert set(result["explain"]) == set(result["topics"])
    assert all(
        isinstance(term, str) and weight > 0 for reasons in result["explain"].values() for term, weight in reasons
    )


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "utf-16"])
def test_plain_text_in_any_encoding_the_reader_knows(shared_server: Server, encoding: str) -> None:
    with shared_server.client() as client:
        response = client.post("/v1/tag", content=ARTICLE.encode(encoding), headers={"Content-Type": "text/plain"})
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert result["title"] == TITLE and result["topics"] == ["energy"]


def test_curl_form_encoding_is_read_as_json(shared_server: Server) -> None:
    body = json.dumps({"articles": [{"text": ARTICLE}]}, ensure_ascii=False).encode()
    with shared_server.client() as client:
        response = client.post("/v1/tag", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200 and response.json()["results"][0]["topics"] == ["energy"]


def test_topics_and_models(shared_server: Server, seed_model: Path) -> None:
    with shared_server.client() as client:
        topics = client.get("/v1/topics").json()["topics"]
        models = client.get("/v1/models").json()
    assert topics[1]["id"] == "energy" and topics[1]["name_zh"] == "能源" and topics[1]["description"]
    assert models["serving"] == models["default"] == seed_model.name
    assert models["meta"]["checksum"].startswith("sha256:") and len(models["meta"]["checksum"]) == 71
    assert models["meta"]["n_articles"] == 50 and "micro_f1" in models["meta"]["cv_metrics"]
    assert models["meta"]["counts"]["environment"] > 0
    assert [v["version"] for v in models["versions"]] == [seed_model.name]
    assert models["last_reload"]["ok"] is True


def test_v2_infer_with_the_spec_request_shapes(shared_server: Server, seed_model: Path) -> None:
    second = "文化旅游节今天开幕，游客在古城欣赏非遗表演。"
    with shared_server.client() as client:
        meta = client.get("/v2/models/classifier").json()
        assert meta["name"] == "classifier" and meta["versions"] == [seed_model.name]
        assert meta["inputs"] == [{"name": "text", "datatype": "BYTES", "shape": [-1]}]
        assert client.get(f"/v2/models/{seed_model.name}").status_code == 200
        assert client.get("/v2/models/classifier/ready").json()["ready"] is True
        # The spec's request: id, inputs with name, shape, datatype, (parameters), data; outputs may be asked for.
        request = {
            "id": "42",
            "inputs": [
                {"name": "text", "shape": [2], "datatype": "BYTES", "parameters": {}, "data": [ARTICLE, second]}
            ],
            "outputs": [{"name": "scores"}],
        }
        response = client.post("/v2/models/classifier/infer", json=request)
        nested = client.post(
            "/v2/models/classifier/infer",
            json={"inputs": [{"name": "text", "shape": [2, 1], "datatype": "BYTES", "data": [[ARTICLE], [second]]}]},
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_name"] == "classifier" and body["model_version"] == seed_model.name and body["id"] == "42"
    (scores,) = body["outputs"]
    topics = scores["parameters"]["topics"].split(",")
    assert scores["name"] == "scores" and scores["datatype"] == "FP32" and scores["shape"] == [2, len(topics)]
    assert len(scores["data"]) == 2 * len(topics) and all(0 <= s <= 1 for s in scores["data"])
    assert scores["data"][topics.index("energy")] > 0.9
    outputs = {o["name"]: o for o in nested.json()["outputs"]}
    assert outputs["topics"]["data"][0] == "energy" and outputs["topics"]["shape"] == [2]
    assert outputs["scores"]["data"] == scores["data"]


def test_metrics(shared_server: Server, seed_model: Path) -> None:
    with shared_server.client() as client:
        client.post("/v1/tag", json={"articles": [{"text": ARTICLE}]})
        client.post("/v1/tag", content=b"{", headers={"Content-Type": "application/json"})
        text = client.get("/metrics").text
    assert 'classifier_http_requests_total{method="POST",route="/v1/tag",status="200"}' in text
    assert 'classifier_http_errors_total{status="400"}' in text
    assert "classifier_http_request_duration_seconds_bucket" in text
    assert f'classifier_articles_tagged_total{{model_version="{seed_model.name}"}}' in text
    assert f'classifier_model_info{{model_version="{seed_model.name}"}} 1.0' in text


def test_openapi_docs_and_page_need_nothing_from_the_internet(shared_server: Server) -> None:
    with shared_server.client() as client:
        schema = client.get("/openapi.json").json()
        docs = client.get("/docs").text
        page = client.get("/")
        assets = [client.get(p) for p in ("/page/app.js", "/page/style.css")]
    assert "/v1/tag" in schema["paths"] and "/v2/models/{name}/infer" in schema["paths"]
    assert "text/plain" in schema["paths"]["/v1/tag"]["post"]["requestBody"]["content"]
    assert "新型储能" in json.dumps(schema, ensure_ascii=False)
    assert "/static-offline-docs/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert page.status_code == 200 and "新闻主题标注" in page.text
    assert all(a.status_code == 200 for a in assets)
    for text in (page.text, *(a.text for a in assets)):
        assert "http://" not in text and "https://" not in text


def test_request_id_is_echoed_and_logged(shared_server: Server, seed_model: Path) -> None:
    with shared_server.client() as client:
        response = client.post("/v1/tag", json={"articles": [{"text": ARTICLE}]}, headers={"X-Request-ID": "req-123"})
        generated = client.get("/healthz").headers["x-request-id"]
    assert response.headers["x-request-id"] == "req-123" and len(generated) == 32
    (line,) = [entry for entry in shared_server.log() if entry["request_id"] == "req-123"]
    assert line["status"] == 200 and line["path"] == "/v1/tag" and line["latency_ms"] > 0
    assert line["model_version"] == seed_model.name


def _chunks(size: int):
    for _ in range(size // 4096):
        yield b" " * 4096


BAD_REQUESTS = [
    ("malformed JSON", "/v1/tag", {"content": b'{"articles": [', "headers": {"Content-Type": "application/json"}}, 400),
    ("not UTF-8", "/v1/tag", {"content": '{"articles": [{"text": "能源"}]}'.encode("gbk")}, 400),
    ("wrong type", "/v1/tag", {"json": {"articles": [{"text": 1}]}}, 422),
    ("articles not a list", "/v1/tag", {"json": {"articles": "能源"}}, 422),
    ("no articles", "/v1/tag", {"json": {"articles": []}}, 422),
    ("empty text", "/v1/tag", {"json": {"articles": [{"text": "  \n "}]}}, 422),
    ("empty title and text", "/v1/tag", {"json": {"articles": [{"title": " ", "text": ""}]}}, 422),
    ("NUL in text", "/v1/tag", {"json": {"articles": [{"text": "能源\u0000\u0001"}]}}, 422),
    ("unknown field", "/v1/tag", {"json": {"articles": [{"text": "能源"}], "topk": 2}}, 422),
    ("top zero", "/v1/tag", {"json": {"articles": [{"text": "能源"}], "top": 0}}, 422),
    ("empty body", "/v1/tag", {"content": b"", "headers": {"Content-Type": "application/json"}}, 422),
    (
        "binary plain text",
        "/v1/tag",
        {"content": b"\x00\x01\x02PK\x03\x04", "headers": {"Content-Type": "text/plain"}},
        400,
    ),
    ("empty plain text", "/v1/tag", {"content": b" \n\n ", "headers": {"Content-Type": "text/plain"}}, 422),
    (
        "invalid encoding",
        "/v1/tag",
        {"content": b"\xff\xfe\xfa\x80" * 3 + b"\x81", "headers": {"Content-Type": "text/plain"}},
        400,
    ),
    ("too many articles", "/v1/tag", {"json": {"articles": [{"text": "能源"}] * 6}}, 413),
    ("body too large", "/v1/tag", {"json": {"articles": [{"text": "能" * 70_000}]}}, 413),
    (
        "chunked body too large",
        "/v1/tag",
        {"content": _chunks(128 * 1024), "headers": {"Content-Type": "text/plain"}},
        413,
    ),
    (
        "unknown model",
        "/v2/models/nope/infer",
        {"json": {"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["能源"]}]}},
        404,
    ),
    (
        "v2 not BYTES",
        "/v2/models/classifier/infer",
        {"json": {"inputs": [{"name": "text", "shape": [1], "datatype": "FP32", "data": [1.0]}]}},
        400,
    ),
    (
        "v2 shape",
        "/v2/models/classifier/infer",
        {"json": {"inputs": [{"name": "text", "shape": [3], "datatype": "BYTES", "data": ["能源"]}]}},
        400,
    ),
    (
        "v2 not strings",
        "/v2/models/classifier/infer",
        {"json": {"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": [7]}]}},
        400,
    ),
    (
        "v2 empty text",
        "/v2/models/classifier/infer",
        {"json": {"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": [""]}]}},
        422,
    ),
    (
        "v2 unknown output",
        "/v2/models/classifier/infer",
        {
            "json": {
                "inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["能源"]}],
                "outputs": [{"name": "x"}],
            }
        },
        400,
    ),
    (
        "v2 too many",
        "/v2/models/classifier/infer",
        {"json": {"inputs": [{"name": "text", "shape": [6], "datatype": "BYTES", "data": ["能源"] * 6}]}},
        413,
    ),
]


@pytest.mark.parametrize(("path", "kwargs", "status"), [b[1:] for b in BAD_REQUESTS], ids=[b[0] for b in BAD_REQUESTS])
def test_bad_requests_get_one_line_and_a_4xx(shared_server: Server, path: str, kwargs: dict, status: int) -> None:
    with shared_server.client() as client:
        response = client.post(path, **kwargs)
        assert client.get("/healthz").status_code == 200  # and the server is still up
    one_line_error(response, status)


def test_unknown_paths_and_methods(shared_server: Server) -> None:
    with shared_server.client() as client:
        assert "no such endpoint" in one_line_error(client.get("/v1/nothing"), 404)
        assert "not allowed" in one_line_error(client.get("/v1/tag"), 405)
        assert "unknown model" in one_line_error(client.get("/v2/models/nope"), 404)


def test_declared_length_over_the_limit_is_refused_before_the_body(shared_server: Server) -> None:
    """A Content-Length over --max-body is answered at once, without waiting for the body."""
    import socket

    host, port = shared_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/tag HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n"
        )
        reply = b""
        while b'"}' not in reply and (chunk := sock.recv(4096)):
            reply += chunk
    reply = reply.decode("utf-8", "replace")
    assert reply.startswith("HTTP/1.1 413") and '{"error":' in reply
