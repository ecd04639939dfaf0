"""Certificates in bulk: assessments and batches as jobs, attainment statistics, awards from results."""

from __future__ import annotations

import time

import pytest

from certificates_svc.repository import HOLDERS
from services.contracts import build_event
from services.mongo import connect, database_name
from tests.interface.test_certificates import register_evaluator, register_person
from tests.support.api import Api, all_items, create
from tests.support.events import publish_event
from tests.support.waiting import wait_for

CANDIDATES = 2_114
PASSED = 2_063


def wait_until_certificates_know(config: dict, count: int) -> None:
    """Wait for certificates_svc's read model of members' people to hold ``count`` people, so the
    assessment is submitted once the cohort's 2,114 ``person_registered`` have been applied."""
    client = connect(str(config["MONGO_URI"]))
    try:
        holders = client[database_name(config, "certificates")][HOLDERS]
        wait_for(
            lambda: holders.count_documents({}) >= count, timeout=240, message="certificates_svc to know the cohort"
        )
    finally:
        client.close()


@pytest.fixture
def api(start_services, config) -> Api:
    # Registering or assessing 2,114 people in one call took over 15 s under the whole suite's
    # load on a 2-core machine; these calls get a longer deadline than the suite's default.
    start_services(overrides={"RPC_TIMEOUT_SECONDS": 25})
    return Api.for_config(config)


def register_cohort(api: Api, organisation_id: str, size: int) -> list[str]:
    people = [{"name": f"学生{i:04d}", "kind": "student", "student_number": f"2022{i:05d}"} for i in range(size)]
    created = create(api, f"/api/v1/organisations/{organisation_id}/people/batch", {"people": people})
    return [person["id"] for person in created["items"]]


def all_certificates(api: Api) -> list[dict]:
    return all_items(lambda query: api.get("/api/v1/certificates", params=query).json())


def finished_job(api: Api, job_id: str, snapshots: list[dict] | None = None, timeout: float = 60) -> dict:
    def finished():
        job = api.get(f"/api/v1/jobs/{job_id}").json()
        if snapshots is not None:
            snapshots.append(job)
        return job if job["status"] in ("done", "failed") else None

    return wait_for(finished, timeout=timeout, interval=0.2, message=f"job {job_id} to finish")


def test_a_cohort_assessment_issues_each_pass_once_and_gives_the_attainment_rate(api, config):
    school = register_evaluator(api)
    people = register_cohort(api, school["id"], CANDIDATES)
    wait_until_certificates_know(config, CANDIDATES)
    assessment = {
        "issuer_id": school["id"],
        "occupation": "网络与信息安全管理员",
        "level": 4,
        "assessed_on": "2022-06-18",
        "external_ref": "YZ-2022-06",
        "results": [
            {"person_id": person_id, "passed": i < PASSED, "score": 90.0 if i < PASSED else 40.5}
            for i, person_id in enumerate(people)
        ],
    }

    started = time.monotonic()
    submitted = api.post("/api/v1/assessments", json=assessment, role="org_admin", org=school["id"])
    assert submitted.status_code == 202, submitted.text
    assert submitted.json()["status"] == "queued"
    assert submitted.json()["total"] == CANDIDATES
    snapshots: list[dict] = []
    job = finished_job(api, submitted.json()["id"], snapshots, timeout=240)
    duration = time.monotonic() - started

    assert job["status"] == "done"
    assert (job["done"], job["failed"], job["issued"]) == (CANDIDATES, 0, PASSED)
    assert any(s["status"] == "running" and 0 < s["done"] < CANDIDATES for s in snapshots)
    print(f"\n{CANDIDATES}-candidate assessment finished in {duration:.1f} s")
    certificates = all_certificates(api)
    assert len(certificates) == PASSED
    assert len({c["number"] for c in certificates}) == PASSED
    assert {c["holder_id"] for c in certificates} == set(people[:PASSED])
    assert all(c["number"].startswith("S500150000123") and c["number"][15] == "4" for c in certificates)

    stats = api.get(
        "/api/v1/stats/attainment",
        params={"organisation_id": school["id"], "year": 2022},
        role="org_admin",
        org=school["id"],
    ).json()
    assert (stats["assessed"], stats["certified"], stats["attainment_rate"]) == (CANDIDATES, PASSED, 0.976)
    assert stats["by_occupation_and_level"] == [
        {
            "occupation": "网络与信息安全管理员",
            "level": 4,
            "assessed": CANDIDATES,
            "certified": PASSED,
            "attainment_rate": 0.976,
        }
    ]

    resent = api.post("/api/v1/assessments", json=assessment)
    assert resent.status_code == 202
    again = finished_job(api, resent.json()["id"], timeout=240)
    assert (again["issued"], again["already_issued"], again["failed"]) == (0, PASSED, 0)
    assert len(all_certificates(api)) == PASSED
    same = api.get("/api/v1/stats/attainment", params={"organisation_id": school["id"], "year": 2022}).json()
    assert (same["assessed"], same["certified"]) == (CANDIDATES, PASSED)


def test_a_batch_issues_the_rest_when_one_holder_is_unknown_and_a_resend_issues_nothing(api):
    school = register_evaluator(api)
    people = [register_person(api, school["id"], name=n)["id"] for n in ("王小明", "李四")]
    item = {"kind": "training_completion", "issuer_id": school["id"], "title": "网络搭建与应用 师资培训"}
    batch = {
        "issuer_id": school["id"],
        "items": [
            {**item, "holder_id": people[0]},
            {**item, "holder_id": "000000000000000000000000"},
            {**item, "holder_id": people[1]},
        ],
    }

    job = finished_job(api, api.post("/api/v1/certificates/batch", json=batch).json()["id"])

    assert (job["status"], job["total"], job["done"], job["failed"], job["issued"]) == ("done", 3, 2, 1, 2)
    assert job["errors"] == [
        {
            "index": 1,
            "pointer": "/items/1/holder_id",
            "holder_id": "000000000000000000000000",
            "error": "000000000000000000000000 is not a registered person",
        }
    ]
    assert sorted(c["holder_id"] for c in all_certificates(api)) == sorted(people)

    resent = finished_job(api, api.post("/api/v1/certificates/batch", json=batch).json()["id"])
    assert (resent["issued"], resent["already_issued"], resent["failed"]) == (0, 2, 1)
    assert len(all_certificates(api)) == 2

    other_issuer = api.post(
        "/api/v1/certificates/batch",
        json={**batch, "items": [{**item, "issuer_id": "elsewhere", "holder_id": people[0]}]},
    )
    assert other_issuer.status_code == 400
    assert "/items/0/issuer_id" in other_issuer.json()["errors"]
    forbidden = api.post(
        "/api/v1/assessments",
        role="org_admin",
        org="elsewhere",
        json={
            "issuer_id": school["id"],
            "occupation": "电工",
            "level": 5,
            "assessed_on": "2022-06-18",
            "results": [{"person_id": people[0], "passed": True}],
        },
    )
    assert forbidden.status_code == 403


def publish_results(config: dict, data: dict) -> None:
    publish_event(config, build_event("events", "results_published", data, None))


def test_competition_winners_get_award_certificates_and_a_correction_changes_only_what_changed(api, config):
    school = register_evaluator(api)
    p1, p2, p3, p4 = (register_person(api, school["id"], name=n)["id"] for n in ("王一", "王二", "王三", "王四"))
    results = {
        "event_id": "ev-1",
        "alliance_id": "al-1",
        "organiser_id": school["id"],
        "kind": "skills_competition",
        "title": "网络搭建与应用 技能大赛",
        "skill": "网络搭建与应用",
        "ends_at": "2026-05-20T10:00:00Z",
        "revision": 1,
        "results": [
            {
                "registration_id": "r1",
                "organisation_id": school["id"],
                "person_ids": [p1, p2],
                "team_name": "渝中一队",
                "score": 96.5,
                "rank": 1,
                "award": "first_prize",
            },
            {
                "registration_id": "r2",
                "organisation_id": school["id"],
                "person_ids": [p3],
                "team_name": None,
                "score": 70.0,
                "rank": 5,
                "award": "participation",
            },
            {
                "registration_id": "r3",
                "organisation_id": school["id"],
                "person_ids": [p4],
                "team_name": None,
                "score": 10.0,
                "rank": 9,
                "award": "none",
            },
        ],
    }

    publish_results(config, results)
    first = wait_for(
        lambda: len(all_certificates(api)) == 3 and all_certificates(api), message="award certificates for the winners"
    )

    by_holder = {c["holder_id"]: c for c in first}
    assert set(by_holder) == {p1, p2, p3}
    assert by_holder[p1]["kind"] == by_holder[p2]["kind"] == "competition_award"
    assert by_holder[p1]["title"] == "网络搭建与应用 技能大赛 团体一等奖"
    assert by_holder[p1]["issuer_id"] == school["id"]
    assert by_holder[p3]["kind"] == "participation" and by_holder[p3]["number"].startswith("PA-")

    corrected = {
        **results,
        "revision": 2,
        "results": [results["results"][0], {**results["results"][1], "award": "third_prize"}, results["results"][2]],
    }
    publish_results(config, corrected)
    second = wait_for(lambda: len(all_certificates(api)) == 4 and all_certificates(api), message="the corrected award")

    numbers = {c["number"]: c for c in second}
    assert numbers[by_holder[p3]["number"]]["status"] == "revoked"
    replacement = next(c["number"] for c in second if c["holder_id"] == p3 and c["status"] == "active")
    superseded = api.get(f"/api/v1/verify/{by_holder[p3]['number']}", params={"name": "王三"}, role=None).json()
    assert superseded["valid"] is False
    assert superseded["status"] == "superseded"
    assert superseded["replaced_by"] == replacement
    assert superseded["public_reason"] == "results corrected (revision 2)"
    assert superseded["reason_category"] == "results_corrected"
    assert superseded["status_changed_at"] == numbers[by_holder[p3]["number"]]["status_changed_at"]
    successor = api.get(f"/api/v1/verify/{replacement}", params={"name": "王三"}, role=None).json()
    assert (successor["status"], successor["replaced_by"]) == ("active", None)
    assert numbers[by_holder[p1]["number"]]["status"] == "active"
    assert numbers[by_holder[p2]["number"]]["status"] == "active"
    new = [c for c in second if c["number"] not in {f["number"] for f in first}]
    assert [(c["holder_id"], c["title"]) for c in new] == [(p3, "网络搭建与应用 技能大赛 三等奖")]

    publish_results(config, results)  # a stale revision arriving late changes nothing
    publish_results(config, {**corrected, "event_id": "ev-2", "revision": 1, "results": []})
    wait_for(lambda: api.get("/ready", role=None).status_code == 200, message="services ready")
    assert len(all_certificates(api)) == 4
