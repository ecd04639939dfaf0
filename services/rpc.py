"""RPC with deadlines, and a fast ServiceUnavailable when the callee is not running.

A stopped service leaves its durable RPC queue behind, so nameko would queue
the call and wait forever; checking that the queue has a consumer first turns
that into an immediate, clear error.
"""

from __future__ import annotations

import time
from typing import Any

import eventlet
from eventlet.semaphore import Semaphore
from kombu import Connection
from nameko.extensions import SharedExtension
from nameko.rpc import RpcProxy

from services.errors import DomainError, ServiceTimeout, ServiceUnavailable
from services.messaging import ReplicatedReplyListener, ReplicatedRpc

AVAILABILITY_TTL_SECONDS = 1.0


class ConsumerCounter:
    """How many instances consume each service's RPC queue, cached briefly."""

    def __init__(self, amqp_uri: str) -> None:
        self.amqp_uri = amqp_uri
        self._lock = Semaphore()
        self._connection: Connection | None = None
        self._cache: dict[str, tuple[float, int]] = {}

    def count(self, service_name: str) -> int:
        cached = self._cache.get(service_name)
        now = time.monotonic()
        if cached and now - cached[0] < AVAILABILITY_TTL_SECONDS:
            return cached[1]
        with self._lock:
            consumers = self._query(f"rpc-{service_name}")
        self._cache[service_name] = (now, consumers)
        return consumers

    def _query(self, queue: str) -> int:
        for _ in range(2):
            try:
                if self._connection is None:
                    self._connection = Connection(self.amqp_uri, connect_timeout=2)
                channel = self._connection.default_channel
                return channel.queue_declare(queue=queue, passive=True).consumer_count
            except Exception as exc:  # noqa: BLE001
                if "NOT_FOUND" in str(exc) or getattr(exc, "code", None) == 404:
                    self.close()
                    return 0
                self.close()
        raise ServiceUnavailable("the message broker does not answer")

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            finally:
                self._connection = None


class TimedServiceProxy:
    def __init__(self, proxy: Any, service_name: str, timeout: float, counter: ConsumerCounter):
        self._proxy = proxy
        self._service_name = service_name
        self._timeout = timeout
        self._counter = counter

    def __getattr__(self, method: str):
        def call(*args: Any, **kwargs: Any) -> Any:
            if self._counter.count(self._service_name) == 0:
                raise ServiceUnavailable(f"service {self._service_name} is not running")
            reply = getattr(self._proxy, method).call_async(*args, **kwargs)
            try:
                with eventlet.Timeout(self._timeout):
                    return reply.result()
            except eventlet.Timeout:
                raise ServiceTimeout(
                    f"service {self._service_name} did not answer {method} within {self._timeout:g} s"
                ) from None

        return call


class SharedConsumerCounter(SharedExtension):
    """One ConsumerCounter (and broker connection) for every RPC proxy of a container."""

    def setup(self) -> None:
        self.counter = ConsumerCounter(self.container.config["AMQP_URI"])

    def stop(self) -> None:
        self.counter.close()

    kill = stop


class TimedRpcProxy(RpcProxy):
    """An RpcProxy whose calls fail fast (503) or time out (504) instead of hanging."""

    consumers = SharedConsumerCounter()
    rpc_reply_listener = ReplicatedReplyListener()

    def setup(self) -> None:
        super().setup()
        self.timeout = float(self.container.config.get("RPC_TIMEOUT_SECONDS", 10))

    def get_dependency(self, worker_ctx) -> TimedServiceProxy:
        proxy = super().get_dependency(worker_ctx)
        return TimedServiceProxy(proxy, self.target_service, self.timeout, self.consumers.counter)


def rpc(method):
    """nameko's ``@rpc``, with domain errors expected: a client's mistake is logged as a warning.

    Its queue is a quorum queue when ``EVENT_QUEUE_TYPE`` is ``quorum`` (see services.messaging).
    """
    return ReplicatedRpc.decorator(expected_exceptions=DomainError)(method)
