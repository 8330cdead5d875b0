"""Prometheus metrics of the service: requests, errors by status, latency, articles tagged, model version.

With several worker processes, each keeps its figures in files under ``$PROMETHEUS_MULTIPROC_DIR``
(set by :mod:`classifier.service.server`) and ``/metrics`` sums them, so any worker answers for all.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter("classifier_http_requests_total", "HTTP requests answered.", ["method", "route", "status"])
ERRORS = Counter("classifier_http_errors_total", "HTTP requests answered with a 4xx or 5xx status.", ["status"])
LATENCY = Histogram(
    "classifier_http_request_duration_seconds",
    "Time from request to response, seconds.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ARTICLES = Counter("classifier_articles_tagged_total", "Articles tagged.", ["model_version"])
MODEL = Gauge(
    "classifier_model_info",
    "1 for the model version a worker serves.",
    ["model_version"],
    multiprocess_mode="liveall",
)
RELOADS = Counter("classifier_model_reloads_total", "Model load attempts after start.", ["outcome"])


def set_model_version(old: str | None, new: str | None) -> None:
    if old and old != new:
        MODEL.remove(old) if not os.environ.get(MULTIPROC_ENV) else MODEL.labels(old).set(0)
    if new:
        MODEL.labels(new).set(1)


def render() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, summed over worker processes when there are several."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
