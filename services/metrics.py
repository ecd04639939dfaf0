"""Prometheus metrics of one service process, served on its own port.

``Metrics()`` is declared on every service class: it times every worker
(RPC, HTTP, event handler) and serves ``/metrics`` on ``METRICS_PORT``
(nothing is served when it is unset). The kernel's outbox relay and event
handlers count what they publish, consume, retry and dead-letter.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.web.handlers import HttpRequestHandler
from prometheus_client import Counter, Gauge, Histogram, start_http_server

WORKER_SECONDS = Histogram(
    "alliance_worker_duration_seconds",
    "Time spent in each entrypoint's workers",
    ["service", "kind", "entrypoint", "outcome"],
)
HTTP_SECONDS = Histogram(
    "alliance_http_request_duration_seconds",
    "Gateway requests by route template and method",
    ["method", "route", "status"],
)
EVENTS_PUBLISHED = Counter(
    "alliance_events_published_total",
    "Events the outbox relay published (broker-confirmed)",
    ["producer", "event_type"],
)
EVENTS_CONSUMED = Counter(
    "alliance_events_consumed_total",
    "Events handled successfully",
    ["service", "source", "event_type"],
)
EVENTS_RETRIED = Counter(
    "alliance_events_retried_total",
    "Failed events sent to a retry wait queue",
    ["service", "source", "event_type"],
)
EVENTS_DEAD_LETTERED = Counter(
    "alliance_events_dead_lettered_total",
    "Events parked in the dead-letter queue",
    ["service", "source", "event_type"],
)
DATABASE_COMMANDS = Counter(
    "alliance_database_commands_total",
    "Commands (round trips) the process sent to its database server",
    ["database", "command"],
)
OUTBOX_PENDING = Gauge("alliance_outbox_pending", "Outbox records not yet published", ["service"])
WORKERS_IN_USE = Gauge("alliance_workers_in_use", "Workers running now", ["service"])
WORKERS_MAX = Gauge("alliance_workers_max", "Size of the worker pool", ["service"])

log = logging.getLogger(__name__)
_servers: dict[int, Any] = {}


def entrypoint_kind(entrypoint: Any) -> str:
    if isinstance(entrypoint, HttpRequestHandler):
        return "http"
    if isinstance(entrypoint, EventHandler):
        return "event"
    if isinstance(entrypoint, Rpc):
        return "rpc"
    return type(entrypoint).__name__.lower()


def serve_metrics(port: int, address: str = "127.0.0.1") -> None:
    """Serve the process's metrics once per port (several containers may share a process in tests)."""
    if port and port not in _servers:
        try:
            _servers[port] = start_http_server(port, addr=address)
        except OSError as exc:  # a busy port costs the metrics, not the service
            log.error("cannot serve metrics on %s:%s: %s", address, port, exc)


class Metrics(DependencyProvider):
    """Times every worker of the service and exposes the process's metrics."""

    def setup(self) -> None:
        config = self.container.config
        service = self.container.service_name
        WORKERS_MAX.labels(service).set(int(config.get("max_workers") or 10))
        WORKERS_IN_USE.labels(service).set_function(self._workers_in_use)
        self._started: dict[Any, float] = {}
        port = config.get("METRICS_PORT")
        if port:
            serve_metrics(int(port), str(config.get("METRICS_ADDRESS") or "127.0.0.1"))

    def _workers_in_use(self) -> float:
        """The gauge's reading: NaN once the container is gone (it is held by a weak reference), so a
        scrape of every other metric still succeeds in a process that ran several containers."""
        try:
            return float(len(self.container._worker_threads))
        except ReferenceError:
            return math.nan

    def worker_setup(self, worker_ctx) -> None:
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        started = self._started.pop(worker_ctx, None)
        if started is None:
            return
        elapsed = time.perf_counter() - started
        entrypoint = worker_ctx.entrypoint
        kind = entrypoint_kind(entrypoint)
        outcome = "error" if exc_info is not None else "ok"
        WORKER_SECONDS.labels(self.container.service_name, kind, entrypoint.method_name, outcome).observe(elapsed)
        if kind == "http":
            status = getattr(result, "status_code", 500 if exc_info else 200)
            HTTP_SECONDS.labels(entrypoint.method, entrypoint.url, str(status)).observe(elapsed)

    def get_dependency(self, worker_ctx) -> None:
        return None
