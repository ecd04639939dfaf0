"""Outages of the database and the broker: clear answers meanwhile, recovery without restarts."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from alliance.embedded_db import EmbeddedDatabase, free_port
from tests.support.api import Api
from tests.support.waiting import wait_for


def issue_training_certificate(client: Api) -> tuple[str, str]:
    school = client.post(
        "/api/v1/organisations", json={"name": "重庆市工业学校", "kind": "secondary_vocational_school"}
    )
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
        _, second = issue_training_certificate(client)
        listed = client.get("/api/v1/certificates?limit=200").json()["items"]
        assert sorted(c["number"] for c in listed) == sorted([number, second])
    finally:
        database.stop()


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


@pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="needs a local RabbitMQ to stop and start")
def test_broker_restart_during_issuance_every_event_delivered_once(start_services, config, infrastructure):
    if infrastructure.kind != "local":
        pytest.skip("stops the broker: only against the local RabbitMQ")
    start_services()
    client = Api.for_config(config)
    person_id, first = issue_training_certificate(client)
    wait_for(lambda: portfolio_numbers(client, person_id) == [first], message="the first certificate")
    try:
        rabbitmqctl("stop_app")
        during = client.get("/api/v1/organisations")
        assert during.status_code in (503, 504)
    finally:
        rabbitmqctl("start_app")
        rabbitmqctl("await_startup")

    def issue_again() -> str | None:
        try:
            return issue_training_certificate(client)
        except AssertionError:
            return None

    person_after, second = wait_for(issue_again, timeout=60, interval=0.5, message="issuing after the restart")
    wait_for(
        lambda: portfolio_numbers(client, person_after) == [second],
        timeout=30,
        message="the certificate issued after the restart in the portfolio",
    )
    assert portfolio_numbers(client, person_id) == [first]
