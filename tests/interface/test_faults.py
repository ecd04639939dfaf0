"""Outages of the database and the broker: clear answers meanwhile, recovery without restarts.

Faults go only into infrastructure the test started itself: its own embedded database and its
own RabbitMQ node; the machine's broker keeps running for everyone else.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator

import pytest

from alliance.embedded_db import EmbeddedDatabase, free_port
from tests.support.api import Api
from tests.support.broker_node import BrokerNode, broker_node, scripts_dir, watched_broker
from tests.support.waiting import wait_for


def issue_training_certificate(client: Api, school_name: str = "重庆市工业学校") -> tuple[str, str]:
    school = client.post("/api/v1/organisations", json={"name": school_name, "kind": "secondary_vocational_school"})
    assert school.status_code == 201, school.text
    person = client.post(
        f"/api/v1/organisations/{school.json()['id']}/people", json={"name": "刘洋", "kind": "teacher"}
    )
    assert person.status_code == 201, person.text
    issued = client.post(
        "/api/v1/certificates",
        json={
            "kind": "training_completion",
            "holder_id": person.json()["id"],
            "issuer_id": school.json()["id"],
            "title": "双师型教师培训",
        },
    )
    assert issued.status_code == 201, issued.text
    return person.json()["id"], issued.json()["number"]


def portfolio_numbers(client: Api, person_id: str) -> list[str]:
    response = client.get(f"/api/v1/people/{person_id}")
    return [c["number"] for c in response.json()["certificates"]] if response.status_code == 200 else []


def test_database_outage_answers_503_fast_and_recovers(start_services, config, tmp_path):
    database = EmbeddedDatabase(str(tmp_path / "db"), port=free_port())
    database.start()
    try:
        start_services(overrides={"MONGO_URI": database.uri, "DATABASE_TIMEOUT_SECONDS": 1})
        client = Api.for_config(config)
        person_id, number = issue_training_certificate(client)
        wait_for(lambda: portfolio_numbers(client, person_id) == [number], message="the first certificate")

        database.stop()
        started = time.monotonic()
        during = client.get("/api/v1/organisations")
        elapsed = time.monotonic() - started
        assert during.status_code == 503, during.text
        assert during.headers["Content-Type"].startswith("application/problem+json")
        assert elapsed < 5, f"took {elapsed:.1f} s"
        refused = client.post(
            "/api/v1/certificates",
            json={"kind": "participation", "holder_id": person_id, "issuer_id": "x", "title": "开放日"},
        )
        assert refused.status_code == 503

        database.start()
        wait_for(
            lambda: client.get("/api/v1/organisations").status_code == 200,
            timeout=30,
            message="the services to use the restarted database",
        )
        _, second = issue_training_certificate(client, "重庆市工业学校两江分校")
        listed = client.get("/api/v1/certificates?limit=200").json()["items"]
        assert sorted(c["number"] for c in listed) == sorted([number, second])
    finally:
        database.stop()


@pytest.fixture
def own_broker(tmp_path, runners) -> Iterator[BrokerNode]:
    """A RabbitMQ node of this test's own: the only broker a fault is injected into."""
    with broker_node(tmp_path / "rabbitmq") as node:
        yield node
        # Services still connected would keep reconnecting to the halted node instead of stopping.
        for runner in runners:
            runner.kill()


@pytest.fixture
def machine_broker_survived(infrastructure) -> Iterator[Callable[[], bool]]:
    """Whether the broker every other test uses stayed up, watched from before the services start."""
    with watched_broker(infrastructure.amqp_uri) as survived:
        yield survived


@pytest.mark.skipif(scripts_dir() is None, reason="needs a local RabbitMQ installation to start a node of its own")
def test_broker_restart_during_issuance_every_event_delivered_once(
    machine_broker_survived, own_broker, start_services, config
):
    config["AMQP_URI"] = own_broker.amqp_uri
    start_services()
    client = Api.for_config(config)
    person_id, first = issue_training_certificate(client)
    wait_for(lambda: portfolio_numbers(client, person_id) == [first], message="the first certificate")
    try:
        own_broker.stop_app()
        during = client.get("/api/v1/organisations")
        assert during.status_code in (503, 504)
    finally:
        own_broker.start_app()

    attempts = itertools.count(1)

    def issue_again() -> tuple[str, str] | None:
        # Organisation names are unique: an attempt that got halfway must not block the next one.
        try:
            return issue_training_certificate(client, f"重庆市工业学校第{next(attempts)}分校")
        except AssertionError:
            return None

    person_after, second = wait_for(issue_again, timeout=60, interval=0.5, message="issuing after the restart")
    wait_for(
        lambda: portfolio_numbers(client, person_after) == [second],
        timeout=30,
        message="the certificate issued after the restart in the portfolio",
    )
    assert portfolio_numbers(client, person_id) == [first]
    assert machine_broker_survived(), "the machine's own broker was stopped while this test ran"
