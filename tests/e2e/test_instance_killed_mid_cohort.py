"""Fault test: one of two certificates instances is SIGKILLed in the middle of a cohort."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import requests
from pymongo import MongoClient

from alliance.embedded_db import free_port
from tests.support.system import RunningSystem, descendants
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e

CANDIDATES, PASSED = 2114, 2063


def certificates_instances(root: int) -> list[int]:
    found = []
    for pid in descendants(root):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            continue
        if b"alliance.runner" in cmdline and b"certificates" in cmdline:
            found.append(pid)
    return found


def test_sigkill_of_one_instance_mid_cohort_loses_and_doubles_nothing(system_env, tmp_path):
    # A short lease so the survivor takes over the dead instance's chunk soon; if the kill
    # left a transaction open, taking over waits for the server to abort it (60 s).
    env = dict(system_env, JOB_LEASE_SECONDS="10", JOB_CHUNK_SIZE="100")
    system = RunningSystem(env, free_port(), tmp_path / "up.log", "--scale", "certificates=2")
    mongo: MongoClient | None = None
    try:
        system.wait_ready()
        mongo = system.database()
        session = requests.Session()
        session.headers.update(system.admin())
        wait_for(lambda: len(certificates_instances(system.process.pid)) == 2, message="two instances")

        school = session.post(
            f"{system.url}/api/v1/organisations",
            timeout=30,
            json={
                "name": "武隆职业教育中心",
                "kind": "secondary_vocational_school",
                "accredited_evaluator": True,
                "evaluator": {"type": "S", "code": "5001", "province": "50", "site": "000123"},
            },
        ).json()
        cohort = [
            {"name": f"学生{i:04d}", "kind": "student", "student_number": f"2022{i:05d}"} for i in range(CANDIDATES)
        ]
        people = session.post(
            f"{system.url}/api/v1/organisations/{school['id']}/people/batch", timeout=120, json={"people": cohort}
        ).json()["items"]
        holders = mongo["alliance_certificates"]["holders"]
        wait_for(lambda: holders.count_documents({}) >= CANDIDATES, timeout=120, message="the holders read model")
        job = session.post(
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
        ).json()

        def job_state() -> dict:
            return session.get(f"{system.url}/api/v1/jobs/{job['id']}", timeout=30).json()

        wait_for(
            lambda: 0 < job_state()["done"] < CANDIDATES, timeout=120, interval=0.1, message="the job to be part-way"
        )
        victim = certificates_instances(system.process.pid)[0]
        os.kill(victim, signal.SIGKILL)

        finished = wait_for(
            lambda: (lambda s: s if s["status"] == "done" else None)(job_state()),
            timeout=300,
            interval=0.5,
            message="the job to finish",
        )
        assert (finished["done"], finished["failed"]) == (CANDIDATES, 0)
        certificates = mongo["alliance_certificates"]["certificates"]
        numbers = [c["number"] for c in certificates.find({"kind": "skill_level"}, {"number": 1})]
        assert len(numbers) == PASSED and len(set(numbers)) == PASSED
        assert len({c["holder_id"] for c in certificates.find({}, {"holder_id": 1})}) == PASSED

        def portfolio_total() -> int:
            rows = list(
                mongo["alliance_members"]["people"].aggregate(
                    [{"$project": {"n": {"$size": "$certificates"}}}, {"$group": {"_id": None, "n": {"$sum": "$n"}}}]
                )
            )
            return rows[0]["n"] if rows else 0

        wait_for(lambda: portfolio_total() >= PASSED, timeout=180, interval=1, message="every portfolio")
        assert portfolio_total() == PASSED
    finally:
        if mongo is not None:
            mongo.close()
        assert system.stop() == 0
