"""The scenarios of `make bench`, each with its floor measured in the same run."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests
from kombu import Connection, Exchange, Queue

from alliance.embedded_db import database_credentials, database_uri, free_port
from bench.load import closed_loop, percentile
from bench.stack import Stack
from services.outbox import OUTBOX, BatchPublisher, OutboxRelay
from services.waiting import wait_until

COHORT_SIZE = 2114
COHORT_PASSED = 2063
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"


def person_name(i: int) -> str:
    return SURNAMES[i % 20] + GIVEN[(i // 20) % 20] + GIVEN[(i // 400) % 20]


class Client:
    def __init__(self, stack: Stack) -> None:
        self.url = stack.url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {stack.token('--role', 'alliance_admin')}"

    def post(self, path: str, body: dict) -> dict:
        response = self.session.post(self.url + path, json=body, timeout=300)
        if response.status_code >= 300:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")
        return response.json()

    def get(self, path: str) -> dict:
        response = self.session.get(self.url + path, timeout=60)
        response.raise_for_status()
        return response.json()


# People per registration call, well inside the RPC timeout.
REGISTER_CHUNK = 250


def register_people(client: Client, school: str, people: list[dict[str, Any]]) -> list[str]:
    """Register ``people`` (PersonCreate bodies) in ``school`` a chunk per call; their ids, in order."""
    return [
        person["id"]
        for start in range(0, len(people), REGISTER_CHUNK)
        for person in client.post(
            f"/api/v1/organisations/{school}/people/batch", {"people": people[start : start + REGISTER_CHUNK]}
        )["items"]
    ]


def stored_template(stack: Stack, client: Client, holder_id: str, issuer_id: str) -> dict[str, Any]:
    """One certificate issued as users issue it (a real signed credential), as stored: the
    template :func:`certificate_copies` copies."""
    template = client.post(
        "/api/v1/certificates",
        {
            "kind": "skill_level",
            "holder_id": holder_id,
            "issuer_id": issuer_id,
            "title": "网络与信息安全管理员 四级/中级工 职业技能等级证书",
            "occupation": "网络与信息安全管理员",
            "level": 4,
        },
    )
    return stack.mongo["alliance_certificates"]["certificates"].find_one({"_id": template["number"]})


def certificate_copies(
    repository: Any, template: dict[str, Any], count: int, chunk: int, holder: Callable[[int], dict[str, Any]]
) -> Iterator[list[dict[str, Any]]]:
    """``count`` copies of a stored, signed certificate in chunks, each with its own number, status slot
    and list position drawn as issuance draws them, and the holder fields ``holder(i)`` gives."""
    first_index = repository.reserve_status_indices(count)
    first_position = repository.reserve_positions(count)
    for start in range(0, count, chunk):
        copies = []
        for i in range(start, min(start + chunk, count)):
            number = f"{template['number'][:-6]}{100_000 + i:06d}"
            certificate = copy.deepcopy(template)
            certificate.update(
                _id=number, number=number, status_index=first_index + i, position=first_position + i, **holder(i)
            )
            certificate["credential"]["id"] = f"urn:bench:{number}"
            copies.append(certificate)
        yield copies


def prepare_cohort(stack: Stack, client: Client, size: int = COHORT_SIZE) -> dict[str, Any]:
    """An accredited evaluator and a cohort of ``size`` students, known to every read model of people."""
    school = client.post(
        "/api/v1/organisations",
        {
            "name": "武隆职业教育中心",
            "kind": "secondary_vocational_school",
            "region": "重庆",
            "accredited_evaluator": True,
            "evaluator": {"type": "S", "code": "5001", "province": "50", "site": "000123"},
        },
    )

    cohort = [{"name": person_name(i), "kind": "student", "student_number": f"2022{i:05d}"} for i in range(size)]
    commands = stack.database_commands_by_kind()
    started = time.monotonic()
    registered = client.post(f"/api/v1/organisations/{school['id']}/people/batch", {"people": cohort})["items"]
    people = [(person["id"], person["name"]) for person in registered]
    holders = stack.mongo["alliance_certificates"]["holders"]
    wait_until(
        lambda: holders.count_documents({"organisation_id": school["id"]}) >= size,
        600,
        "certificates_svc to know every holder",
    )
    events_people = stack.mongo["alliance_events"]["people"]
    wait_until(
        lambda: events_people.count_documents({"organisation_id": school["id"]}) >= size,
        600,
        "events_svc to know every person",
    )
    seconds = time.monotonic() - started
    spent = {
        kind: count - commands.get(kind, 0)
        for kind, count in stack.database_commands_by_kind().items()
        if count > commands.get(kind, 0)
    }
    registration = {
        "seconds": seconds,
        "people": len(people),
        "db_commands_per_person": sum(spent.values()) / len(people),
        # Where the round trips went: the consumers' batches, and every poll of the relays and timers meanwhile.
        "db_commands": dict(sorted(spent.items(), key=lambda item: -item[1])),
    }
    return {"school": school, "people": people, "registration": registration}


def registration_floor(stack: Stack, cohort: dict[str, Any]) -> dict[str, Any]:
    """The cohort's people documents inserted raw with bare pymongo, as the floor of registering them."""
    documents = list(stack.mongo["alliance_members"]["people"].find({"_id": {"$in": [p for p, _ in cohort["people"]]}}))
    target = stack.mongo["bench_floor"]["people"]
    target.drop()
    started = time.monotonic()
    target.insert_many(documents, ordered=False)
    return {"seconds": time.monotonic() - started, "documents": len(documents)}


def portfolio_total(stack: Stack) -> int:
    """Certificate events members_svc has applied to portfolios (a cheap count, polled often)."""
    return stack.mongo["alliance_members"]["processed_events"].estimated_document_count()


def run_cohort(stack: Stack, client: Client, cohort: dict[str, Any]) -> dict[str, Any]:
    """One assessment through the gateway until every certificate is in members' portfolios."""
    before = portfolio_total(stack)
    results = [
        {"person_id": pid, "passed": i < COHORT_PASSED, "score": 85 if i < COHORT_PASSED else 40}
        for i, (pid, _) in enumerate(cohort["people"])
    ]
    commands = stack.database_commands()
    started = time.monotonic()
    job = client.post(
        "/api/v1/assessments",
        {
            "issuer_id": cohort["school"]["id"],
            "occupation": "网络与信息安全管理员",
            "level": 4,
            "assessed_on": "2022-06-30",
            "external_ref": f"bench-{time.time_ns()}",
            "results": results,
        },
    )
    progress: list[tuple[float, int]] = []

    def finished() -> bool:
        state = client.get(f"/api/v1/jobs/{job['id']}")
        progress.append((round(time.monotonic() - started, 2), state["done"]))
        return state["status"] in ("done", "failed")

    wait_until(finished, 600, "the assessment job", interval=0.2)
    job_seconds = time.monotonic() - started
    wait_until(lambda: portfolio_total(stack) - before >= COHORT_PASSED, 600, "every portfolio update", interval=0.25)
    elapsed = time.monotonic() - started
    issued = stack.mongo["alliance_certificates"]["certificates"].count_documents(
        {"issuer_id": cohort["school"]["id"], "kind": "skill_level"}
    )
    return {
        "seconds": elapsed,
        "job_seconds": job_seconds,
        "certificates": issued,
        # Every service's commands from the request until the last portfolio update, per certificate.
        "db_commands_per_certificate": (stack.database_commands() - commands) / COHORT_PASSED,
        "throughput_per_s": COHORT_PASSED / elapsed,
        "progress_samples": progress[:: max(1, len(progress) // 8)],
    }


def cohort_floor(stack: Stack, amqp_uri: str) -> dict[str, Any]:
    """The same documents inserted with bare pymongo; messages of the same size through bare kombu."""
    source = stack.mongo["alliance_certificates"]
    documents = list(source["certificates"].find({"kind": "skill_level"}).limit(COHORT_PASSED))
    envelopes = [
        r["envelope"] for r in source["outbox"].find({"event_type": "certificate_issued"}).limit(COHORT_PASSED)
    ]
    target = stack.mongo["bench_floor"]["certificates"]
    target.drop()
    started = time.monotonic()
    target.insert_many(documents, ordered=False)
    insert_seconds = time.monotonic() - started

    exchange = Exchange("bench.floor", type="topic", durable=True)
    queue = Queue("bench.floor", exchange, routing_key="certificate_issued", durable=True)
    received = 0
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        queue(channel).declare()
        producer = connection.Producer(channel)
        channel.confirm_select()
        started = time.monotonic()
        for envelope in envelopes:
            producer.publish(
                envelope, exchange=exchange, routing_key="certificate_issued", serializer="json", delivery_mode=2
            )

        def on_message(body, message) -> None:
            nonlocal received
            received += 1
            message.ack()

        with connection.Consumer(queue, callbacks=[on_message], prefetch_count=10):
            while received < len(envelopes):
                connection.drain_events(timeout=10)
        messaging_seconds = time.monotonic() - started
    total = insert_seconds + messaging_seconds
    return {
        "seconds": total,
        "insert_seconds": insert_seconds,
        "messaging_seconds": messaging_seconds,
        "documents": len(documents),
        "messages": len(envelopes),
        "throughput_per_s": len(documents) / total,
    }


def verify_load(stack: Stack, client: Client, cohort: dict[str, Any], seconds: float) -> dict[str, Any]:
    names = dict(cohort["people"])
    certificates = list(
        stack.mongo["alliance_certificates"]["certificates"]
        .find({"kind": "skill_level"}, {"number": 1, "holder_id": 1})
        .limit(500)
    )
    targets = [(c["number"], names[c["holder_id"]]) for c in certificates]
    sample = client.session.get(
        f"{stack.url}/api/v1/verify/{targets[0][0]}", params={"name": targets[0][1]}, timeout=30
    )
    if sample.status_code != 200:
        raise RuntimeError(f"verify answered {sample.status_code}: {sample.text[:200]}")
    return closed_loop(
        lambda i: f"{stack.url}/api/v1/verify/{targets[i % len(targets)][0]}?name={targets[i % len(targets)][1]}",
        16,
        seconds,
    )


def verify_floor(stack: Stack, amqp_uri: str, workdir: Path, seconds: float) -> dict[str, Any]:
    source = stack.mongo["alliance_certificates"]["certificates"]
    floor_db = stack.mongo["bench_verify_floor"]["certificates"]
    floor_db.drop()
    floor_db.insert_many(list(source.find({"kind": "skill_level"}, {"credential": 0}).limit(500)))
    numbers = [d["_id"] for d in floor_db.find({}, {"_id": 1})]
    port = free_port()
    config = workdir / "floor.yaml"
    config.write_text(
        json.dumps(
            {
                "AMQP_URI": amqp_uri,
                "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
                "max_workers": 10,
                # The embedded server requires the credentials `alliance up` generated.
                "FLOOR_MONGO_URI": database_uri(stack.db_port, database_credentials(stack.workdir / "var")),
                "FLOOR_DATABASE": "bench_verify_floor",
            }
        )
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "nameko", "run", "--config", str(config), "bench.floor_services"],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, PYTHONWARNINGS="ignore"),
    )
    try:
        url = f"http://127.0.0.1:{port}/verify/"

        def answers() -> bool:
            try:
                return requests.get(url + numbers[0], timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(answers, 60, "the floor services", interval=0.2)
        return closed_loop(lambda i: url + numbers[i % len(numbers)], 16, seconds)
    finally:
        process.terminate()
        process.wait(30)


def fan_out(stack: Stack, client: Client, cohort: dict[str, Any], rate: int, seconds: float) -> dict[str, Any]:
    """Issue ``rate`` certificates a second; latency from commit to members' portfolio update."""
    school = cohort["school"]["id"]
    people = [pid for pid, _ in cohort["people"]]
    total = int(rate * seconds)
    started = time.monotonic()
    marker = time.time()

    def issue(i: int) -> None:
        due = started + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        client.post(
            "/api/v1/certificates",
            {
                "kind": "training_completion",
                "holder_id": people[i % len(people)],
                "issuer_id": school,
                "title": f"师资培训 第{i}期",
            },
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(issue, range(total)))
    send_seconds = time.monotonic() - started
    outbox = stack.mongo["alliance_certificates"]["outbox"]
    processed = stack.mongo["alliance_members"]["processed_events"]
    since = datetime.fromtimestamp(marker, timezone.utc)
    committed = {
        r["_id"]: r["created_at"]
        for r in outbox.find({"event_type": "certificate_issued", "created_at": {"$gte": since}}, {"created_at": 1})
    }
    wait_until(
        lambda: processed.count_documents({"_id": {"$in": list(committed)}}) >= len(committed),
        120,
        "members_svc to record every certificate",
    )
    latencies = [
        (r["processed_at"] - committed[r["_id"]]).total_seconds() * 1000
        for r in processed.find({"_id": {"$in": list(committed)}}, {"processed_at": 1})
    ]
    return {
        "issued": len(committed),
        "achieved_rate_per_s": total / send_seconds,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies) if latencies else float("nan"),
    }


def process_stats(pids: dict[str, list[int]]) -> dict[str, list[dict[str, float]]]:
    """RSS (MB) and CPU seconds of each service process."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[str, list[dict[str, float]]] = {}
    for service, ids in pids.items():
        for pid in ids:
            status = Path(f"/proc/{pid}/status").read_text()
            rss_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / ticks
            stats.setdefault(service, []).append({"pid": pid, "rss_mb": rss_kb / 1024, "cpu_s": cpu})
    return stats


class ConfirmEachMessage(BatchPublisher):
    """The relay's publishing before batches: one wait for the broker's confirm per message."""

    def publish(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            super().publish([message])


def relay_throughput(stack: Stack, amqp_uri: str, records: int = 2000) -> dict[str, Any]:
    """Outbox records drained by the relay, confirms awaited once per batch versus once per message.

    Both runs use the stack's database and broker and the same claim and bulk marking; only the
    waiting for confirms differs.
    """
    figures: dict[str, Any] = {"records": records}
    # A durable queue takes the messages, so the broker persists them before it confirms.
    queue = Queue("bench.relayed", Exchange("bench.events", type="topic", durable=True), "bench_relayed", durable=True)
    with Connection(amqp_uri) as connection:
        queue(connection.channel()).declare()
    for mode, publisher in (("per_batch", BatchPublisher(amqp_uri)), ("per_message", ConfirmEachMessage(amqp_uri))):
        database = stack.mongo[f"bench_relay_{mode}"]
        database.drop_collection(OUTBOX)
        database[OUTBOX].create_index([("status", 1), ("created_at", 1)])
        now = datetime.now(timezone.utc)
        database[OUTBOX].insert_many(
            [
                {
                    "_id": f"{mode}-{i}",
                    "event_type": "bench_relayed",
                    "envelope": {
                        "event_id": f"{mode}-{i}",
                        "event_type": "bench_relayed",
                        "producer": "bench",
                        "data": {"n": i},
                    },
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now,
                }
                for i in range(records)
            ]
        )
        relay = OutboxRelay(database, {"AMQP_URI": amqp_uri, "DATABASE_PREFIX": "bench_relay_"})
        relay.publisher = publisher
        started = time.monotonic()
        while relay.relay_once():
            pass
        seconds = time.monotonic() - started
        publisher.close()
        figures[mode] = {"seconds": seconds, "per_s": records / seconds}
        stack.mongo.drop_database(database.name)
    with Connection(amqp_uri) as connection:
        queue(connection.channel()).delete()
    return figures
