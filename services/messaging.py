"""Consuming events reliably: parsed, retried with backoff, then dead-lettered.

nameko acks an event whose handler raised, which would silently drop it.
``event_handler`` here instead republishes a failed message to a wait queue
whose TTL grows with each attempt (1 s, 2 s, 4 s, ... by default); when the
TTL runs out RabbitMQ dead-letters it straight back to the handler's own
queue. After the last attempt, or at once for a message that is not a valid
event, it is parked in ``<service>.dead-letters`` with the error, where an
operator can list, replay or purge it (``alliance dlq``). The original is
acked only after its successor is safely published; if that publish fails,
the original is requeued instead.
"""

from __future__ import annotations

import logging
import traceback
from functools import partial
from typing import Any

from kombu import Connection, Exchange, Queue
from nameko.amqp.publish import Publisher
from nameko.events import SERVICE_POOL, EventHandler
from nameko.messaging import QueueConsumer
from nameko.rpc import ReplyListener, Rpc, RpcConsumer
from pymongo.errors import PyMongoError

from services.clock import rfc3339, utcnow
from services.contracts import ContractViolation, parse_event
from services.identity import mask_national_ids
from services.metrics import EVENTS_CONSUMED, EVENTS_DEAD_LETTERED, EVENTS_RETRIED

log = logging.getLogger(__name__)

# Headers exchanges ignore binding arguments that start with "x-", so ours must not.
ATTEMPT_HEADER = "alliance-attempt"
ERROR_HEADER = "alliance-error"
ORIGINAL_QUEUE_HEADER = "alliance-original-queue"
DEFAULT_EXCHANGE = Exchange("", type="direct")


def dead_letter_queue_name(service_name: str) -> str:
    return f"{service_name}.dead-letters"


def retry_exchange(service_name: str) -> Exchange:
    return Exchange(f"{service_name}.retry", type="headers", durable=True)


def retry_queue(service_name: str, attempt: int, base_seconds: float, queue_type: str | None = None) -> Queue:
    """The wait queue for a message's ``attempt``-th retry, with a growing TTL."""
    ttl_ms = int(base_seconds * 1000 * 2 ** (attempt - 1))
    return Queue(
        f"{service_name}.retry.{attempt}",
        exchange=retry_exchange(service_name),
        binding_arguments={"x-match": "all", ATTEMPT_HEADER: attempt},
        durable=True,
        queue_arguments={"x-message-ttl": ttl_ms, "x-dead-letter-exchange": "", **queue_arguments(queue_type)},
    )


def queue_arguments(queue_type: str | None) -> dict[str, Any]:
    """``x-queue-type`` for the durable queues (events, retries, dead letters, RPC): ``classic`` or ``quorum``.

    Quorum queues are replicated across a RabbitMQ cluster's nodes and elect a new leader when
    theirs is lost; a classic durable queue is unusable while its one node is down.
    """
    kind = (queue_type or "classic").lower()
    if kind not in ("classic", "quorum"):
        raise ValueError(f"EVENT_QUEUE_TYPE must be classic or quorum, not {queue_type!r}")
    return {"x-queue-type": "quorum"} if kind == "quorum" else {}


def dead_letter_queue(service_name: str, queue_type: str | None = None) -> Queue:
    return Queue(
        dead_letter_queue_name(service_name),
        exchange=DEFAULT_EXCHANGE,
        routing_key=dead_letter_queue_name(service_name),
        durable=True,
        queue_arguments=queue_arguments(queue_type) or None,
    )


def declare_retry_topology(
    amqp_uri: str, service_name: str, attempts: int, base_seconds: float, queue_type: str | None = None
) -> None:
    """Declare the wait queues and the dead-letter queue of one service (idempotent)."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        retry_exchange(service_name)(channel).declare()
        for attempt in range(1, attempts):
            retry_queue(service_name, attempt, base_seconds, queue_type)(channel).declare()
        dead_letter_queue(service_name, queue_type)(channel).declare()


def describe_failure(exc: BaseException) -> str:
    """A handler's failure as logged and kept in the message headers, without the personal data it may hold.

    A database error's text repeats the values it refused (a duplicate key names
    the student number), so only its class and code are kept.
    """
    if isinstance(exc, PyMongoError):
        code = getattr(exc, "code", None)
        return f"{type(exc).__name__}" + (f" (code {code})" if code is not None else "")
    return mask_national_ids("".join(traceback.format_exception_only(type(exc), exc)).strip())


class DeadLetteringQueueConsumer(QueueConsumer):
    """A queue consumer that parks undecodable messages instead of crashing on them."""

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(self._undecodable, provider)
        return consumers

    def _undecodable(self, provider: ReliableEventHandler, message: Any, exc: Exception) -> None:
        log.error("dead-lettering a message that cannot be decoded: %s", exc)
        provider.forward(message, dead_letter=True, error=f"cannot decode the message: {exc}")


class ReliableEventHandler(EventHandler):
    """An event handler whose failures are retried and then dead-lettered, never dropped.

    The handler method receives the validated envelope (``event_id``,
    ``event_type``, ``data``, ...).
    """

    queue_consumer = DeadLetteringQueueConsumer()

    def __init__(self, source_service: str, event_type: str, **kwargs: Any) -> None:
        super().__init__(
            source_service,
            event_type,
            handler_type=SERVICE_POOL,
            reliable_delivery=True,
            requeue_on_error=False,
            **kwargs,
        )

    def setup(self) -> None:
        super().setup()
        config = self.container.config
        self.max_attempts = int(config.get("EVENT_MAX_ATTEMPTS", 5))
        self.base_seconds = float(config.get("EVENT_RETRY_BASE_SECONDS", 1))
        queue_type = config.get("EVENT_QUEUE_TYPE")
        extra = queue_arguments(queue_type)
        if extra:  # quorum queues replicate across a RabbitMQ cluster
            self.queue.queue_arguments = {**(self.queue.queue_arguments or {}), **extra}
        self.publisher = Publisher(config["AMQP_URI"], use_confirms=True)
        declare_retry_topology(
            config["AMQP_URI"], self.container.service_name, self.max_attempts, self.base_seconds, queue_type
        )

    def handle_message(self, body: Any, message: Any) -> None:
        envelope = self.envelope_or_dead_letter(body, message)
        if envelope is not None:
            super().handle_message(envelope, message)

    def envelope_or_dead_letter(self, body: Any, message: Any) -> dict[str, Any] | None:
        """The validated envelope of a message; None for one that breaks the contract, dead-lettered at once."""
        try:
            return parse_event(self.source_service, self.event_type, body)
        except ContractViolation as exc:
            log.error("dead-lettering an invalid %s.%s message: %s", self.source_service, self.event_type, exc)
            self.forward(message, dead_letter=True, error=str(exc))
            return None

    def handle_message_processed(self, message: Any, result: Any = None, exc_info: Any = None) -> None:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            self._count(EVENTS_CONSUMED)
            return
        attempt = int(message.headers.get(ATTEMPT_HEADER, 0)) + 1
        error = describe_failure(exc_info[1])
        dead = attempt >= self.max_attempts
        log.warning(
            "%s.%s handler failed (attempt %d of %d): %s",
            self.source_service,
            self.event_type,
            attempt,
            self.max_attempts,
            error,
            extra={"event_id": message.headers.get("event_id")},
        )
        self.forward(message, dead_letter=dead, error=error, attempt=attempt)

    def forward(self, message: Any, *, dead_letter: bool, error: str, attempt: int = 1) -> None:
        """Publish the message to its retry or dead-letter queue, then ack the original."""
        service = self.container.service_name
        headers = dict(message.headers or {})
        headers.update({ATTEMPT_HEADER: attempt, ERROR_HEADER: error[:2000], ORIGINAL_QUEUE_HEADER: self.queue.name})
        if dead_letter:
            headers["alliance-dead-lettered-at"] = rfc3339(utcnow())
            target = {"exchange": DEFAULT_EXCHANGE, "routing_key": dead_letter_queue_name(service)}
        else:
            target = {"exchange": retry_exchange(service), "routing_key": self.queue.name}
        try:
            self.publisher.publish(
                message.body,
                headers=headers,
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                serializer=None,
                declare=[],
                **target,
            )
        except Exception:  # noqa: BLE001 - keep the message rather than lose it
            log.exception("could not forward a failed message; returning it to its queue")
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)
        self._count(EVENTS_DEAD_LETTERED if dead_letter else EVENTS_RETRIED)

    def _count(self, counter) -> None:
        counter.labels(self.container.service_name, self.source_service, self.event_type).inc()


event_handler = ReliableEventHandler.decorator


class ReplicatedRpcConsumer(RpcConsumer):
    """nameko's RPC consumer, its ``rpc-<service>`` queue a quorum queue when ``EVENT_QUEUE_TYPE`` says so."""

    def setup(self) -> None:
        super().setup()
        extra = queue_arguments(self.container.config.get("EVENT_QUEUE_TYPE"))
        if extra:  # declared only once the queue consumer starts, so the arguments still count
            self.queue.queue_arguments = {**(self.queue.queue_arguments or {}), **extra}


class ReplicatedRpc(Rpc):
    """An RPC entrypoint whose service queue follows ``EVENT_QUEUE_TYPE``."""

    rpc_consumer = ReplicatedRpcConsumer()


class ReplicatedReplyListener(ReplyListener):
    """nameko's RPC reply queue, a durable quorum queue when ``EVENT_QUEUE_TYPE`` is ``quorum``.

    RabbitMQ (3.10) refuses to declare a classic queue again while its home node is down, even
    a non-durable one, so a caller whose reply queue lived on a lost node could never reconnect.
    The queue still expires (``x-expires``) once its caller is gone.
    """

    def setup(self) -> None:
        super().setup()
        extra = queue_arguments(self.container.config.get("EVENT_QUEUE_TYPE"))
        if extra:
            self.queue.durable = True
            self.queue.queue_arguments = {**(self.queue.queue_arguments or {}), **extra}
