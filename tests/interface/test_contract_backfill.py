"""Backfill: a late subscriber gets the stored history in its own queue, and nobody else does."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from kombu import Connection, Exchange, Queue
from pymongo import MongoClient

from alliance.backfill import UnknownQueue, replay_events
from services.contracts import ContractViolation
from tests.interface.test_slice import register_school, register_student
from tests.support.cli import alliance, config_env
from tests.support.waiting import wait_for

DATABASE_SETTINGS = ("AMQP_URI", "MONGO_URI", "DATABASE_PREFIX")
EXCHANGE = Exchange("certificates.events", type="topic", durable=True)


def declare_subscriber_queue(amqp_uri: str, name: str) -> None:
    with Connection(amqp_uri) as connection:
        Queue(name, EXCHANGE, routing_key="certificate_issued", durable=True)(connection.default_channel).declare()


def take_all(amqp_uri: str, name: str) -> list:
    """Every message waiting in the queue (acknowledged)."""
    messages = []
    with Connection(amqp_uri) as connection:
        queue = Queue(name, durable=True)(connection.default_channel)
        while (message := queue.get(no_ack=True, accept=["json"])) is not None:
            messages.append(message)
    return messages


def test_replay_delivers_the_history_to_the_new_queue_only(api, config):
    uri = config["AMQP_URI"]
    declare_subscriber_queue(uri, "jobs-portal.certificates")
    school = register_school(api)
    person = register_student(api, school["id"])
    numbers = []
    for title in ("网络搭建与应用 师资培训", "学生企业面对面 企业参观", "职业体验日 志愿服务"):
        response = api.post(
            "/api/v1/certificates",
            json={"kind": "participation", "holder_id": person["id"], "issuer_id": school["id"], "title": title},
        )
        assert response.status_code == 201, response.text
        numbers.append(response.json()["number"])
    outbox = MongoClient(config["MONGO_URI"])[f"{config['DATABASE_PREFIX']}certificates"]["outbox"]
    wait_for(
        lambda: outbox.count_documents({"event_type": "certificate_issued", "status": "sent"}) == 3,
        message="the certificates published",
    )
    live = wait_for(lambda: take_all(uri, "jobs-portal.certificates"), message="the live events")
    assert [m.payload["data"]["number"] for m in live] == numbers

    declare_subscriber_queue(uri, "student-records.late")
    result = alliance(
        "events",
        "replay",
        "certificates.certificate_issued",
        "--since",
        "2022-01-01",
        "--to-queue",
        "student-records.late",
        **config_env(config, *DATABASE_SETTINGS),
    )
    assert result.returncode == 0, result.stderr
    assert "replayed 3 certificates.certificate_issued event(s) to queue student-records.late" in result.stdout

    history = take_all(uri, "student-records.late")
    assert [m.payload for m in history] == [m.payload for m in live]
    assert [m.properties["message_id"] for m in history] == [m.payload["event_id"] for m in live]
    assert [m.headers for m in history] == [m.headers for m in live]
    assert take_all(uri, "jobs-portal.certificates") == []  # the existing subscriber got nothing again

    later = datetime.now(timezone.utc) + timedelta(minutes=1)
    assert replay_events(config, "certificates.certificate_issued", later, "student-records.late") == 0
    with pytest.raises(UnknownQueue):
        replay_events(config, "certificates.certificate_issued", later, "nobody-declared-this")
    with pytest.raises(ContractViolation):
        replay_events(config, "certificates.no_such_event", later, "student-records.late")


def test_replay_to_a_missing_queue_says_so(config):
    result = alliance(
        "events",
        "replay",
        "certificates.certificate_issued",
        "--since",
        "2022-01-01",
        "--to-queue",
        "nobody-declared-this",
        **config_env(config, *DATABASE_SETTINGS),
    )
    assert result.returncode == 1
    assert "queue 'nobody-declared-this' does not exist; declare it first" in result.stderr
