"""Fault test: the broker node that leads the queues dies in the middle of a cohort.

The test starts a three-node RabbitMQ cluster of its own (tests/support/broker_cluster.py), runs
`alliance up` against all three addresses with quorum queues, and kills the node leading the
queues while the assessment job is part-way. The services fail over to the surviving nodes and
the quorum queues elect new leaders: nothing is lost and nothing is issued twice.
"""

from __future__ import annotations

import pytest
import requests

from alliance.embedded_db import free_port
from tests.support.broker_cluster import broker_cluster
from tests.support.broker_node import scripts_dir
from tests.support.system import RunningSystem, system_environment
from tests.support.waiting import wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(scripts_dir() is None, reason="needs a local RabbitMQ installation to start a cluster"),
]

CANDIDATES, PASSED = 2114, 2063


def test_losing_the_leading_broker_node_mid_cohort_loses_and_doubles_nothing(tmp_path):
    with broker_cluster(tmp_path / "rabbitmq") as cluster:
        # Replicated queues answer more slowly than one node's: the 2,114-person batch gets time.
        env = dict(
            system_environment(cluster.amqp_uri, tmp_path / "var"), EVENT_QUEUE_TYPE="quorum", RPC_TIMEOUT_SECONDS="60"
        )
        system = RunningSystem(env, free_port(), tmp_path / "up.log")
        mongo = None
        try:
            system.wait_ready()
            mongo = system.database()
            session = requests.Session()
            session.headers.update(system.admin())

            school_response = session.post(
                f"{system.url}/api/v1/organisations",
                timeout=30,
                json={
                    "name": "武隆职业教育中心",
                    "kind": "secondary_vocational_school",
                    "accredited_evaluator": True,
                    "evaluator": {"type": "S", "code": "5001", "province": "50", "site": "000123"},
                },
            )
            assert school_response.status_code == 201, school_response.text
            school = school_response.json()
            cohort = [
                {"name": f"学生{i:04d}", "kind": "student", "student_number": f"2022{i:05d}"} for i in range(CANDIDATES)
            ]
            registered = session.post(
                f"{system.url}/api/v1/organisations/{school['id']}/people/batch", timeout=120, json={"people": cohort}
            )
            assert registered.status_code == 201, registered.text
            people = registered.json()["items"]
            holders = mongo["alliance_certificates"]["holders"]
            # Generous deadlines: on a loaded two-core machine three broker nodes and the stack compete.
            wait_for(lambda: holders.count_documents({}) >= CANDIDATES, timeout=600, message="the holders read model")

            leaders = cluster.queue_leaders()
            assert {"rpc-certificates", "rpc-members"} <= set(leaders), leaders
            assert any(name.startswith("evt-") for name in leaders), leaders

            job_response = session.post(
                f"{system.url}/api/v1/assessments",
                timeout=60,
                json={
                    "issuer_id": school["id"],
                    "occupation": "网络与信息安全管理员",
                    "level": 4,
                    "assessed_on": "2022-06-30",
                    "external_ref": "WL-2022-NET",
                    "results": [
                        {"person_id": p["id"], "passed": i < PASSED, "score": 80 if i < PASSED else 40}
                        for i, p in enumerate(people)
                    ],
                },
            )
            assert job_response.status_code == 202, job_response.text
            job = job_response.json()

            def job_state() -> dict | None:
                response = session.get(f"{system.url}/api/v1/jobs/{job['id']}", timeout=30)
                # While the services fail over, the gateway answers 503/504; ask again.
                return response.json() if response.status_code == 200 else None

            wait_for(
                lambda: (state := job_state()) is not None and 0 < state["done"] < CANDIDATES,
                timeout=300,
                interval=0.1,
                message="the job to be part-way",
            )
            leader = cluster.leading_node()
            leader.kill()

            finished = wait_for(
                lambda: (state := job_state()) is not None and state["status"] == "done" and state,
                timeout=600,
                interval=0.5,
                message="the job to finish",
            )
            assert (finished["done"], finished["failed"]) == (CANDIDATES, 0)
            assert leader.name not in cluster.queue_leaders().values()

            certificates = mongo["alliance_certificates"]["certificates"]
            numbers = [c["number"] for c in certificates.find({"kind": "skill_level"}, {"number": 1})]
            assert len(numbers) == PASSED and len(set(numbers)) == PASSED
            assert len({c["holder_id"] for c in certificates.find({}, {"holder_id": 1})}) == PASSED

            def portfolio_entries() -> list[str]:
                return [
                    entry["number"]
                    for person in mongo["alliance_members"]["people"].find({}, {"certificates.number": 1})
                    for entry in person.get("certificates", [])
                ]

            wait_for(lambda: len(portfolio_entries()) >= PASSED, timeout=300, interval=1, message="every portfolio")
            entries = portfolio_entries()
            assert len(entries) == PASSED and sorted(entries) == sorted(numbers)
        finally:
            if mongo is not None:
                mongo.close()
            assert system.stop() == 0
