"""`classifier serve`: the HTTP tagging service and the editors' page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from classifier.cli._util import ModelOpt


def serve(
    model: ModelOpt = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on; loopback by default.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, help="Worker processes, each holding the model.")
    ] = 1,
    token_file: Annotated[
        Path | None,
        typer.Option(
            "--token-file",
            help="Require 'Authorization: Bearer <first line of this file>' (not for health, metrics, the page).",
        ),
    ] = None,
    max_body: Annotated[
        str, typer.Option("--max-body", help="Largest request body (e.g. 10MiB); larger: 413.")
    ] = "10MiB",
    max_articles: Annotated[
        int, typer.Option("--max-articles", min=1, help="Most articles in one request; more: 413.")
    ] = 1000,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="A JSON line on stderr per request.")
    ] = True,
) -> None:
    """Serve the tagger over HTTP (API at /v1, /v2, /docs; the editors' page at /) until SIGTERM or Ctrl-C.

    Without --model it serves the store's default and switches, without downtime, when the default
    changes (`classifier models use`), on SIGHUP or on POST /v1/models/reload.
    """
    from classifier.service.server import serve as run

    run(model, host, port, workers, token_file, max_body, max_articles, access_log)
