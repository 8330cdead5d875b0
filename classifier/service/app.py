"""The FastAPI application: the tagging API, the Open Inference Protocol v2 subset, metrics and the editors' page.

Every error answers ``{"error": "one line"}``. Tagging runs in the thread pool (plain ``def``
endpoints), never on the event loop. :class:`ServiceMiddleware` wraps every request: request id,
token check, body size limit (before the body is read whole), ``text/plain`` bodies, access log and
metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import logging
import math
import os
import re
import secrets
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from classifier.article import Article
from classifier.errors import ClassifierError
from classifier.service import metrics
from classifier.service.batcher import Batcher
from classifier.service.holder import ModelHolder
from classifier.service.schemas import (
    EXAMPLE_TEXT,
    EXAMPLE_TITLE,
    ErrorBody,
    InferOutput,
    InferRequest,
    InferResponse,
    ModelMetadata,
    ModelRef,
    ModelsResponse,
    ReloadResponse,
    TagRequest,
    TagResponse,
    TensorMeta,
    TopicOut,
    TopicsResponse,
)

PAGE_DIR = Path(__file__).with_name("page")
#: The environment variable that carries :class:`Settings` to uvicorn's worker processes (as JSON).
SETTINGS_ENV = "CLASSIFIER_SERVE_SETTINGS"
#: The name the v2 protocol knows this model by, whatever version serves (the version name works too).
V2_MODEL_NAME = "classifier"
ModelName = Annotated[str, PathParam(description="'classifier' or the serving version", examples=["classifier"])]
#: Paths anyone may call when a token is required: probes, metrics, the page and the API's description.
OPEN_PATHS = ("/", "/healthz", "/readyz", "/metrics", "/v2/health/live", "/v2/health/ready", "/docs", "/openapi.json")
OPEN_PREFIXES = ("/page/", "/static-offline-docs/", "/docs/")
#: Set by a SIGHUP that arrives while a worker starts (see :func:`app_from_env`).
_EARLY_SIGHUP = threading.Event()
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
#: Request ids made here: a random prefix per process (unique across workers and replicas) and a counter,
#: cheaper than a uuid4 (which took 3.5% of a single-article request).
_ID_PREFIX = secrets.token_hex(8)
_ID_COUNTER = itertools.count(1)


def _next_request_id() -> str:
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


access_log = logging.getLogger("classifier.access")
_log = logging.getLogger("classifier.service")


@dataclass
class Settings:
    """How a server process runs (the options of ``classifier serve`` that concern the app)."""

    model: str | None = None
    token: str | None = None
    max_body: int = 10 * 2**20
    max_articles: int = 1000
    #: Seconds between looks at the store's default pointer (0: do not follow it).
    poll: float = 1.0
    access_log: bool = True

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> Settings:
        return cls(**json.loads(os.environ.get(SETTINGS_ENV, "{}")))


def stable_id(title: str, text: str) -> str:
    """An id for an article sent without one: the same article always gets the same id."""
    return "a-" + hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()[:16]


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _setup_access_log(enabled: bool) -> None:
    """JSON lines on stderr, one per request (uvicorn's own access log is off)."""
    if access_log.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access_log.addHandler(handler)
    access_log.setLevel(logging.INFO if enabled else logging.WARNING)
    access_log.propagate = False
    service = logging.getLogger("classifier.service")
    if not service.handlers:
        service_handler = logging.StreamHandler(sys.stderr)
        service_handler.setFormatter(logging.Formatter("classifier: %(message)s"))
        service.addHandler(service_handler)
        service.setLevel(logging.INFO)
        service.propagate = False


# --- the middleware ---------------------------------------------------------------------------------


class _Reject(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.response = _error(status, message, headers)


class ServiceMiddleware:
    """Request id, token, body limit and ``text/plain`` bodies, then the access log line and the metrics."""

    def __init__(self, app: Any, settings: Settings, holder: ModelHolder) -> None:
        self.app = app
        self.settings = settings
        self.holder = holder
        self.token = settings.token.encode() if settings.token else None

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict]], send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else _next_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        status = [500]

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            try:
                self._check_token(scope["path"], headers)
                receive = await self._read_body(scope, receive, headers)
            except _Reject as reject:
                await reject.response(scope, receive, send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        finally:
            self._account(scope, status[0], time.perf_counter() - started, request_id)

    def _check_token(self, path: str, headers: dict[str, str]) -> None:
        if self.token is None or path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            return
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            raise _Reject(
                401, "a token is required: send 'Authorization: Bearer <token>'", {"WWW-Authenticate": "Bearer"}
            )
        # Headers are bytes decoded as latin-1: encoding back gives the bytes sent (a UTF-8 token compares as UTF-8).
        if not secrets.compare_digest(given.strip().encode("latin-1"), self.token):
            raise _Reject(401, "wrong token", {"WWW-Authenticate": "Bearer"})

    async def _read_body(
        self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict]], headers: dict[str, str]
    ) -> Callable[[], Awaitable[dict]]:
        """Read the body up to the limit (refused by its declared length before a byte is read), and replay it."""
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            return receive
        limit = self.settings.max_body
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                raise _Reject(400, f"Content-Length {declared[:20]!r} is not a number")
            if int(declared) > limit:
                raise _Reject(413, f"body of {int(declared)} bytes is over the {limit}-byte limit (--max-body)")
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _Reject(413, f"body is over the {limit}-byte limit (--max-body)")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if scope["path"] == "/v1/tag" and content_type == "text/plain":
            body = self._plain_to_json(body)
            scope["headers"] = [
                (k, v) for k, v in scope["headers"] if k.lower() not in (b"content-type", b"content-length")
            ]
            scope["headers"] += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        else:
            if content_type != "application/json":
                # curl -d sends form encoding; every body here is JSON, so read it as JSON whatever it is labelled.
                scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-type"]
                scope["headers"].append((b"content-type", b"application/json"))
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as error:
                raise _Reject(400, f"body is not valid UTF-8 (byte {error.start}); send JSON in UTF-8") from None
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    @staticmethod
    def _plain_to_json(body: bytes) -> bytes:
        """One article as plain text (UTF-8, GBK/GB18030 or UTF-16 with BOM; a short first line is the title)."""
        from classifier.reading.reader import article_from_text, decode_bytes

        try:
            article = article_from_text(decode_bytes(body, "body"), "", "body")
        except ClassifierError as error:
            raise _Reject(422 if "empty" in str(error) else 400, str(error)) from None
        return json.dumps({"articles": [{"title": article.title, "text": article.text}]}, ensure_ascii=False).encode()

    def _account(self, scope: dict[str, Any], status: int, seconds: float, request_id: str) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or ("(page)" if scope["path"].startswith("/page/") else "(other)")
        metrics.REQUESTS.labels(scope["method"], template, str(status)).inc()
        metrics.LATENCY.labels(template).observe(seconds)
        if status >= 400:
            metrics.ERRORS.labels(str(status)).inc()
        state = scope.get("state", {})
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                json.dumps(
                    {
                        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z",
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "latency_ms": round(seconds * 1000, 2),
                        "model_version": state.get("model_version") or self.holder.version(),
                        "client": (scope.get("client") or ["", 0])[0],
                        "pid": os.getpid(),
                    },
                    ensure_ascii=False,
                )
            )


# --- the app ----------------------------------------------------------------------------------------


def _validation_message(error: RequestValidationError) -> tuple[int, str]:
    errors = error.errors()
    if not errors:
        return 422, "invalid request"
    first = errors[0]
    if first.get("type") == "json_invalid":
        return 400, f"body is not valid JSON ({first.get('ctx', {}).get('error', 'malformed')})"
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return 422, f"{where or 'body'}: {message}{more}"


def create_app(settings: Settings | None = None, holder: ModelHolder | None = None) -> FastAPI:
    """The application for one server process; it loads its model at start-up (see :class:`ModelHolder`)."""
    from fastapi_offline import FastAPIOffline

    settings = settings or Settings()
    holder = holder or ModelHolder(settings.model)
    batcher = Batcher()
    _setup_access_log(settings.access_log)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not holder.loaded:
            event = await run_in_threadpool(holder.load, "start")
            if not event.ok:
                raise RuntimeError(f"cannot serve: {event.error}")
        metrics.set_model_version(None, holder.version())
        tasks = []
        if settings.poll > 0 and settings.model is None:
            tasks.append(asyncio.create_task(_follow_default()))
        loop = asyncio.get_running_loop()
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):  # not the main thread (tests)
            loop.add_signal_handler(signal.SIGHUP, lambda: tasks.append(asyncio.create_task(reload("SIGHUP"))))
        if _EARLY_SIGHUP.is_set():  # it came while this worker was loading: the load may predate it
            _EARLY_SIGHUP.clear()
            tasks.append(asyncio.create_task(reload("SIGHUP")))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
                loop.remove_signal_handler(signal.SIGHUP)

    async def reload(trigger: str) -> ReloadResponse:
        old = holder.version()
        event = await run_in_threadpool(holder.load, trigger)
        metrics.RELOADS.labels("ok" if event.ok else "refused").inc()
        metrics.set_model_version(old, holder.version())
        return ReloadResponse(ok=event.ok, serving=holder.version(), error=event.error)

    async def _follow_default() -> None:
        while True:
            await asyncio.sleep(settings.poll)
            try:
                if holder.default_changed():
                    await reload("store default changed")
            except Exception:  # the watcher must outlive any one failure; the holder logged it
                _log.exception("watching the model store")

    app = FastAPIOffline(
        title="classifier: topic tagging for Chinese news",
        version=_package_version(),
        description=(
            "Tags Chinese news articles with topics and a score per topic. The records are exactly those of "
            '`classifier tag --format jsonl`. Errors are `{"error": "one line"}`. With `--token-file`, '
            "send `Authorization: Bearer <token>` (health, readiness and metrics stay open)."
        ),
        lifespan=lifespan,
        responses={
            400: {"model": ErrorBody, "description": "Malformed body"},
            401: {"model": ErrorBody, "description": "Missing or wrong token"},
            413: {"model": ErrorBody, "description": "Body or article count over the limit"},
            422: {"model": ErrorBody, "description": "Wrong types or empty text"},
        },
    )
    app.state.holder = holder
    app.state.settings = settings
    app.add_middleware(ServiceMiddleware, settings=settings, holder=holder)
    app.mount("/page", StaticFiles(directory=PAGE_DIR), name="page")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        return _error(*_validation_message(error))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        message = str(error.detail)
        if error.status_code == 404 and message == "Not Found":
            message = f"no such endpoint: {request.url.path}"
        elif error.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        return _error(error.status_code, message, getattr(error, "headers", None))

    @app.exception_handler(ClassifierError)
    async def _classifier_error(request: Request, error: ClassifierError) -> JSONResponse:
        return _error(400, str(error))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        # The last resort: a bug, logged with its traceback; the client gets one line, never a stack.
        rid = request.scope.get("state", {}).get("request_id", "")
        _log.exception("unexpected error (request %s)", rid)
        return _error(500, f"internal error (request id {rid})")

    def serving(request: Request):  # noqa: ANN202 - the Serving of this request
        try:
            current = holder.serving
        except ClassifierError as error:
            raise HTTPException(503, str(error)) from None
        request.scope.setdefault("state", {})["model_version"] = current.version
        return current

    # --- /v1 ---

    @app.post(
        "/v1/tag",
        response_model=TagResponse,
        summary="Tag articles",
        openapi_extra={
            "requestBody": {
                "content": {
                    "text/plain": {
                        "schema": {"type": "string"},
                        "example": EXAMPLE_TITLE + "\n" + EXAMPLE_TEXT,
                    }
                }
            }
        },
    )
    async def tag(body: TagRequest, request: Request) -> TagResponse:
        """Tag articles: the `tag --format jsonl` records in input order. `text/plain`: one article (a short first line is the title)."""
        if len(body.articles) > settings.max_articles:
            raise HTTPException(
                413, f"{len(body.articles)} articles: at most {settings.max_articles} per request (--max-articles)"
            )
        current = serving(request)
        articles = [Article(id=a.id or stable_id(a.title, a.text), title=a.title, text=a.text) for a in body.articles]
        records = await batcher.tag(current, articles, body.top, body.explain)
        metrics.ARTICLES.labels(current.version).inc(len(records))
        return TagResponse(model=ModelRef(version=current.version, topics=current.topics), results=records)

    @app.get("/v1/topics", response_model=TopicsResponse, summary="The topics of the serving model")
    def topics(request: Request) -> TopicsResponse:
        """The serving model's topics, with their Chinese names and descriptions from the taxonomy."""
        from classifier.taxonomy import load_taxonomy

        current = serving(request)
        try:
            known = {t.id: t for t in load_taxonomy().topics}
        except ClassifierError:
            known = {}
        out = []
        for topic in current.topics:
            entry = known.get(topic)
            out.append(
                TopicOut(
                    id=topic, name_zh=entry.name_zh if entry else "", description=entry.description if entry else ""
                )
            )
        return TopicsResponse(topics=out)

    @app.get("/v1/models", response_model=ModelsResponse, summary="Model versions and the one serving")
    def models(request: Request) -> ModelsResponse:
        """The store's versions, the serving one with its meta (counts, out-of-fold metrics, checksum) and the latest load."""
        from classifier.model.store import default_version, list_models

        current = serving(request)
        keep = ("version", "created", "n_articles", "topics", "cv_metrics", "data_fingerprint", "is_default")
        versions = [{k: m.get(k) for k in keep} for m in list_models()]
        meta = {
            k: current.model.meta.get(k)
            for k in ("version", "created", "n_articles", "counts", "cv_metrics", "data_fingerprint", "recipe")
        }
        meta["topics"] = current.topics
        meta["checksum"] = "sha256:" + current.checksum if current.checksum else None
        meta["path"] = str(current.model.path) if current.model.path else None
        return ModelsResponse(
            serving=current.version,
            default=default_version(),
            pinned=settings.model,
            meta=meta,
            last_reload=holder.last.as_dict() if holder.last else None,
            versions=versions,
        )

    @app.post("/v1/models/reload", response_model=ReloadResponse, summary="Load the model again and swap it in")
    async def reload_model() -> ReloadResponse:
        """Load the store's default (or the pinned --model) beside the serving one and swap; a failure keeps the old one (`ok: false`)."""
        return await reload("POST /v1/models/reload")

    # --- probes and metrics ---

    @app.get("/healthz", summary="Alive (Kubernetes liveness)")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get(
        "/readyz", summary="Model loaded and answering (Kubernetes readiness)", responses={503: {"model": ErrorBody}}
    )
    def readyz() -> Any:
        if not holder.ready():
            return _error(503, "no model answering yet")
        return {"status": "ready", "model": holder.version()}

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response)
    def prometheus() -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    # --- Open Inference Protocol v2 ---

    def v2_model(name: str, request: Request):  # noqa: ANN202
        current = serving(request)
        if name not in (V2_MODEL_NAME, current.version):
            raise HTTPException(404, f"unknown model {name!r}; this server has {V2_MODEL_NAME!r} ({current.version})")
        return current

    @app.get("/v2", summary="v2 server metadata")
    def v2_server() -> dict[str, Any]:
        return {"name": "classifier", "version": _package_version(), "extensions": []}

    @app.get("/v2/health/live", summary="v2 liveness")
    async def v2_live() -> dict[str, bool]:
        return {"live": True}

    @app.get("/v2/health/ready", summary="v2 readiness", responses={503: {"model": ErrorBody}})
    def v2_ready() -> Any:
        return {"ready": True} if holder.ready() else _error(503, "no model answering yet")

    @app.get(
        "/v2/models/{name}",
        response_model=ModelMetadata,
        summary="v2 model metadata",
        responses={404: {"model": ErrorBody}},
    )
    def v2_metadata(name: ModelName, request: Request) -> ModelMetadata:
        current = v2_model(name, request)
        return ModelMetadata(
            name=V2_MODEL_NAME,
            versions=[current.version],
            platform="classifier",
            inputs=[TensorMeta(name="text", datatype="BYTES", shape=[-1])],
            outputs=[
                TensorMeta(name="scores", datatype="FP32", shape=[-1, len(current.topics)]),
                TensorMeta(name="topics", datatype="BYTES", shape=[-1]),
            ],
        )

    @app.get("/v2/models/{name}/ready", summary="v2 model readiness", responses={404: {"model": ErrorBody}})
    def v2_model_ready(name: ModelName, request: Request) -> dict[str, Any]:
        v2_model(name, request)
        return {"name": V2_MODEL_NAME, "ready": holder.ready()}

    @app.post(
        "/v2/models/{name}/infer",
        response_model=InferResponse,
        response_model_exclude_none=True,
        summary="v2 inference: BYTES texts in, FP32 scores [N, topics] out",
        responses={404: {"model": ErrorBody}},
    )
    async def v2_infer(name: ModelName, body: InferRequest, request: Request) -> InferResponse:
        """Input `text` (BYTES, shape [N]: the article texts, a short first line is the title); outputs `scores`
        (FP32, [N, topics], the order of the `topics` parameter) and `topics` (BYTES, [N], the assigned topics, comma-separated)."""
        current = v2_model(name, request)
        texts = _v2_texts(body)
        if len(texts) > settings.max_articles:
            raise HTTPException(
                413, f"{len(texts)} texts: at most {settings.max_articles} per request (--max-articles)"
            )
        articles = [_v2_article(text, n) for n, text in enumerate(texts)]
        wanted = [o.name for o in body.outputs] if body.outputs else ["scores", "topics"]
        unknown = [w for w in wanted if w not in ("scores", "topics")]
        if unknown:
            raise HTTPException(400, f"unknown output {unknown[0]!r}; this model has 'scores' and 'topics'")
        records = await batcher.tag(current, articles)
        metrics.ARTICLES.labels(current.version).inc(len(records))
        outputs = []
        for output in wanted:
            if output == "scores":
                flat = [float(r["scores"][t]) for r in records for t in current.topics]
                outputs.append(
                    InferOutput(
                        name="scores",
                        shape=[len(records), len(current.topics)],
                        datatype="FP32",
                        parameters={"topics": ",".join(current.topics)},
                        data=flat,
                    )
                )
            else:
                outputs.append(
                    InferOutput(
                        name="topics",
                        shape=[len(records)],
                        datatype="BYTES",
                        data=[",".join(r["topics"]) for r in records],
                    )
                )
        return InferResponse(model_name=V2_MODEL_NAME, model_version=current.version, id=body.id, outputs=outputs)

    # --- the page ---

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(PAGE_DIR / "index.html", media_type="text/html; charset=utf-8")

    return app


def _v2_texts(body: InferRequest) -> list[str]:
    """The texts of a v2 request's ``text`` input (its only input may have another name), checked against its shape."""
    named = [t for t in body.inputs if t.name == "text"]
    if not named and len(body.inputs) == 1:
        named = body.inputs
    if not named:
        raise HTTPException(400, "no input named 'text' (BYTES, shape [N]: the article texts)")
    tensor = named[0]
    if tensor.datatype.upper() != "BYTES":
        raise HTTPException(
            400, f"input {tensor.name!r} has datatype {tensor.datatype!r}; send BYTES (the article texts)"
        )
    flat: list[Any] = []
    stack = list(reversed(tensor.data))
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        else:
            flat.append(item)
    if any(d < 0 for d in tensor.shape) or math.prod(tensor.shape) != len(flat):
        raise HTTPException(
            400, f"input {tensor.name!r}: shape {tensor.shape} does not hold the {len(flat)} items of data"
        )
    if not flat:
        raise HTTPException(422, f"input {tensor.name!r} holds no texts")
    bad = next((n for n, item in enumerate(flat) if not isinstance(item, str)), None)
    if bad is not None:
        raise HTTPException(400, f"input {tensor.name!r}: data[{bad}] is not a string")
    return flat


def _v2_article(text: str, n: int) -> Article:
    from classifier.reading.reader import article_from_text, normalise_text

    if "\x00" in text:
        raise HTTPException(400, f"data[{n}] holds a NUL character: binary data, not text")
    try:
        article = article_from_text(normalise_text(text), "", f"data[{n}]")
    except ClassifierError as error:
        raise HTTPException(422, str(error)) from None
    article.id = stable_id(article.title, article.text)
    return article


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("classifier")
    except PackageNotFoundError:
        return "0"


def app_from_env() -> FastAPI:
    """The factory uvicorn's worker processes call: the settings come from :data:`SETTINGS_ENV`."""
    # A SIGHUP that reaches a worker before its lifespan installs the reload handler must not
    # kill it (the default action), nor be lost: it is noted, and the worker reloads once it is up.
    signal.signal(signal.SIGHUP, lambda signum, frame: _EARLY_SIGHUP.set())
    return create_app(Settings.from_env())
