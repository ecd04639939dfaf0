"""An outside subscriber with only kombu and the AsyncAPI document receives every certificate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from amqp.exceptions import NotFound
from kombu import Connection

from services.contracts.asyncapi import asyncapi_document
from tests.interface.test_slice import register_school, register_student
from tests.support.events import publish_message
from tests.support.waiting import wait_for

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "certificate_subscriber.py"
QUEUE = "student-records.certificates"
BATCH = 100


def queue_depth(amqp_uri: str, name: str) -> int | None:
    """How many messages wait in the queue; None while it does not exist."""
    with Connection(amqp_uri) as connection:
        try:
            return connection.default_channel.queue_declare(queue=name, passive=True).message_count
        except NotFound:
            return None


def test_asyncapi_document_is_served_publicly(api, config):
    response = api.get("/asyncapi.json", role=None)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == asyncapi_document(config["AMQP_URI"])


def test_standalone_subscriber_receives_and_validates_a_batch_of_certificates(api, config, tmp_path):
    uri = config["AMQP_URI"]
    out, err = tmp_path / "stdout.jsonl", tmp_path / "stderr.log"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        # -I: no PYTHONPATH, no current directory on the path; only what a subscriber would install.
        subscriber = subprocess.Popen(
            [
                sys.executable,
                "-I",
                str(EXAMPLE),
                "--contract",
                f"{api.base_url}/asyncapi.json",
                "--amqp-uri",
                uri,
                "--queue",
                QUEUE,
                "--max-messages",
                str(BATCH + 1),
                "--idle-timeout",
                "20",
            ],
            stdout=stdout,
            stderr=stderr,
            cwd=tmp_path,
        )
    try:
        wait_for(
            lambda: queue_depth(uri, QUEUE) is not None or subscriber.poll() is not None,
            timeout=20,
            message="the subscriber's queue",
        )
        assert subscriber.poll() is None, err.read_text()

        school = register_school(api)
        person = register_student(api, school["id"])
        numbers = set()
        for serial in range(BATCH):
            response = api.post(
                "/api/v1/certificates",
                json={
                    "kind": "training_completion",
                    "holder_id": person["id"],
                    "issuer_id": school["id"],
                    "title": f"网络搭建与应用 师资培训 第{serial + 1}期",
                },
            )
            assert response.status_code == 201, response.text
            numbers.add(response.json()["number"])
        # a message no certificate_issued can look like
        publish_message(
            config,
            "certificates",
            "certificate_issued",
            {"event_type": "certificate_issued", "data": {"number": "forged"}},
            message_id="forged-1",
        )

        wait_for(lambda: subscriber.poll() is not None, timeout=60, message="the subscriber to stop")
    finally:
        if subscriber.poll() is None:
            subscriber.kill()
    assert subscriber.returncode == 0, err.read_text()

    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    recorded = [line for line in lines if line["status"] == "recorded"]
    rejected = [line for line in lines if line["status"] == "rejected"]
    assert len(recorded) == BATCH and {line["number"] for line in recorded} == numbers
    assert len({line["event_id"] for line in recorded}) == BATCH
    assert all(line["holder_id"] == person["id"] for line in recorded)
    assert len(rejected) == 1 and rejected[0]["parked_in"] == f"{QUEUE}.invalid"
    assert any("'event_id' is a required property" in problem for problem in rejected[0]["problems"])
    # Acknowledged after processing: nothing left behind; the invalid one is parked, not lost.
    assert queue_depth(uri, QUEUE) == 0
    assert queue_depth(uri, f"{QUEUE}.invalid") == 1
