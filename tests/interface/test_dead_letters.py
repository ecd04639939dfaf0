"""Failing handlers are retried, then dead-lettered; operators list and replay them."""

from __future__ import annotations

import json

import pytest

from services.contracts import build_event
from services.dead_letters import list_dead_letters, purge_dead_letters
from services.messaging import event_handler
from tests.support.cli import alliance
from tests.support.events import publish_event, publish_message
from tests.support.waiting import wait_for

POISONED: set[str] = set()
HANDLED: list[str] = []
ATTEMPTS: dict[str, int] = {}


class Probe:
    """A subscriber whose handler fails, on purpose, for the numbers in POISONED."""

    name = "probe"

    @event_handler("certificates", "certificate_issued")
    def record(self, event: dict) -> None:
        number = event["data"]["number"]
        ATTEMPTS[number] = ATTEMPTS.get(number, 0) + 1
        if number in POISONED:
            raise RuntimeError(f"cannot record {number}")
        HANDLED.append(number)


@pytest.fixture(autouse=True)
def clean_state():
    POISONED.clear()
    HANDLED.clear()
    ATTEMPTS.clear()


def issued(number: str) -> dict:
    return build_event(
        "certificates",
        "certificate_issued",
        {
            "number": number,
            "kind": "participation",
            "title": "开放日",
            "holder_id": "p1",
            "holder_organisation_id": "o1",
            "issuer_id": "o1",
            "occupation": None,
            "work_type": None,
            "level": None,
            "issued_at": "2026-05-01T08:00:00.000Z",
            "valid_until": None,
            "credential_id": f"https://example.test/{number}",
            "status": "active",
        },
        "trace-1",
    )


def test_poison_event_is_dead_lettered_then_replayed_after_the_fix(start_services, config):
    start_services(Probe, overrides={"EVENT_MAX_ATTEMPTS": 3, "EVENT_RETRY_BASE_SECONDS": 0.05})
    uri = config["AMQP_URI"]
    POISONED.add("PA-2026-000001")
    publish_event(config, issued("PA-2026-000001"))
    for serial in range(2, 5):
        publish_event(config, issued(f"PA-2026-00000{serial}"))

    wait_for(lambda: len(HANDLED) == 3, message="the healthy events")
    letters = wait_for(lambda: list_dead_letters(uri, "probe"), message="the dead letter")
    assert ATTEMPTS["PA-2026-000001"] == 3
    assert len(letters) == 1
    assert letters[0].attempts == 3 and "cannot record PA-2026-000001" in letters[0].error
    assert letters[0].event_type == "certificate_issued"

    listed = alliance("dlq", "list", "probe", "--json", AMQP_URI=uri)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout.splitlines()[0])["attempts"] == 3

    POISONED.clear()
    replayed = alliance("dlq", "replay", "probe", AMQP_URI=uri)
    assert replayed.returncode == 0 and "replayed 1" in replayed.stdout
    wait_for(lambda: "PA-2026-000001" in HANDLED, message="the replayed event")
    assert list_dead_letters(uri, "probe") == []


def test_malformed_messages_are_dead_lettered_and_the_worker_goes_on(start_services, config):
    start_services(Probe, overrides={"EVENT_MAX_ATTEMPTS": 3, "EVENT_RETRY_BASE_SECONDS": 0.05})
    uri = config["AMQP_URI"]
    publish_message(
        config,
        "certificates",
        "certificate_issued",
        b"{not json",
        content_type="application/json",
        content_encoding="utf-8",
    )
    wrong_schema = issued("PA-2026-000009")
    del wrong_schema["data"]["holder_id"]
    publish_event(config, wrong_schema)
    publish_event(config, issued("PA-2026-000010"))

    wait_for(lambda: HANDLED == ["PA-2026-000010"], message="the valid event after the bad ones")
    letters = wait_for(
        lambda: (lambda ls: ls if len(ls) == 2 else None)(list_dead_letters(uri, "probe")), message="two dead letters"
    )
    errors = sorted(letter.error for letter in letters)
    assert any("cannot decode" in error for error in errors)
    assert any("holder_id" in error for error in errors)
    assert ATTEMPTS.get("PA-2026-000009") is None  # never reached the handler

    purged = alliance("dlq", "purge", "probe", AMQP_URI=uri)
    assert purged.returncode == 0 and "purged 2" in purged.stdout
    assert purge_dead_letters(uri, "probe") == 0


def test_quorum_queues_when_configured(start_services, config, infrastructure):
    from urllib.parse import unquote, urlsplit

    from nameko.testing.rabbit import Client as RabbitAdmin

    start_services(
        Probe, overrides={"EVENT_QUEUE_TYPE": "quorum", "EVENT_MAX_ATTEMPTS": 2, "EVENT_RETRY_BASE_SECONDS": 0.05}
    )
    admin = RabbitAdmin(infrastructure.management_uri)
    vhost = unquote(urlsplit(config["AMQP_URI"]).path.lstrip("/"))
    queues = {q["name"]: q.get("type") for q in admin.get_queues(vhost)}
    handler_queue = next(name for name in queues if name.startswith("evt-certificates-certificate_issued"))
    assert queues[handler_queue] == "quorum"
    assert queues["probe.dead-letters"] == "quorum"
    assert queues["probe.retry.1"] == "quorum"

    POISONED.add("PA-2026-000077")
    publish_event(config, issued("PA-2026-000077"))
    publish_event(config, issued("PA-2026-000078"))
    wait_for(lambda: HANDLED == ["PA-2026-000078"], message="the healthy event")
    letters = wait_for(lambda: list_dead_letters(config["AMQP_URI"], "probe"), message="the dead letter")
    assert [letter.attempts for letter in letters] == [2]
