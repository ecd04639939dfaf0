"""Every event the system published, delivered a second time, changes nothing anywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY
from pymongo import MongoClient

from services.messaging import ReliableEventHandler
from services.mongo import PROCESSED_EVENTS
from services.outbox import OUTBOX
from tests.support.api import ok
from tests.support.events import publish_event
from tests.support.schedule import move_into_the_past
from tests.support.waiting import wait_for

PRODUCERS = ("members", "events", "certificates")


def consumed_total() -> float:
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "alliance_events_consumed"
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


def snapshot(client: MongoClient, prefix: str) -> dict[str, list[dict]]:
    """Every effect the services keep: all their collections but the outbox and the processed-event log."""
    state = {}
    for service in PRODUCERS:
        database = client[f"{prefix}{service}"]
        for name in sorted(database.list_collection_names()):
            if name not in (OUTBOX, PROCESSED_EVENTS) and not name.startswith("system."):
                state[f"{service}.{name}"] = list(database[name].find().sort("_id", 1))
    return state


def run_every_flow(api) -> None:
    alliance = ok(api.post("/api/v1/alliances", json={"name": "成渝教研联盟", "region": "川渝"}), 201)
    school = ok(
        api.post(
            "/api/v1/organisations", json={"name": "重庆市渝中职业教育中心", "kind": "secondary_vocational_school"}
        ),
        201,
    )
    ok(api.request("PATCH", f"/api/v1/organisations/{school['id']}", json={"district": "渝中区"}))
    membership = ok(
        api.post(
            f"/api/v1/alliances/{alliance['id']}/memberships", json={"organisation_id": school["id"], "role": "lead"}
        ),
        201,
    )
    ok(api.post(f"/api/v1/memberships/{membership['id']}/approve"))
    people = ok(
        api.post(
            f"/api/v1/organisations/{school['id']}/people/batch",
            json={"people": [{"name": "张伟", "kind": "student"}, {"name": "李娜", "kind": "student"}]},
        ),
        201,
    )["items"]
    ids = [p["id"] for p in people]
    starts = datetime.now(UTC) + timedelta(days=30)
    event = ok(
        api.post(
            "/api/v1/events",
            json={
                "alliance_id": alliance["id"],
                "organiser_id": school["id"],
                "kind": "skills_competition",
                "title": "网络搭建与应用",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=8)).isoformat(),
                "registration_closes_at": (starts - timedelta(days=1)).isoformat(),
                "team_size_min": 2,
                "team_size_max": 2,
            },
        ),
        201,
    )
    ok(api.post(f"/api/v1/events/{event['id']}/publish"))

    def registered():
        response = api.post(
            f"/api/v1/events/{event['id']}/registrations",
            json={"organisation_id": school["id"], "person_ids": ids, "team_name": "渝中一队"},
        )
        return response.json() if response.status_code == 201 else None

    registration = wait_for(registered, message="events_svc to know the member and its people")
    ok(api.post(f"/api/v1/events/{event['id']}/close"))
    move_into_the_past(api, event["id"])
    ok(
        api.post(
            f"/api/v1/events/{event['id']}/results",
            json={"results": [{"registration_id": registration["id"], "score": 98, "rank": 1, "award": "first_prize"}]},
        ),
        201,
    )
    training = ok(
        api.post(
            "/api/v1/certificates",
            json={"kind": "training_completion", "holder_id": ids[0], "issuer_id": school["id"], "title": "师资培训"},
        ),
        201,
    )
    ok(api.post(f"/api/v1/certificates/{training['number']}/revoke", json={"reason": "issued in error"}))

    def portfolios_complete() -> bool:
        first = api.get(f"/api/v1/people/{ids[0]}").json()["certificates"]
        second = api.get(f"/api/v1/people/{ids[1]}").json()["certificates"]
        return sorted(c["status"] for c in first) == ["active", "revoked"] and [c["kind"] for c in second] == [
            "competition_award"
        ]

    wait_for(portfolios_complete, timeout=20, message="every certificate in the portfolios")
    ok(api.request("PATCH", f"/api/v1/people/{ids[1]}", json={"name": "李娜娜", "reason": "typo in the roster"}))


def test_redelivering_every_published_event_changes_nothing(api, config, runners):
    run_every_flow(api)
    client = MongoClient(config["MONGO_URI"], tz_aware=True)
    prefix = config["DATABASE_PREFIX"]
    wait_for(
        lambda: all(
            client[f"{prefix}{s}"][OUTBOX].count_documents({"status": {"$ne": "sent"}}) == 0 for s in PRODUCERS
        ),
        message="every outbox to be relayed",
    )
    # Relayed is not yet consumed: the last event of the flows (the rename) reaches both read models.
    wait_for(
        lambda: (
            client[f"{prefix}events"]["people"].count_documents({"name": "李娜娜"}) == 1
            and client[f"{prefix}certificates"]["holders"].count_documents({"name": "李娜娜"}) == 1
        ),
        message="the rename in events' and certificates' copies of the person",
    )
    handlers = [
        (e.source_service, e.event_type)
        for container in runners[-1].containers
        for e in container.entrypoints
        if isinstance(e, ReliableEventHandler)
    ]
    envelopes = [
        record["envelope"] for s in PRODUCERS for record in client[f"{prefix}{s}"][OUTBOX].find({"status": "sent"})
    ]
    expected = sum(handlers.count((e["producer"], e["event_type"])) for e in envelopes)
    published_types = {f"{e['producer']}.{e['event_type']}" for e in envelopes}
    assert {f"{source}.{event_type}" for source, event_type in handlers} <= published_types

    before_state = snapshot(client, prefix)
    before_count = consumed_total()
    for envelope in envelopes:
        publish_event(
            config, envelope, message_id=envelope["event_id"], headers={"nameko.request_id": envelope["correlation_id"]}
        )
    wait_for(
        lambda: consumed_total() - before_count >= expected,
        timeout=30,
        message=f"{expected} redeliveries to be handled",
    )
    assert snapshot(client, prefix) == before_state
    client.close()
