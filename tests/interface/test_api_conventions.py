"""The README's API conventions over answers sampled from a running stack.

Every sampled answer's instants are RFC 3339 UTC with ``Z``; every error is a problem whose
title is the reason phrase and whose ``errors`` are lists keyed by field name or JSON Pointer;
every nullable property of a resource is present. The OpenAPI side is tests/contracts.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime, timedelta, timezone

import requests

from tests.interface.test_certificates import register_evaluator
from tests.interface.test_certificates_jobs import finished_job
from tests.support.api import Api, create, ok
from tests.support.conventions import TIMESTAMP, problem_violations, timestamp_violations, timestamps
from tests.support.events import EventTap
from tests.support.waiting import wait_for

NATIONAL_ID = "11010519491231002X"
CST = timezone(timedelta(hours=8))


def nullable_properties(openapi: dict, component: str) -> set[str]:
    properties = openapi["components"]["schemas"][component]["properties"]
    return {
        name
        for name, spec in properties.items()
        if spec.get("nullable") or any(option.get("nullable") for option in spec.get("anyOf", []))
    }


def sample_resources(api: Api) -> dict[str, tuple[str, list[dict]]]:
    """Resources of every service, as the API answers them: name → (OpenAPI component, bodies)."""
    alliance = create(api, "/api/v1/alliances", {"name": "成渝地区教研联盟"})
    evaluator = register_evaluator(api)
    school = create(api, "/api/v1/organisations", {"name": "武隆职业教育中心", "kind": "secondary_vocational_school"})
    membership = create(
        api, f"/api/v1/alliances/{alliance['id']}/memberships", {"organisation_id": school["id"], "role": "member"}
    )
    approved = ok(api.post(f"/api/v1/memberships/{membership['id']}/approve", json={}))
    student = create(
        api,
        f"/api/v1/organisations/{evaluator['id']}/people",
        {"name": "张三丰", "kind": "student", "national_id": NATIONAL_ID},
    )
    bare = create(api, f"/api/v1/organisations/{evaluator['id']}/people", {"name": "李四", "kind": "teacher"})
    starts = (datetime.now(CST) + timedelta(days=30)).replace(hour=9, minute=0, second=0, microsecond=123456)
    event = create(
        api,
        "/api/v1/events",
        {
            "alliance_id": alliance["id"],
            "organiser_id": evaluator["id"],
            "kind": "open_day",
            "title": "校园开放日",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=8)).isoformat(),
        },
    )
    certificate = create(
        api,
        "/api/v1/certificates",
        {"kind": "training_completion", "holder_id": student["id"], "issuer_id": evaluator["id"], "title": "师资培训"},
    )
    suspended = ok(api.post(f"/api/v1/certificates/{certificate['number']}/suspend", json={"reason": "核查中"}))
    items = [{**BATCH_ITEM, "issuer_id": evaluator["id"], "holder_id": h} for h in (bare["id"], "nobody")]
    batch = {"issuer_id": evaluator["id"], "items": items}
    job = finished_job(api, ok(api.post("/api/v1/certificates/batch", json=batch), 202)["id"])
    verified = ok(api.get(f"/api/v1/verify/{certificate['number']}", params={"name": "张三丰"}, role=None))
    people = ok(api.get(f"/api/v1/organisations/{evaluator['id']}/people"))["items"]
    return {
        "alliance": ("MembersAlliance", [alliance]),
        "organisation": ("MembersOrganisation", [school, evaluator]),
        "membership": ("Membership", [membership, approved]),
        "person": ("MembersPerson", [student, bare, *people, ok(api.get(f"/api/v1/people/{student['id']}"))]),
        "event": ("EventsEvent", [event, ok(api.post(f"/api/v1/events/{event['id']}/publish", json={}))]),
        "certificate": ("CertificatesCertificate", [certificate, suspended]),
        "job": ("CertificatesJob", [job]),
        "verification": ("CertificatesVerification", [verified]),
    }


BATCH_ITEM = {"kind": "training_completion", "title": "双师型教师培训"}
# What publishing the sampled resources announces, one event type of each producer at least.
PUBLISHED = {
    "organisation_registered",
    "membership_changed",
    "person_registered",
    "event_published",
    "certificate_issued",
    "certificate_status_changed",
    "batch_completed",
}


def test_sampled_answers_keep_the_conventions(api, config):
    openapi = ok(api.get("/openapi.json", role=None))
    with ExitStack() as taps:
        producers = [taps.enter_context(EventTap(config, name)) for name in ("members", "events", "certificates")]
        resources = sample_resources(api)

        def every_kind_published() -> list[dict] | None:
            found = [event for tap in producers for event in tap.drain()]
            return found if PUBLISHED <= {event["event_type"] for event in found} else None

        published = wait_for(every_kind_published, message="the sampled resources' events")

    for name, (component, bodies) in resources.items():
        nullable = nullable_properties(openapi, component)
        for body in bodies:
            assert timestamp_violations(body) == [], (name, body)
            assert nullable <= set(body), (name, nullable - set(body))
    assert len([stamp for _, bodies in resources.values() for stamp in timestamps(bodies)]) > 25
    event = resources["event"][1][0]
    assert event["starts_at"].endswith(".123Z"), event["starts_at"]  # microseconds cut to milliseconds, in UTC
    assert event["description"] is None and event["capacity"] is None
    assert resources["person"][1][1]["updated_at"] is None  # never corrected, yet present

    for envelope in published:
        assert timestamp_violations(envelope) == [], envelope
        assert TIMESTAMP.match(envelope["occurred_at"]), envelope


def error_samples(api: Api) -> dict[str, requests.Response]:
    evaluator = register_evaluator(api)["id"]
    other = create(api, "/api/v1/organisations", {"name": "重庆宗申集团", "kind": "enterprise"})["id"]
    people = f"/api/v1/organisations/{evaluator}/people"
    create(api, people, {"name": "王五", "kind": "student", "student_number": "2022001"})
    theirs = create(api, f"/api/v1/organisations/{other}/people", {"name": "赵六", "kind": "student"})["id"]
    certificate = create(
        api,
        "/api/v1/certificates",
        {"kind": "participation", "holder_id": theirs, "issuer_id": other, "title": "开放日"},
    )
    ok(api.post(f"/api/v1/certificates/{certificate['number']}/revoke", json={"reason": "错发"}))
    cohort = {"people": [{"name": "甲", "kind": "student"}, {"name": "乙", "kind": "student", "national_id": "1"}]}
    return {
        "nested field": api.post(f"{people}/batch", json=cohort),
        "unknown field": api.post(people, json={"name": "丙", "kind": "student", "colour": "red"}),
        "malformed JSON": api.post(people, data=b"{", headers={"Content-Type": "application/json"}),
        "media type": api.post(people, data=b"name=x", headers={"Content-Type": "text/plain"}),
        "no token": api.get(people, role=None),
        "other school": api.get(people, role="org_admin", org=other),
        "unknown person": api.get("/api/v1/people/000000000000000000000000"),
        "unknown route": api.get("/api/v1/nowhere"),
        "method": api.request("PUT", "/api/v1/organisations"),
        "duplicate": api.post(people, json={"name": "王五", "kind": "student", "student_number": "2022001"}),
        "transition": api.post(f"/api/v1/certificates/{certificate['number']}/reinstate", json={}),
        "issuance": api.post(
            "/api/v1/certificates",
            json={"kind": "participation", "holder_id": theirs, "issuer_id": evaluator, "title": "开放日"},
            role="org_admin",
            org=evaluator,
        ),
    }


def test_sampled_errors_are_problems_with_lists_keyed_by_field_or_pointer(api):
    samples = error_samples(api)

    statuses = {name: response.status_code for name, response in samples.items()}
    assert statuses == {
        "nested field": 400,
        "unknown field": 400,
        "malformed JSON": 400,
        "media type": 415,
        "no token": 401,
        "other school": 403,
        "unknown person": 404,
        "unknown route": 404,
        "method": 405,
        "duplicate": 409,
        "transition": 409,
        "issuance": 403,
    }
    for name, response in samples.items():
        body = response.json()
        assert problem_violations(response.status_code, response.headers["Content-Type"], body) == [], (name, body)
    assert list(samples["nested field"].json()["errors"]) == ["/people/1/national_id"]
    assert samples["unknown field"].json()["errors"] == {"colour": ["Unknown field."]}
    assert samples["duplicate"].json()["errors"] == {"student_number": ["already registered in this organisation"]}
    transition = samples["transition"].json()
    assert transition["detail"] == "cannot reinstate a certificate that is revoked"
    assert (transition["current_state"], transition["allowed_actions"]) == ("revoked", [])
    issuance = samples["issuance"].json()
    assert issuance["missing_rules"] == ["own_people", "event_participants", "alliance_admin"]
    assert list(issuance["errors"]) == ["holder_id"]
