"""Batch handlers on the real broker and database: batches cut by size and time, each event applied
once, a poison event retried and parked alone, a kill between commit and ack, and a flood of one
kind that does not hold up another."""

from __future__ import annotations

import uuid

import eventlet
from kombu import Connection
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcProxy
from pymongo import MongoClient

from events_svc import workflows as events_workflows
from events_svc.service import EventsService
from members_svc.service import MembersService
from services.batching import batch_event_handler
from services.contracts import build_event
from services.dead_letters import list_dead_letters
from services.metrics import EVENTS_CONSUMED, EVENTS_DEAD_LETTERED, EVENTS_RETRIED, WORKER_SECONDS
from services.mongo import PROCESSED_EVENTS
from tests.support.waiting import wait_for

BATCHES: list[list[str]] = []
COMMITTED: list[int] = []


class BatchProbe:
    """A subscriber that records the batches it is handed."""

    name = "batch_probe"

    @batch_event_handler("certificates", "certificate_issued")
    def record(self, events: list[dict]) -> None:
        BATCHES.append([event["data"]["number"] for event in events])


class EventsDyingAfterCommit(EventsService):
    """events_svc whose people handler commits its batch, then hangs until the instance is killed."""

    @batch_event_handler("members", "person_registered")
    def on_person_registered(self, events: list[dict]) -> None:
        events_workflows.record_people(self.repository, events)
        COMMITTED.append(len(events))
        eventlet.sleep(600)


def publish_all(config: dict, envelopes: list[dict]) -> None:
    """Publish envelopes as their producers do, one after the other on one connection."""
    with Connection(config["AMQP_URI"]) as connection:
        producer = connection.Producer(serializer="json")
        for envelope in envelopes:
            exchange = get_event_exchange(envelope["producer"], config)
            producer.publish(
                envelope,
                exchange=exchange,
                routing_key=envelope["event_type"],
                declare=[exchange],
                headers={"event_id": envelope["event_id"]},
                retry=True,
            )


def sample(metric, name: str, **labels: str) -> float:
    """One sample of one of the process's metrics (0 before it is first counted).

    Read from the metric itself: collecting the whole registry would also read the outbox
    gauges of the services earlier tests stopped.
    """
    return next(
        (s.value for family in metric.collect() for s in family.samples if s.name == name and s.labels == labels),
        0.0,
    )


def handled(service: str, source: str, event_type: str) -> dict[str, float]:
    """The process's counts of one handler's messages: consumed, retried, dead-lettered."""
    labels = {"service": service, "source": source, "event_type": event_type}
    return {
        "consumed": sample(EVENTS_CONSUMED, "alliance_events_consumed_total", **labels),
        "retried": sample(EVENTS_RETRIED, "alliance_events_retried_total", **labels),
        "dead_lettered": sample(EVENTS_DEAD_LETTERED, "alliance_events_dead_lettered_total", **labels),
    }


def workers(service: str, entrypoint: str, outcome: str) -> float:
    return sample(
        WORKER_SECONDS,
        "alliance_worker_duration_seconds_count",
        service=service,
        kind="event",
        entrypoint=entrypoint,
        outcome=outcome,
    )


def person_registered(organisation_id: str, serial: int, name: str = "王伟") -> dict:
    return build_event(
        "members",
        "person_registered",
        {
            "person_id": f"batch-person-{uuid.uuid4().hex[:12]}",
            "organisation_id": organisation_id,
            "name": name,
            "kind": "student",
            "student_number": f"2026{serial:05d}",
            "subject_id": f"urn:uuid:{uuid.uuid4()}",
        },
        "batch-trace",
    )


def organisation_updated(organisation_id: str, name: str) -> dict:
    return build_event(
        "members",
        "organisation_updated",
        {
            "organisation_id": organisation_id,
            "name": name,
            "kind": "secondary_vocational_school",
            "region": "重庆",
            "district": None,
            "code": None,
            "accredited_evaluator": False,
            "evaluator": None,
        },
        "batch-trace",
    )


def certificate_issued(number: str, holder_id: str, organisation_id: str) -> dict:
    return build_event(
        "certificates",
        "certificate_issued",
        {
            "number": number,
            "kind": "participation",
            "title": "职业教育活动周",
            "holder_id": holder_id,
            "holder_organisation_id": organisation_id,
            "issuer_id": organisation_id,
            "occupation": None,
            "work_type": None,
            "level": None,
            "issued_at": "2026-05-08T08:00:00.000Z",
            "valid_until": None,
            "credential_id": f"https://example.test/{number}",
            "status": "active",
        },
        "batch-trace",
    )


def database(config: dict, service: str):
    client = MongoClient(config["MONGO_URI"], tz_aware=True)
    return client, client[f"{config['DATABASE_PREFIX']}{service}"]


def test_messages_are_handed_over_in_batches_cut_by_size_then_by_time(start_services, config):
    BATCHES.clear()
    start_services(BatchProbe, overrides={"EVENT_BATCH_SIZE": 10, "EVENT_BATCH_WAIT_MS": 3000})
    numbers = [f"BT-2026-{serial:04d}" for serial in range(25)]
    publish_all(config, [certificate_issued(number, "p-batch", "o-batch") for number in numbers])

    wait_for(lambda: sum(map(len, BATCHES)) >= 25, timeout=30, message="every message in a batch")
    # Two full batches, then the last five once the wait after their first ran out.
    assert sorted(len(batch) for batch in BATCHES) == [5, 10, 10]
    assert sorted(number for batch in BATCHES for number in batch) == numbers
    assert handled("batch_probe", "certificates", "certificate_issued")["consumed"] >= 25


def test_a_batch_of_duplicates_is_applied_once_and_a_redelivered_batch_not_at_all(start_services, config):
    start_services(EventsService, overrides={"EVENT_BATCH_WAIT_MS": 1000})
    client, events_db = database(config, "events")
    people = [person_registered("org-batch-dup", serial) for serial in range(3)]
    before = handled("events", "members", "person_registered")
    ok_workers = workers("events", "on_person_registered", "ok")
    failed_workers = workers("events", "on_person_registered", "error")

    publish_all(config, people + people + people[:1])  # 7 deliveries of 3 events
    wait_for(
        lambda: handled("events", "members", "person_registered")["consumed"] - before["consumed"] >= 7,
        timeout=30,
        message="the 7 deliveries to be acked",
    )
    ids = [envelope["event_id"] for envelope in people]
    person_ids = [envelope["data"]["person_id"] for envelope in people]
    assert events_db.people.count_documents({"_id": {"$in": person_ids}}) == 3
    assert events_db[PROCESSED_EVENTS].count_documents({"_id": {"$in": ids}}) == 3
    # One worker took all 7 and succeeded: the repeats were dropped before the bulk writes, not
    # failed on the unique event id and sorted out one by one.
    assert workers("events", "on_person_registered", "ok") - ok_workers == 1
    assert workers("events", "on_person_registered", "error") == failed_workers

    # A redelivered batch applies nothing: a name changed since survives it.
    events_db.people.update_many({"_id": {"$in": person_ids}}, {"$set": {"name": "未被覆盖"}})
    acked = handled("events", "members", "person_registered")["consumed"]
    publish_all(config, people)
    wait_for(
        lambda: handled("events", "members", "person_registered")["consumed"] - acked >= 3,
        timeout=30,
        message="the redelivered batch to be acked",
    )
    assert sorted(p["name"] for p in events_db.people.find({"_id": {"$in": person_ids}})) == ["未被覆盖"] * 3
    assert events_db[PROCESSED_EVENTS].count_documents({"_id": {"$in": ids}}) == 3
    client.close()


def test_a_poison_event_among_good_ones_is_retried_and_dead_lettered_alone(start_services, config):
    start_services(
        MembersService,
        overrides={"EVENT_MAX_ATTEMPTS": 3, "EVENT_RETRY_BASE_SECONDS": 0.05, "EVENT_BATCH_WAIT_MS": 500},
    )
    with ClusterRpcProxy({"AMQP_URI": config["AMQP_URI"]}, timeout=30) as proxy:
        school = proxy.members.register_organisation(
            {"name": "重庆市两江职业教育中心", "kind": "secondary_vocational_school"}
        )
        students = proxy.members.register_people(
            school["id"], {"people": [{"name": name, "kind": "student"} for name in ("张伟", "李娜", "刘洋", "陈静")]}
        )["items"]
    good = [
        certificate_issued(f"PB-2026-{serial:04d}", student["id"], school["id"])
        for serial, student in enumerate(students)
    ]
    poison = certificate_issued("PB-2026-9999", "nobody-registered", school["id"])
    before = handled("members", "certificates", "certificate_issued")

    publish_all(config, [*good[:2], poison, *good[2:]])
    letters = wait_for(
        lambda: list_dead_letters(config["AMQP_URI"], "members"), timeout=30, message="the poison event parked"
    )
    after = handled("members", "certificates", "certificate_issued")

    assert len(letters) == 1
    assert letters[0].attempts == 3 and "nobody-registered" in letters[0].error
    assert '"PB-2026-9999"' in letters[0].body
    assert after["consumed"] - before["consumed"] == 4
    assert after["retried"] - before["retried"] == 2
    assert after["dead_lettered"] - before["dead_lettered"] == 1
    client, members_db = database(config, "members")
    for envelope in good:
        person = members_db.people.find_one({"_id": envelope["data"]["holder_id"]})
        assert [c["number"] for c in person["certificates"]] == [envelope["data"]["number"]]
    assert members_db[PROCESSED_EVENTS].count_documents({"event_type": "certificates.certificate_issued"}) == 4
    client.close()


def test_an_instance_killed_between_commit_and_ack_applies_nothing_twice(start_services, config, runners):
    COMMITTED.clear()
    start_services(EventsDyingAfterCommit, overrides={"EVENT_BATCH_WAIT_MS": 1000})
    client, events_db = database(config, "events")
    people = [person_registered("org-batch-kill", serial) for serial in range(5)]
    person_ids = [envelope["data"]["person_id"] for envelope in people]

    publish_all(config, people)
    wait_for(lambda: sum(COMMITTED) >= 5, timeout=30, message="the batch to be committed")
    assert events_db.people.count_documents({"_id": {"$in": person_ids}}) == 5
    runners[-1].kill()  # the batch's messages were never acked

    events_db.people.update_many({"_id": {"$in": person_ids}}, {"$set": {"name": "已改名"}})
    before = handled("events", "members", "person_registered")["consumed"]
    start_services(EventsService)
    wait_for(
        lambda: handled("events", "members", "person_registered")["consumed"] - before >= 5,
        timeout=30,
        message="the unacked batch to be redelivered and acked",
    )
    assert sorted(p["name"] for p in events_db.people.find({"_id": {"$in": person_ids}})) == ["已改名"] * 5
    ids = [envelope["event_id"] for envelope in people]
    assert events_db[PROCESSED_EVENTS].count_documents({"_id": {"$in": ids}}) == 5
    client.close()


def test_a_flood_of_people_does_not_hold_up_an_organisation_change(start_services, config):
    start_services(EventsService)
    client, events_db = database(config, "events")
    flood = [person_registered("org-batch-flood", serial, name="李娜") for serial in range(2000)]
    publish_all(config, flood)
    publish_all(config, [organisation_updated("org-batch-other", "重庆市工业学校")])

    wait_for(
        lambda: events_db.organisations.find_one({"_id": "org-batch-other", "name": "重庆市工业学校"}),
        timeout=30,
        message="the organisation change to be applied",
    )
    # Applied while part of the flood, all published before it, was still waiting.
    assert events_db.people.count_documents({"organisation_id": "org-batch-flood"}) < 2000

    wait_for(
        lambda: events_db.people.count_documents({"organisation_id": "org-batch-flood"}) == 2000,
        timeout=180,
        interval=0.5,
        message="the whole flood to be applied",
    )
    assert events_db[PROCESSED_EVENTS].count_documents({"event_type": "members.person_registered"}) == 2000
    client.close()
