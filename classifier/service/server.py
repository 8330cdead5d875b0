"""Running the service: uvicorn with N worker processes, SIGTERM drains, SIGHUP reloads the model.

One process (``--workers 1``) serves in this process. With more, uvicorn's supervisor starts the
workers (each loads the model; tagging is CPU-bound) and this module's supervisor forwards SIGHUP
to them, so each worker reloads its model beside the old one instead of being restarted.
Prometheus figures of all workers are summed through a temporary ``$PROMETHEUS_MULTIPROC_DIR``.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import tempfile
from pathlib import Path
from typing import Any

from classifier.errors import ClassifierError
from classifier.service.app import SETTINGS_ENV, Settings

_log = logging.getLogger("classifier.service")
#: Seconds a SIGTERM waits for requests in flight before closing them.
DRAIN_SECONDS = 30


def parse_size(text: str) -> int:
    """``10MiB``, ``512KiB``, ``1GB``, ``2000`` (bytes) as a number of bytes."""
    units = {
        "": 1,
        "b": 1,
        "k": 1000,
        "kb": 1000,
        "kib": 1024,
        "m": 10**6,
        "mb": 10**6,
        "mib": 2**20,
        "g": 10**9,
        "gb": 10**9,
        "gib": 2**30,
    }
    raw = text.strip().lower().replace(" ", "")
    number = raw.rstrip("kmgib")
    unit = raw[len(number) :]
    try:
        value = float(number)
    except ValueError:
        raise ClassifierError(f"--max-body {text!r}: write a size such as 10MiB, 512KiB or 1000000") from None
    if unit not in units or value <= 0:
        raise ClassifierError(f"--max-body {text!r}: write a size such as 10MiB, 512KiB or 1000000")
    return int(value * units[unit])


def read_token(path: Path) -> str:
    """The token clients must send: the file's first line (refused when empty)."""
    try:
        token = Path(path).read_text(encoding="utf-8").strip().splitlines()
    except OSError as error:
        raise ClassifierError(f"{path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ClassifierError(f"{path}: not a UTF-8 text file") from None
    if not token or not token[0].strip():
        raise ClassifierError(f"{path}: empty token file")
    return token[0].strip()


def serve(
    model: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    token_file: Path | None = None,
    max_body: str = "10MiB",
    max_articles: int = 1000,
    access_log: bool = True,
) -> None:
    """Serve until SIGTERM or Ctrl-C, then drain and return (so the command exits 0).

    The model is loaded once here first, so that a model that cannot be served is one line of
    error before any port is opened.
    """
    import uvicorn

    from classifier.tagging.tagger import load_tagging_model

    if workers < 1:
        raise ClassifierError("--workers must be at least 1")
    if max_articles < 1:
        raise ClassifierError("--max-articles must be at least 1")
    settings = Settings(
        model=str(model) if model is not None else None,
        token=read_token(token_file) if token_file else None,
        max_body=parse_size(max_body),
        max_articles=max_articles,
        access_log=access_log,
    )
    load_tagging_model(settings.model)  # fail early, in one line
    os.environ[SETTINGS_ENV] = settings.to_env()
    metrics_dir = None
    if workers > 1:
        metrics_dir = tempfile.mkdtemp(prefix="classifier-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    config = uvicorn.Config(
        "classifier.service.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        timeout_graceful_shutdown=DRAIN_SECONDS,
        # Longer than a load balancer's idle timeout (60 s is common), so the server never closes a kept-alive
        # connection the balancer is about to reuse; and a worker busy tagging on a loaded machine is not
        # taken for hung (uvicorn kills a worker that misses a 5 s health check).
        timeout_keep_alive=75,
        timeout_worker_healthcheck=30,
        log_level="warning",
        server_header=False,
    )
    # uvicorn re-raises the SIGTERM/SIGINT it drained for, after restoring the handler it found: make that
    # handler a no-op, so a drained server returns here and the command exits 0.
    previous = {sig: signal.signal(sig, _drained) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if workers == 1:
            server = uvicorn.Server(config)
            server.run()
            if not server.started:
                raise ClassifierError(f"could not start the server on {host}:{port} (see the lines above)")
        else:
            try:
                sock = config.bind_socket()
            except SystemExit:
                raise ClassifierError(f"cannot listen on {host}:{port}") from None
            _Supervisor(config, sockets=[sock]).run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _drained(signum: int, frame: Any) -> None:
    """Handler uvicorn restores and re-raises after a graceful shutdown: nothing left to do."""


def _supervisor_class() -> type:
    from uvicorn.supervisors import Multiprocess

    class Supervisor(Multiprocess):
        """uvicorn's supervisor, but SIGHUP reloads the model in each worker instead of replacing the workers."""

        def handle_hup(self) -> None:
            for process in self.processes:
                if process.pid:
                    try:
                        os.kill(process.pid, signal.SIGHUP)
                    except ProcessLookupError:
                        continue

    return Supervisor


def _Supervisor(config: Any, sockets: list[socket.socket]) -> Any:  # noqa: N802 - reads as the class it makes
    return _supervisor_class()(config, sockets=sockets)
