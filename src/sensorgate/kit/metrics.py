"""Prometheus metrics: request counts and latency by route template and status.

Metrics live at module level because prometheus-client refuses to register a name twice in a process.
With several granian workers, `serve` sets PROMETHEUS_MULTIPROC_DIR and /metrics sums every worker's files.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.multiprocess import MultiProcessCollector

REQUESTS = Counter("sensorgate_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "sensorgate_http_request_duration_seconds",
    "Time from receiving a request to sending its last byte",
    ["method", "route", "status"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
KEY_REFUSALS = Counter(
    "sensorgate_key_refusals_total",
    # Every reason of auth/refusals.py (tests/web/test_docs_and_metrics.py keeps the list whole).
    "Credentials refused, by reason (malformed, unknown, revoked, expired, address, scope, limit, signature, "
    "stale nonce, replayed, secret)",
    ["reason"],
)


# labels() takes a lock and builds a key on every call; the set of label values is small, so keep the children.
_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def observe(method: str, route: str, status: int, seconds: float) -> None:
    key = (method, route, status)
    children = _children.get(key)
    if children is None:
        code = str(status)
        children = _children[key] = (REQUESTS.labels(method, route, code), LATENCY.labels(method, route, code))
    children[0].inc()
    children[1].observe(seconds)


def key_refused(reason: str) -> None:
    KEY_REFUSALS.labels(reason).inc()


def pick_value_store() -> None:
    """Choose between in-memory and multiprocess values again, now that the environment is final.

    prometheus-client chooses when it is first imported, and the CLI imports it (through the app modules)
    before `serve` sets PROMETHEUS_MULTIPROC_DIR for its workers. Metric children are made on first use, in
    the worker, so choosing again before the first request is enough.
    """
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]


def render() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
