"""The thin slice through every service, over HTTP against real services."""

from __future__ import annotations

from tests.support.api import create
from tests.support.events import EventTap
from tests.support.waiting import wait_for

SCHOOL = {
    "name": "重庆市渝中职业教育中心",
    "kind": "secondary_vocational_school",
    "region": "重庆",
    "district": "渝中区",
}


def register_school(api, **overrides) -> dict:
    return create(api, "/api/v1/organisations", {**SCHOOL, **overrides})


def register_student(api, organisation_id: str, **overrides) -> dict:
    body = {
        "name": "张三丰",
        "kind": "student",
        "student_number": "2022001",
        "national_id": "11010519491231002X",
        **overrides,
    }
    return create(api, f"/api/v1/organisations/{organisation_id}/people", body)


def test_certificate_reaches_the_persons_portfolio(api):
    school = register_school(api)
    person = register_student(api, school["id"])
    assert person["national_id_masked"] == "1101**********002X"
    assert "national_id" not in person

    response = api.post(
        "/api/v1/certificates",
        json={
            "kind": "training_completion",
            "holder_id": person["id"],
            "issuer_id": school["id"],
            "title": "网络搭建与应用 师资培训",
        },
    )
    assert response.status_code == 201, response.text
    certificate = response.json()
    assert certificate["number"].startswith("TC-")
    assert certificate["status"] == "active"

    def portfolio():
        return api.get(f"/api/v1/people/{person['id']}").json()["certificates"]

    entries = wait_for(portfolio, timeout=10, message="the certificate in the portfolio")
    assert [e["number"] for e in entries] == [certificate["number"]]
    assert entries[0]["status"] == "active"


def test_events_list_and_readiness(api):
    response = api.get("/api/v1/events", role=None)
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}
    ready = api.get("/ready", role=None)
    assert ready.status_code == 200, ready.text
    assert set(ready.json()["services"]) == {"members", "events", "certificates"}
    assert api.get("/health", role=None).json() == {"status": "ok"}


def test_bad_input_is_refused_and_changes_nothing(api):
    school = register_school(api)
    malformed = api.post("/api/v1/organisations", data=b"{not json", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400
    assert malformed.headers["Content-Type"].startswith("application/problem+json")
    missing = api.post("/api/v1/organisations", json={"kind": "enterprise"})
    assert missing.status_code == 400
    assert "name" in missing.json()["errors"]
    unknown_org = api.post(
        "/api/v1/organisations/000000000000000000000000/people", json={"name": "李四", "kind": "teacher"}
    )
    assert unknown_org.status_code == 404
    assert unknown_org.json()["status"] == 404
    bad_id = api.post(
        f"/api/v1/organisations/{school['id']}/people",
        json={"name": "李四", "kind": "student", "national_id": "110105194912310021"},
    )
    assert bad_id.status_code == 400
    assert "national_id" in bad_id.json()["errors"]
    listed = api.get("/api/v1/organisations").json()["items"]
    assert [o["id"] for o in listed] == [school["id"]]


def test_request_id_follows_the_call_into_the_certificate_issued_event(api, config):
    school = register_school(api)
    person = register_student(api, school["id"])
    with EventTap(config, "certificates", "certificate_issued") as tap:
        response = api.post(
            "/api/v1/certificates",
            headers={"X-Request-ID": "trace-cert-42"},
            json={
                "kind": "participation",
                "holder_id": person["id"],
                "issuer_id": school["id"],
                "title": "职业教育活动周 开放日",
            },
        )
        assert response.status_code == 201
        assert response.headers["X-Request-ID"] == "trace-cert-42"

        event = wait_for(tap.drain, timeout=10, message="certificate_issued")[0]
    assert event["correlation_id"] == "trace-cert-42"
    assert event["event_type"] == "certificate_issued" and event["producer"] == "certificates"
    assert event["data"]["number"] == response.json()["number"]
