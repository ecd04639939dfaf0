"""The outbox relay: publishes what services recorded in their outbox.

One relay of a service publishes at a time: it holds the outbox's lease, a
document it takes over only once the holder stopped renewing it
(``OUTBOX_LEASE_SECONDS``), so a dead instance's relaying is taken over. The
holder reads a batch of ``pending`` records, publishes it on one channel in
confirm mode, waits once for the broker's confirms of the whole batch and marks
the records ``sent`` in one update. A crash in between, or a holder that
lost its lease mid-batch, publishes records again, which consumers absorb
because they are idempotent. (Claiming each record instead cost one more write
per event, on a database that spends most of its time on per-document writes.)

Batches are bounded (``OUTBOX_BATCH_SIZE``) and fair: while one kind of event
has a backlog (a batch registration of thousands of people), part of every
batch goes to the other kinds, so an unrelated event waits for one batch, not
for the backlog. Events are therefore not ordered across batches.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from datetime import timedelta
from typing import Any

import eventlet
from eventlet.event import Event
from kombu import Connection, Producer
from nameko.amqp.publish import UndeliverableMessage
from nameko.standalone.events import get_event_exchange
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

from services.clock import utcnow
from services.metrics import EVENTS_PUBLISHED, OUTBOX_PENDING

log = logging.getLogger(__name__)

OUTBOX = "outbox"
#: The collection of the relay's lease, one document per service database.
RELAY_LEASE = "outbox_relay"
RELAY_LEASE_ID = "relay"
BATCH_SIZE = 200
#: Seconds the broker has to confirm a whole batch before the relay gives it back and tries again.
CONFIRM_TIMEOUT_SECONDS = 30


class PublishNotConfirmed(RuntimeError):
    """The broker refused (nacked) or did not confirm part of a batch in time."""


class BatchPublisher:
    """Publishes batches of event messages and waits once per batch for the broker's confirms.

    One connection, kept between batches (``AMQP_URI`` may list several brokers separated by
    ``;``: kombu connects to the next when one is lost); any failure closes it and the next
    batch connects again.
    """

    def __init__(self, amqp_uri: str, confirm_timeout: float = CONFIRM_TIMEOUT_SECONDS) -> None:
        self.amqp_uri = amqp_uri
        self.confirm_timeout = confirm_timeout
        self._connection: Connection | None = None
        self._channel: Any = None
        self._producer: Producer | None = None
        self._next_tag = 1
        self._unconfirmed: set[int] = set()
        self._nacked: set[int] = set()
        self._returned = 0

    def publish(self, messages: list[dict[str, Any]]) -> None:
        """Publish every message (``Producer.publish`` arguments with ``body``); return once all are confirmed.

        A ``mandatory`` message no queue takes raises nameko's ``UndeliverableMessage``.
        """
        try:
            producer = self._ready_producer()
            self._unconfirmed, self._nacked, self._returned = set(), set(), 0
            for message in messages:
                self._unconfirmed.add(self._next_tag)
                self._next_tag += 1
                producer.publish(serializer="json", delivery_mode=2, retry=False, **message)
            deadline = time.monotonic() + self.confirm_timeout
            while self._unconfirmed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PublishNotConfirmed(f"{len(self._unconfirmed)} messages not confirmed in time")
                self._connection.drain_events(timeout=remaining)
            if self._nacked:
                raise PublishNotConfirmed(f"the broker refused {len(self._nacked)} messages")
            if self._returned:
                raise UndeliverableMessage()
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # noqa: BLE001 - a dead connection has nothing left to close
                pass
        self._connection = self._channel = self._producer = None

    def _ready_producer(self) -> Producer:
        if self._producer is None:
            connection = Connection(self.amqp_uri, heartbeat=0)
            connection.ensure_connection(max_retries=len(connection.alt) or 1)
            channel = connection.channel()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            channel.events["basic_return"].add(self._on_return)
            self._connection, self._channel, self._next_tag = connection, channel, 1
            self._producer = Producer(channel)
        return self._producer

    def _settle(self, delivery_tag: int, multiple: bool) -> set[int]:
        settled = {t for t in self._unconfirmed if t <= delivery_tag} if multiple else {delivery_tag}
        self._unconfirmed -= settled
        return settled

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._settle(delivery_tag, multiple)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._nacked |= self._settle(delivery_tag, multiple)

    def _on_return(self, *args: Any) -> None:
        # The broker returns an unroutable mandatory message before it confirms it.
        self._returned += 1


def pending_count(database: Database) -> int:
    """Outbox records written but not yet confirmed by the broker."""
    return database[OUTBOX].count_documents({"status": "pending"})


class OutboxRelay:
    """A green thread that drains one service's outbox to its event exchange."""

    def __init__(self, database: Database, config: dict[str, Any]) -> None:
        self.database = database
        self.config = config
        self.poll_seconds = float(config.get("OUTBOX_POLL_SECONDS", 0.5))
        self.lease = timedelta(seconds=float(config.get("OUTBOX_LEASE_SECONDS", 30)))
        self.batch_size = int(config.get("OUTBOX_BATCH_SIZE") or BATCH_SIZE)
        self.publisher = BatchPublisher(config["AMQP_URI"])
        self.holder = uuid.uuid4().hex
        self._wakeup = Event()
        self._thread = None
        self._running = False
        self.service = database.name.removeprefix(str(config.get("DATABASE_PREFIX") or ""))
        OUTBOX_PENDING.labels(self.service).set_function(self.pending_gauge)

    def start(self) -> None:
        # Records claimed one by one by an earlier version of the relay are pending again.
        try:
            self.database[OUTBOX].update_many(
                {"status": "in_progress"}, {"$set": {"status": "pending"}, "$unset": {"claim": "", "lease_until": ""}}
            )
        except Exception:  # noqa: BLE001 - an unreachable database must not stop the service starting
            log.warning("could not return records claimed by an earlier relay to pending")
        self._running = True
        self._thread = eventlet.spawn(self._run)

    def stop(self) -> None:
        self._running = False
        self.wake()
        if self._thread is not None:
            # A relay stuck on an unreachable database must not hold up shutdown; another
            # instance takes over once the lease runs out.
            with eventlet.Timeout(5, False):
                self._thread.wait()
            self._thread.kill()
            self._thread = None
        self.publisher.close()
        self.release()

    def wake(self) -> None:
        """Publish now rather than at the next poll."""
        if not self._wakeup.ready():
            self._wakeup.send(True)

    def pending_gauge(self) -> float:
        """The gauge's reading: NaN while the database does not answer (or after this relay's
        client was closed), so that a scrape of the other metrics never fails because of it."""
        try:
            return float(pending_count(self.database))
        except PyMongoError:
            return math.nan

    def _run(self) -> None:
        failures = 0
        while self._running:
            try:
                published = self.relay_once()
                failures = 0
            except Exception:  # noqa: BLE001 - the relay must outlive broker and database outages
                failures += 1
                log.exception("outbox relay failed; retrying")
                published = 0
                eventlet.sleep(min(0.2 * 2**failures, 5.0))
            if published == 0 and self._running:
                with eventlet.Timeout(self.poll_seconds, False):
                    self._wakeup.wait()
                self._wakeup = Event()

    def acquire(self) -> bool:
        """Take or renew the outbox's lease; False while another live relay holds it.

        A compare-and-set on the holder and expiry read just before: of two relays taking
        over an expired lease at once, one update matches and the other does not.
        """
        leases = self.database[RELAY_LEASE]
        now = utcnow()
        until = now + self.lease
        current = leases.find_one({"_id": RELAY_LEASE_ID})
        if current is None:
            try:
                leases.insert_one({"_id": RELAY_LEASE_ID, "holder": self.holder, "until": until})
            except DuplicateKeyError:
                return False
            return True
        expiry = current["until"]
        if expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=now.tzinfo)
        if current["holder"] != self.holder and expiry > now:
            return False
        if current["holder"] == self.holder and expiry - now > self.lease / 2:
            return True  # renewed recently enough: spare the database a write per batch
        taken = leases.update_one(
            {"_id": RELAY_LEASE_ID, "holder": current["holder"], "until": current["until"]},
            {"$set": {"holder": self.holder, "until": until}},
        )
        return taken.matched_count == 1

    def release(self) -> None:
        """Give the lease up at shutdown so another instance relays at once."""
        try:
            self.database[RELAY_LEASE].delete_one({"_id": RELAY_LEASE_ID, "holder": self.holder})
        except Exception:  # noqa: BLE001 - an unreachable database: the lease runs out by itself
            log.warning("could not release the outbox relay lease")

    def pending_batch(self) -> list[dict[str, Any]]:
        """The oldest pending records; when they are all of one kind, half the batch goes to the other kinds."""
        outbox = self.database[OUTBOX]
        # Equality filters on the indexed status only: the embedded server scans the whole
        # collection for an $or, and the outbox keeps every record sent within the retention.
        oldest = list(outbox.find({"status": "pending"}).limit(self.batch_size))
        kinds = {r["event_type"] for r in oldest}
        if len(oldest) < self.batch_size or len(kinds) != 1:
            return oldest
        others = list(
            outbox.find({"status": "pending", "event_type": {"$ne": kinds.pop()}}).limit(self.batch_size // 2)
        )
        return others + oldest[: self.batch_size - len(others)]

    def relay_once(self) -> int:
        """Publish one batch and wait for its confirms; returns how many records were sent.

        Nothing is published while another relay holds the lease.
        """
        if not self.acquire():
            return 0
        records = self.pending_batch()
        if not records:
            return 0
        self.publisher.publish([self.message(record["envelope"]) for record in records])
        # One update of the whole batch, its ids the first clause: the embedded server then finds the
        # records by id (a filter led by the status reads every pending record), and updates them in one
        # statement rather than one per record.
        self.database[OUTBOX].update_many(
            {"_id": {"$in": [r["_id"] for r in records]}, "status": "pending"},
            {"$set": {"status": "sent", "sent_at": utcnow()}},
        )
        for record in records:
            EVENTS_PUBLISHED.labels(record["envelope"]["producer"], record["envelope"]["event_type"]).inc()
        return len(records)

    def message(self, envelope: dict[str, Any], **overrides: Any) -> dict[str, Any]:
        """One envelope as a message in nameko's event format (``BatchPublisher.publish`` arguments)."""
        exchange = get_event_exchange(envelope["producer"], self.config)
        options: dict[str, Any] = {
            "body": envelope,
            "exchange": exchange,
            "routing_key": envelope["event_type"],
            "headers": {
                "nameko.request_id": envelope.get("correlation_id"),
                "event_id": envelope["event_id"],
            },
            "message_id": envelope["event_id"],
            # The exchange may not exist yet when no subscriber has started.
            "declare": [exchange],
        }
        options.update(overrides)
        return options

    def publish(self, envelope: dict[str, Any], **overrides: Any) -> None:
        """Publish one envelope in nameko's event format, waiting for the broker's confirm."""
        self.publisher.publish([self.message(envelope, **overrides)])
        EVENTS_PUBLISHED.labels(envelope["producer"], envelope["event_type"]).inc()
