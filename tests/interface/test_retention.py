"""Sent outbox records, processed event ids and idempotency keys expire as configured."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pymongo.database import Database

from gateway.idempotency import IDEMPOTENCY_KEYS, IdempotencyRepository
from gateway.service import GatewayService
from members_svc.service import MembersService
from services.mongo import PROCESSED_EVENTS, Repository, connect
from services.outbox import OUTBOX

DAY = 86400


def expiry(database: Database, collection: str, field: str) -> int | None:
    """The TTL of the index on ``field``; None without one."""
    return database[collection].index_information().get(f"{field}_1", {}).get("expireAfterSeconds")


@pytest.fixture
def client(config) -> Iterator:
    client = connect(config["MONGO_URI"])
    yield client
    client.close()


def test_running_services_expire_records_after_the_configured_times(start_services, config, client):
    start_services(
        MembersService,
        GatewayService,
        overrides={"OUTBOX_RETENTION_DAYS": 3, "PROCESSED_EVENTS_RETENTION_DAYS": 5, "IDEMPOTENCY_RETENTION_HOURS": 6},
    )
    members = client[f"{config['DATABASE_PREFIX']}members"]
    gateway = client[f"{config['DATABASE_PREFIX']}gateway"]
    assert expiry(members, OUTBOX, "sent_at") == 3 * DAY
    assert expiry(members, PROCESSED_EVENTS, "processed_at") == 5 * DAY
    assert expiry(gateway, IDEMPOTENCY_KEYS, "created_at") == 6 * 3600


def test_defaults_keep_two_weeks_of_events_and_two_days_of_keys(config, client):
    database = client[f"{config['DATABASE_PREFIX']}defaults"]
    IdempotencyRepository.ensure_indexes(database, config)
    assert expiry(database, OUTBOX, "sent_at") == 14 * DAY
    assert expiry(database, PROCESSED_EVENTS, "processed_at") == 14 * DAY
    assert expiry(database, IDEMPOTENCY_KEYS, "created_at") == 48 * 3600


def test_a_changed_retention_applies_to_an_existing_database(config, client):
    database = client[f"{config['DATABASE_PREFIX']}changed"]
    Repository.ensure_indexes(database, {"OUTBOX_RETENTION_DAYS": 14, "PROCESSED_EVENTS_RETENTION_DAYS": 14})
    Repository.ensure_indexes(database, {"OUTBOX_RETENTION_DAYS": 30, "PROCESSED_EVENTS_RETENTION_DAYS": 45})
    assert expiry(database, OUTBOX, "sent_at") == 30 * DAY
    assert expiry(database, PROCESSED_EVENTS, "processed_at") == 45 * DAY
