"""The outbox relay: publishes what services recorded in their outbox.

A record goes ``pending`` → ``in_progress`` (claimed with a lease) → ``sent``.
Several instances of a service can relay at once: each claims records with a
token and a lease, and a record whose lease ran out (its relay died) is
claimed again. Publishing uses publisher confirms, so a record is marked sent
only once the broker has it; a crash between the two publishes it again,
which consumers absorb because they are idempotent.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta
from typing import Any

import eventlet
from eventlet.event import Event
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange
from pymongo import UpdateOne
from pymongo.database import Database

from services.clock import utcnow
from services.metrics import EVENTS_PUBLISHED, OUTBOX_PENDING

log = logging.getLogger(__name__)

OUTBOX = "outbox"
BATCH_SIZE = 200


def pending_count(database: Database) -> int:
    """Outbox records written but not yet confirmed by the broker."""
    return database[OUTBOX].count_documents({"status": {"$in": ["pending", "in_progress"]}})


class OutboxRelay:
    """A green thread that drains one service's outbox to its event exchange."""

    def __init__(self, database: Database, config: dict[str, Any]) -> None:
        self.database = database
        self.config = config
        self.poll_seconds = float(config.get("OUTBOX_POLL_SECONDS", 0.5))
        self.lease = timedelta(seconds=float(config.get("OUTBOX_LEASE_SECONDS", 30)))
        self.publisher = Publisher(config["AMQP_URI"], use_confirms=True, serializer="json")
        self._wakeup = Event()
        self._thread = None
        self._running = False
        self._next_lease_sweep = 0.0
        self.service = database.name.removeprefix(str(config.get("DATABASE_PREFIX") or ""))
        OUTBOX_PENDING.labels(self.service).set_function(self.pending_count)

    def start(self) -> None:
        self._running = True
        self._thread = eventlet.spawn(self._run)

    def stop(self) -> None:
        self._running = False
        self.wake()
        if self._thread is not None:
            # A relay stuck on an unreachable database must not hold up shutdown; what
            # it had claimed is claimed again by any relay once the lease runs out.
            with eventlet.Timeout(5, False):
                self._thread.wait()
            self._thread.kill()
            self._thread = None

    def wake(self) -> None:
        """Publish now rather than at the next poll."""
        if not self._wakeup.ready():
            self._wakeup.send(True)

    def pending_count(self) -> int:
        return pending_count(self.database)

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

    def claim(self) -> list[dict[str, Any]]:
        """Claim up to a batch of pending records (and any whose lease ran out) for this relay."""
        now = utcnow()
        outbox = self.database[OUTBOX]
        # Equality filters on the indexed status only: the embedded server scans the whole
        # collection for an $or, and the outbox keeps every record ever sent.
        pending = {"status": "pending"}
        expired = {"status": "in_progress", "lease_until": {"$lt": now}}
        groups = [(pending, [d["_id"] for d in outbox.find(pending, {"_id": 1}).limit(BATCH_SIZE)])]
        if time.monotonic() >= self._next_lease_sweep:
            self._next_lease_sweep = time.monotonic() + self.lease.total_seconds() / 2
            groups.append((expired, [d["_id"] for d in outbox.find(expired, {"_id": 1}).limit(BATCH_SIZE)]))
        token = uuid.uuid4().hex
        claimed = False
        claim = {
            "$set": {"status": "in_progress", "claim": token, "lease_until": now + self.lease},
            "$inc": {"attempts": 1},
        }
        for still_claimable, ids in groups:
            if ids:
                # One update per _id: the embedded server updates far faster by _id than by $in.
                outbox.bulk_write([UpdateOne({"_id": i, **still_claimable}, claim) for i in ids], ordered=False)
                claimed = True
        if not claimed:
            return []
        return sorted(outbox.find({"claim": token, "status": "in_progress"}), key=lambda r: r["created_at"])

    def relay_once(self) -> int:
        """Publish one claimed batch; returns how many records were sent."""
        records = self.claim()
        published: list[str] = []
        try:
            for record in records:
                self.publish(record["envelope"])
                published.append(record["_id"])
        finally:
            if published:
                sent = {"$set": {"status": "sent", "sent_at": utcnow()}, "$unset": {"lease_until": ""}}
                self.database[OUTBOX].bulk_write(
                    [UpdateOne({"_id": i, "claim": records[0]["claim"]}, sent) for i in published], ordered=False
                )
            unsent = [r["_id"] for r in records[len(published) :]]
            if unsent:
                self.database[OUTBOX].update_many(
                    {"_id": {"$in": unsent}, "status": "in_progress"},
                    {"$set": {"status": "pending"}, "$unset": {"claim": "", "lease_until": ""}},
                )
        return len(published)

    def publish(self, envelope: dict[str, Any], **overrides: Any) -> None:
        """Publish one envelope in nameko's event format, waiting for the broker's confirm."""
        exchange = get_event_exchange(envelope["producer"], self.config)
        options: dict[str, Any] = {
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
        self.publisher.publish(envelope, **options)
        EVENTS_PUBLISHED.labels(envelope["producer"], envelope["event_type"]).inc()
