"""Operating a service's dead-letter queue: list, replay, purge."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kombu import Connection

from services.messaging import (
    ATTEMPT_HEADER,
    DEFAULT_EXCHANGE,
    ERROR_HEADER,
    ORIGINAL_QUEUE_HEADER,
    dead_letter_queue,
)


@dataclass
class DeadLetter:
    id: str
    queue: str
    error: str
    attempts: int
    dead_lettered_at: str | None
    event_type: str | None
    body: str

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _describe(message: Any) -> DeadLetter:
    headers = message.headers or {}
    raw = message.body.decode("utf-8", "replace") if isinstance(message.body, bytes) else str(message.body)
    try:
        event_type = json.loads(raw).get("event_type")
    except (ValueError, AttributeError):
        event_type = None
    return DeadLetter(
        id=str(message.properties.get("message_id") or headers.get("event_id") or ""),
        queue=str(headers.get(ORIGINAL_QUEUE_HEADER, "")),
        error=str(headers.get(ERROR_HEADER, "")),
        attempts=int(headers.get(ATTEMPT_HEADER, 0)),
        dead_lettered_at=headers.get("alliance-dead-lettered-at"),
        event_type=event_type,
        body=raw,
    )


def _drain(connection: Connection, service: str):
    """Every message of the dead-letter queue, unacknowledged, on one channel."""
    channel = connection.channel()
    queue = dead_letter_queue(service)(channel)
    queue.declare()
    messages = []
    while True:
        message = queue.get(no_ack=False, accept=None)
        if message is None:
            break
        messages.append(message)
    return channel, messages


def list_dead_letters(amqp_uri: str, service: str) -> list[DeadLetter]:
    """The parked messages, left in place."""
    with Connection(amqp_uri) as connection:
        channel, messages = _drain(connection, service)
        letters = [_describe(m) for m in messages]
        for message in messages:
            message.requeue()
        channel.close()
    return letters


def replay_dead_letters(amqp_uri: str, service: str, ids: set[str] | None = None) -> list[str]:
    """Send parked messages (all, or those with the given ids) back to their queues, attempts reset."""
    replayed: list[str] = []
    with Connection(amqp_uri) as connection:
        channel, messages = _drain(connection, service)
        producer = connection.Producer(channel)
        channel.confirm_select()
        for message in messages:
            letter = _describe(message)
            if (ids is not None and letter.id not in ids) or not letter.queue:
                message.requeue()
                continue
            headers = {k: v for k, v in (message.headers or {}).items()
                       if not k.startswith("alliance-") and not k.startswith("x-death")}
            producer.publish(
                message.body, exchange=DEFAULT_EXCHANGE, routing_key=letter.queue, headers=headers,
                content_type=message.content_type, content_encoding=message.content_encoding,
                message_id=message.properties.get("message_id"), delivery_mode=2,
            )
            message.ack()
            replayed.append(letter.id)
        channel.close()
    return replayed


def purge_dead_letters(amqp_uri: str, service: str) -> int:
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        count = dead_letter_queue(service)(channel).purge() or 0
        channel.close()
    return int(count)
