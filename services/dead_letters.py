"""Operating a service's dead-letter queue: list, replay, purge."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from amqp.exceptions import NotFound
from kombu import Connection

from services.messaging import (
    ATTEMPT_HEADER,
    DEFAULT_EXCHANGE,
    ERROR_HEADER,
    ORIGINAL_QUEUE_HEADER,
    dead_letter_queue_name,
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


def _exists(connection: Connection, queue: str) -> bool:
    """Whether the queue exists, whatever its arguments (classic or quorum)."""
    channel = connection.channel()
    try:
        channel.queue_declare(queue=queue, passive=True)
    except NotFound:
        return False
    channel.close()
    return True


def _drain(connection: Connection, service: str):
    """Every message of the dead-letter queue, unacknowledged, on one channel."""
    channel = connection.channel()
    messages = []
    if not _exists(connection, dead_letter_queue_name(service)):
        return channel, messages
    while True:
        message = channel.basic_get(dead_letter_queue_name(service), no_ack=False)
        if message is None:
            break
        messages.append(channel.message_to_python(message))
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
            headers = {
                k: v
                for k, v in (message.headers or {}).items()
                if not k.startswith("alliance-") and not k.startswith("x-death")
            }
            producer.publish(
                message.body,
                exchange=DEFAULT_EXCHANGE,
                routing_key=letter.queue,
                headers=headers,
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                message_id=message.properties.get("message_id"),
                delivery_mode=2,
            )
            message.ack()
            replayed.append(letter.id)
        channel.close()
    return replayed


def purge_dead_letters(amqp_uri: str, service: str) -> int:
    with Connection(amqp_uri) as connection:
        if not _exists(connection, dead_letter_queue_name(service)):
            return 0
        channel = connection.channel()
        count = channel.queue_purge(dead_letter_queue_name(service)) or 0
        channel.close()
    return int(count)
