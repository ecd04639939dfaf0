"""Backfill: re-publish a producer's stored events to one subscriber's queue.

A subscriber that joins late gets the history it missed from the producer's
outbox, which keeps each published event with its full envelope for
``OUTBOX_RETENTION_DAYS`` after it was sent: a backfill can replay only what the
outbox still holds, so a subscriber joining later than that needs another
source for older history (a restore, or a rebuild from the producer's data). Each event
goes through the default exchange straight to the named queue, so no other
subscriber sees it twice; body and headers are those of the original, so a
subscriber that deduplicates on ``event_id`` stays correct when history and
live events overlap.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from amqp.exceptions import NotFound as QueueMissing
from kombu import Connection

from services.contracts import contract_for
from services.messaging import DEFAULT_EXCHANGE
from services.mongo import connect, database_name
from services.outbox import OUTBOX, OutboxRelay


class UnknownQueue(LookupError):
    """The target queue does not exist (a message to it would be lost)."""


def parse_since(text: str) -> datetime:
    """``2022-01-01`` or an ISO 8601 date-time; without an offset it is UTC."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def require_queue(amqp_uri: str, queue: str) -> None:
    """Raise UnknownQueue unless ``queue`` exists on the broker."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        try:
            channel.queue_declare(queue=queue, passive=True)
        except QueueMissing:
            raise UnknownQueue(f"queue {queue!r} does not exist; declare it first") from None
        channel.close()


def stored_events(database: Any, event_type: str, since: datetime):
    """The sent outbox records of ``event_type`` recorded at or after ``since``, oldest first."""
    query = {"event_type": event_type, "status": "sent", "created_at": {"$gte": since}}
    return database[OUTBOX].find(query, {"envelope": 1}).sort("created_at", 1)


def replay_events(config: dict[str, Any], qualified_event: str, since: datetime, queue: str) -> int:
    """Publish the history of ``producer.event_type`` to ``queue`` only; returns how many events.

    Raises ContractViolation for an unknown event and UnknownQueue for a missing queue.
    """
    producer, _, event_type = qualified_event.partition(".")
    contract_for(producer, event_type)
    require_queue(config["AMQP_URI"], queue)
    client = connect(config["MONGO_URI"], float(config.get("DATABASE_TIMEOUT_SECONDS", 5)))
    try:
        database = client[database_name(config, producer)]
        relay = OutboxRelay(database, config)
        replayed = 0
        for record in stored_events(database, event_type, since):
            # Mandatory: should the queue vanish meanwhile, the publish fails instead of losing the event.
            relay.publish(record["envelope"], exchange=DEFAULT_EXCHANGE, routing_key=queue, mandatory=True, declare=[])
            replayed += 1
    finally:
        client.close()
    return replayed
