"""MongoDB for nameko services: one client per process, one database per service.

``MongoDatabase(SomeRepository)`` is the only way a service reaches its
database. At start-up it connects (failing with a message naming the URI),
creates the repository's indexes and those of the kernel's own collections
(outbox, processed events; sent records and processed ids expire through TTL
indexes, ``OUTBOX_RETENTION_DAYS`` and ``PROCESSED_EVENTS_RETENTION_DAYS``), and
starts the outbox relay. Each worker gets a repository bound to the worker's
request id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit, urlunsplit

from nameko.extensions import DependencyProvider
from pymongo import InsertOne, MongoClient, ReplaceOne, monitoring
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from services.clock import utcnow
from services.context import ensure_request_id
from services.contracts import build_event
from services.metrics import DATABASE_COMMANDS
from services.outbox import OUTBOX, OutboxRelay, pending_count

log = logging.getLogger(__name__)

PROCESSED_EVENTS = "processed_events"
DAY_SECONDS = 86400
#: Days kept when the configuration does not say: long enough for a late subscriber's backfill.
DEFAULT_RETENTION_DAYS = 14

T = TypeVar("T")


class DatabaseUnavailable(RuntimeError):
    """The database server did not answer."""


def redact_uri(uri: str) -> str:
    """The URI without its password, for messages and logs; each of several ``;``-separated broker URIs."""
    if ";" in uri:
        return ";".join(redact_uri(part) for part in uri.split(";"))
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    userinfo, _, hosts = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hosts}"))


def database_name(config: dict[str, Any], service: str) -> str:
    """The database of ``service``: ``<DATABASE_PREFIX><service>``."""
    return f"{config.get('DATABASE_PREFIX') or ''}{service}"


class CommandCounter(monitoring.CommandListener):
    """Counts every command the client sends (one round trip each) in ``alliance_database_commands_total``.

    The benchmark divides these by certificates issued and people registered; in production they
    show which service's traffic a slow database serves.
    """

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        DATABASE_COMMANDS.labels(event.database_name, event.command_name).inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def connect(uri: str, timeout_seconds: float = 5.0) -> MongoClient:
    """A connected client, its commands counted; raises DatabaseUnavailable naming the URI when none answers."""
    timeout_ms = int(timeout_seconds * 1000)
    client: MongoClient = MongoClient(
        uri,
        event_listeners=[CommandCounter()],
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=max(timeout_ms * 6, 30000),
    )
    try:
        client.admin.command("ping")
    except PyMongoError as exc:
        client.close()
        raise DatabaseUnavailable(f"cannot reach MongoDB at {redact_uri(uri)}: {exc.__class__.__name__}") from None
    return client


def retention_seconds(config: dict[str, Any] | None, key: str) -> int:
    """``config[key]`` days as seconds (default :data:`DEFAULT_RETENTION_DAYS`)."""
    return int(float((config or {}).get(key, DEFAULT_RETENTION_DAYS)) * DAY_SECONDS)


def kernel_retention(config: dict[str, Any] | None) -> tuple[int, int]:
    """Seconds sent outbox records and processed event ids are kept; ValueError when they cannot work together.

    A backfill replays events as old as the outbox keeps; a consumer that had already
    forgotten their ids would apply them a second time.
    """
    outbox = retention_seconds(config, "OUTBOX_RETENTION_DAYS")
    processed = retention_seconds(config, "PROCESSED_EVENTS_RETENTION_DAYS")
    if outbox <= 0 or processed < outbox:
        raise ValueError(
            "OUTBOX_RETENTION_DAYS must be positive and PROCESSED_EVENTS_RETENTION_DAYS at least as long: "
            "events replayed from the outbox would otherwise be applied twice"
        )
    return outbox, processed


def ensure_ttl_index(collection: Collection, field: str, seconds: int) -> None:
    """Documents of ``collection`` expire ``seconds`` after their date in ``field`` (documents without it stay).

    ``create_index`` refuses to change an existing index's expiry, so a changed setting goes
    through ``collMod``; the server's TTL monitor then deletes in the background.
    """
    existing = collection.index_information().get(f"{field}_1")
    if existing is None:
        collection.create_index([(field, 1)], expireAfterSeconds=seconds)
    elif existing.get("expireAfterSeconds") != seconds:
        collection.database.command(
            "collMod", collection.name, index={"keyPattern": {field: 1}, "expireAfterSeconds": seconds}
        )


def processed_record(envelope: dict[str, Any], processed_at: datetime) -> dict[str, Any]:
    """What ``processed_events`` keeps of a consumed event: its id (unique), its kind and when."""
    return {
        "_id": envelope["event_id"],
        "event_type": f"{envelope['producer']}.{envelope['event_type']}",
        "processed_at": processed_at,
    }


class Repository:
    """Base of each service's repository: its database, transactions and outbox."""

    #: ``(collection, keys, options)`` triples created at start-up.
    INDEXES: ClassVar[list[tuple[str, list[tuple[str, int]], dict[str, Any]]]] = []
    # (collection, index name) of indexes earlier versions made and nothing reads any more: dropped
    # at start, as each costs every write to its collection.
    SUPERSEDED_INDEXES: ClassVar[list[tuple[str, str]]] = []

    def __init__(
        self,
        database: Database,
        producer: str,
        request_id: str | None = None,
        on_commit: Callable[[], None] | None = None,
        config: dict[str, Any] | None = None,
    ) -> None:
        self.db = database
        self.config = config or {}
        self.producer = producer
        self.request_id = request_id
        self._on_commit = on_commit

    @classmethod
    def ensure_indexes(cls, database: Database, config: dict[str, Any] | None = None) -> None:
        """The kernel's indexes (outbox, processed events, their expiry) and the repository's ``INDEXES``;
        the ``SUPERSEDED_INDEXES`` of earlier versions dropped."""
        for collection in {collection for collection, _name in cls.SUPERSEDED_INDEXES}:
            existing = database[collection].index_information()
            for name in (n for c, n in cls.SUPERSEDED_INDEXES if c == collection and n in existing):
                database[collection].drop_index(name)
        outbox_seconds, processed_seconds = kernel_retention(config)
        # Only sent records carry ``sent_at``: pending ones never expire.
        ensure_ttl_index(database[OUTBOX], "sent_at", outbox_seconds)
        ensure_ttl_index(database[PROCESSED_EVENTS], "processed_at", processed_seconds)
        database[OUTBOX].create_index([("status", 1), ("created_at", 1)])
        database[OUTBOX].create_index([("event_type", 1), ("created_at", 1)])
        for collection, keys, options in cls.INDEXES:
            database[collection].create_index(keys, **options)

    def transaction(self, work: Callable[[ClientSession], T]) -> T:
        """Run ``work(session)`` in one transaction (retried on transient errors).

        A bulk insert that hits a unique index raises DuplicateKeyError here, as a
        single insert does, so callers handle duplicates one way.
        """
        try:
            with self.db.client.start_session() as session:
                result = session.with_transaction(work)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if errors and all(error.get("code") == 11000 for error in errors):
                raise DuplicateKeyError(errors[0].get("errmsg", "duplicate key"), 11000, errors[0]) from exc
            raise
        if self._on_commit is not None:
            self._on_commit()
        return result

    def emit(self, session: ClientSession, event_type: str, data: dict[str, Any]) -> dict:
        """Record an event in the outbox, inside the caller's transaction."""
        return self.emit_many(session, event_type, [data])[0]

    def emit_many(self, session: ClientSession, event_type: str, datas: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Record several events of one type in the outbox with one insert, inside the transaction."""
        now = utcnow()
        envelopes = [build_event(self.producer, event_type, data, self.request_id) for data in datas]
        if envelopes:
            self.db[OUTBOX].insert_many(
                [
                    {
                        "_id": envelope["event_id"],
                        "event_type": event_type,
                        "envelope": envelope,
                        "status": "pending",
                        "attempts": 0,
                        "created_at": now,
                    }
                    for envelope in envelopes
                ],
                ordered=False,
                session=session,
            )
        return envelopes

    def mark_processed(self, session: ClientSession, envelope: dict[str, Any]) -> None:
        """Record a consumed event; a second delivery raises DuplicateKeyError."""
        self.db[PROCESSED_EVENTS].insert_one(processed_record(envelope, utcnow()), session=session)

    def consume(self, envelope: dict[str, Any], effect: Callable[[ClientSession], Any]) -> bool:
        """Apply ``effect`` for a received event exactly once in effect.

        The event id is recorded in the same transaction as the effect, so a
        re-delivered event changes nothing. Returns False for a duplicate.
        """
        event_id = envelope["event_id"]
        if self.db[PROCESSED_EVENTS].find_one({"_id": event_id}, {"_id": 1}):
            return False

        def work(session: ClientSession) -> None:
            self.mark_processed(session, envelope)
            effect(session)

        try:
            self.transaction(work)
        except DuplicateKeyError:
            if self.db[PROCESSED_EVENTS].find_one({"_id": event_id}, {"_id": 1}):
                return False  # a concurrent delivery of the same event won
            raise
        return True

    def consume_batch(
        self, envelopes: list[dict[str, Any]], effect: Callable[[ClientSession, list[dict[str, Any]]], Any]
    ) -> list[dict[str, Any]]:
        """Apply ``effect`` to the events of a batch not applied before, in one transaction; the events applied.

        One query finds which ids were already processed (and an id repeated within the
        batch counts once); ``effect(session, fresh)`` gets the others in arrival order and
        writes them in bulk; their ids are recorded with one insert in the same transaction.
        A concurrent delivery of one of them that commits first makes the transaction fail
        with DuplicateKeyError and nothing of the batch is applied, so its events can be
        consumed again one by one.
        """
        by_id: dict[str, dict[str, Any]] = {}
        for envelope in envelopes:
            by_id.setdefault(envelope["event_id"], envelope)
        if not by_id:
            return []
        seen = {record["_id"] for record in self.db[PROCESSED_EVENTS].find({"_id": {"$in": list(by_id)}}, {"_id": 1})}
        fresh = [envelope for event_id, envelope in by_id.items() if event_id not in seen]
        if not fresh:
            return []

        def work(session: ClientSession) -> None:
            now = utcnow()
            self.db[PROCESSED_EVENTS].insert_many(
                [processed_record(envelope, now) for envelope in fresh], ordered=False, session=session
            )
            effect(session, fresh)

        self.transaction(work)
        return fresh

    def save_records(
        self,
        session: ClientSession,
        collection: str,
        records: list[dict[str, Any]],
        known: set[Any] | None = None,
    ) -> None:
        """Record read-model documents with one bulk write, each replacing the one recorded under its
        ``_id`` (a later record of the same id in ``records`` wins).

        Ids not recorded yet are inserted rather than upserted: the embedded server inserts a
        document in about a third of the time an upsert takes. ``known``: the ids already
        recorded, when the caller has read them (else one query finds them).
        """
        latest = {record["_id"]: record for record in records}
        if not latest:
            return
        if known is None:
            found = self.db[collection].find({"_id": {"$in": list(latest)}}, {"_id": 1}, session=session)
            known = {record["_id"] for record in found}
        self.db[collection].bulk_write(
            [
                ReplaceOne({"_id": key}, record, upsert=True) if key in known else InsertOne(record)
                for key, record in latest.items()
            ],
            ordered=False,
            session=session,
        )

    def ping(self) -> dict[str, Any]:
        """The database answers; with how many outbox records wait to be published."""
        self.db.command("ping")
        return {"status": "ok", "outbox_pending": pending_count(self.db)}


class MongoDatabase(DependencyProvider):
    """Hands each worker a repository on this service's own database."""

    def __init__(self, repository_class: type[Repository], **kwargs: Any) -> None:
        self.repository_class = repository_class
        self.client: MongoClient | None = None
        self.database: Database | None = None
        self.relay = None
        super().__init__(**kwargs)

    @property
    def database_name(self) -> str:
        return database_name(self.container.config, self.container.service_name)

    def setup(self) -> None:
        config = self.container.config
        self.client = connect(config["MONGO_URI"], float(config.get("DATABASE_TIMEOUT_SECONDS", 5)))
        self.database = self.client[self.database_name]
        self.repository_class.ensure_indexes(self.database, config)
        self.relay = OutboxRelay(self.database, config)

    def start(self) -> None:
        self.relay.start()

    def stop(self) -> None:
        if self.relay is not None:
            self.relay.stop()
        if self.client is not None:
            self.client.close()

    kill = stop

    def get_dependency(self, worker_ctx) -> Repository:
        return self.repository_class(
            self.database,
            producer=self.container.service_name,
            request_id=ensure_request_id(worker_ctx),
            on_commit=self.relay.wake,
            config=self.container.config,
        )
