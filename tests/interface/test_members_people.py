"""People over HTTP: student numbers, the write-only national ID, and the certificate portfolio."""

from __future__ import annotations

import hashlib
import json
import logging
import stat
from pathlib import Path

import pytest
from nameko.testing.services import entrypoint_hook
from nameko.testing.utils import get_container
from pymongo import MongoClient

from members_svc.service import MembersService
from services.contracts import build_event
from tests.interface.test_members_memberships import school, serve_members
from tests.support.api import Api, create
from tests.support.events import EventTap, publish_event
from tests.support.waiting import wait_for

NATIONAL_ID = "11010519491231002X"
# The check digit is wrong: refused, and never echoed either.
MALFORMED_NATIONAL_ID = "110105194912310021"


@pytest.fixture
def api(start_services, config) -> Api:
    return serve_members(start_services, config)[1]


def people_path(organisation_id: str) -> str:
    return f"/api/v1/organisations/{organisation_id}/people"


def test_student_numbers_are_unique_within_an_organisation(api):
    wulong = school(api, "武隆职业教育中心")
    linshui = school(api, "四川邻水职业中学", region="四川")
    own = {"role": "org_admin", "org": wulong["id"]}
    first = create(
        api, people_path(wulong["id"]), {"name": "李明", "kind": "student", "student_number": "2022001"}, **own
    )

    duplicate = api.post(
        people_path(wulong["id"]), json={"name": "王芳", "kind": "student", "student_number": "2022001"}, **own
    )
    assert duplicate.status_code == 409
    assert "student_number" in duplicate.json()["errors"]
    create(api, people_path(linshui["id"]), {"name": "王芳", "kind": "student", "student_number": "2022001"})
    researcher = create(
        api, people_path(wulong["id"]), {"name": "陈静", "kind": "researcher", "position": "part_time_researcher"}
    )
    assert researcher["position"] == "part_time_researcher"
    positioned_student = api.post(
        people_path(wulong["id"]), json={"name": "赵强", "kind": "student", "position": "full_time_researcher"}
    )
    assert positioned_student.status_code == 400
    assert "position" in positioned_student.json()["errors"]

    listed = api.get(people_path(wulong["id"]), params={"limit": 1}, **own).json()
    assert [p["id"] for p in listed["items"]] == [first["id"]]
    rest = api.get(people_path(wulong["id"]), params={"cursor": listed["next_cursor"]}, **own).json()
    assert [p["id"] for p in rest["items"]] == [researcher["id"]]
    assert rest["next_cursor"] is None
    assert api.get(people_path(wulong["id"]), role="org_admin", org=linshui["id"]).status_code == 403
    assert api.get(people_path("000000000000000000000000")).status_code == 404


def test_the_national_id_is_stored_as_a_keyed_hash_that_recognises_a_repeat(api, config):
    organisations = [school(api, "巫山县职业教育中心"), school(api, "奉节县职业教育中心")]
    ids = []
    # The same person may belong to two organisations (a student placed with an enterprise).
    for organisation, name, typed in zip(
        organisations, ("张三丰", "张三"), (NATIONAL_ID, NATIONAL_ID.lower()), strict=True
    ):
        registered = api.post(
            people_path(organisation["id"]),
            json={"name": name, "kind": "student", "national_id": typed},
            role="org_admin",
            org=organisation["id"],
        )
        assert registered.status_code == 201, registered.text
        ids.append(registered.json()["id"])

    people = MongoClient(config["MONGO_URI"])[f"{config['DATABASE_PREFIX']}members"]["people"]
    first, second = (people.find_one({"_id": person_id}) for person_id in ids)
    assert first["identity"] == second["identity"]
    assert set(first["identity"]) == {"digest"}
    digest = first["identity"]["digest"]
    assert digest.startswith("hmac-sha256$")
    assert digest.partition("$")[2] != hashlib.sha256(NATIONAL_ID.encode()).hexdigest()
    assert NATIONAL_ID not in json.dumps(first, default=str)
    key_file = Path(config["DATA_DIR"]) / "identity-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_national_id_never_leaves_in_responses_events_or_logs(api, config, caplog):
    caplog.set_level(logging.DEBUG)
    with EventTap(config, "members") as members_events:
        organisation = school(api, "巫溪县职业教育中心")
        own = {"role": "org_admin", "org": organisation["id"]}
        responses = []

        registered = api.post(
            people_path(organisation["id"]),
            json={"name": "张三丰", "kind": "student", "student_number": "2022001", "national_id": NATIONAL_ID.lower()},
            **own,
        )
        responses.append(registered)
        assert registered.status_code == 201, registered.text
        person = registered.json()
        assert person["national_id_masked"] == "1101**********002X"
        assert "national_id" not in person

        malformed = api.post(
            people_path(organisation["id"]),
            json={"name": "李四", "kind": "teacher", "national_id": MALFORMED_NATIONAL_ID},
            **own,
        )
        responses.append(malformed)
        assert malformed.status_code == 400
        assert "national_id" in malformed.json()["errors"]

        responses.append(api.get(f"/api/v1/people/{person['id']}", **own))
        responses.append(api.get(people_path(organisation["id"]), **own))
        assert all(r.status_code == 200 for r in responses[2:])
        assert responses[-1].json()["items"][0]["national_id_masked"] == "1101**********002X"

        events = wait_for(
            lambda: members_events.of_type("person_registered"), message="person_registered on members.events"
        )
        assert [e["data"]["person_id"] for e in events] == [person["id"]]
        assert events[0]["schema_version"] == "2.0"
        assert not {"identity_hash", "identity_salt"} & set(events[0]["data"])
        assert events[0]["data"]["subject_id"].startswith("urn:uuid:")

    published = json.dumps(members_events.received, ensure_ascii=False)
    answered = "\n".join(r.text for r in responses)
    assert caplog.records, "the services' log output was captured"
    for leaked in (NATIONAL_ID, NATIONAL_ID.lower(), NATIONAL_ID[:17], MALFORMED_NATIONAL_ID):
        assert leaked not in answered
        assert leaked not in published
        assert leaked not in caplog.text


def test_portfolio_follows_certificate_events_and_ignores_redelivery(start_services, config):
    runner, api = serve_members(start_services, config)
    organisation = school(api, "重庆市两江职业教育中心")
    person = create(
        api, people_path(organisation["id"]), {"name": "刘洋", "kind": "student", "student_number": "2022017"}
    )
    number = "S000150000123221000001"
    issued = build_event(
        "certificates",
        "certificate_issued",
        {
            "number": number,
            "kind": "skill_level",
            "title": "网络与信息安全管理员 四级/中级工",
            "holder_id": person["id"],
            "holder_organisation_id": organisation["id"],
            "issuer_id": organisation["id"],
            "occupation": "网络与信息安全管理员",
            "work_type": None,
            "level": 4,
            "issued_at": "2022-06-30T08:00:00.000Z",
            "valid_until": None,
            "credential_id": f"urn:uuid:{person['id']}",
            "status": "active",
        },
        "request-1",
    )
    revoked = build_event(
        "certificates",
        "certificate_status_changed",
        {
            "number": number,
            "holder_id": person["id"],
            "old_status": "active",
            "new_status": "revoked",
            "reason": "考核材料不实",
            "changed_at": "2022-09-01T08:00:00.000Z",
        },
        "request-2",
    )

    def portfolio() -> list[dict]:
        return api.get(f"/api/v1/people/{person['id']}").json()["certificates"]

    publish_event(config, issued)
    entries = wait_for(portfolio, message="the issued certificate in the portfolio")
    assert [(e["number"], e["status"], e["level"]) for e in entries] == [(number, "active", 4)]
    publish_event(config, revoked)
    entries = wait_for(
        lambda: portfolio()[0]["status"] == "revoked" and portfolio(), message="the revocation in the portfolio"
    )
    assert entries[0]["status_reason"] == "考核材料不实"

    before = api.get(f"/api/v1/people/{person['id']}").json()
    container = get_container(runner, MembersService)
    with entrypoint_hook(container, "on_certificate_issued") as deliver_issued:
        deliver_issued([issued])
        deliver_issued([issued, issued])
    with entrypoint_hook(container, "on_certificate_status_changed") as deliver_status:
        deliver_status(revoked)
    assert api.get(f"/api/v1/people/{person['id']}").json() == before


def test_a_cohort_is_registered_all_at_once_or_not_at_all(api, config):
    wulong = school(api, "武隆职业教育中心")
    batch = f"{people_path(wulong['id'])}/batch"
    own = {"role": "org_admin", "org": wulong["id"]}
    cohort = [{"name": f"学生{i}", "kind": "student", "student_number": f"2022{i:03d}"} for i in range(3)]
    cohort[1]["national_id"] = NATIONAL_ID

    with EventTap(config, "members") as tap:
        created = api.post(batch, json={"people": cohort}, **own)
        assert created.status_code == 201, created.text
        people = created.json()["items"]
        assert [p["student_number"] for p in people] == ["2022000", "2022001", "2022002"]
        assert people[1]["national_id_masked"] == "1101**********002X"
        events = wait_for(
            lambda: (lambda found: found if len(found) == 3 else None)(tap.of_type("person_registered")),
            message="three person_registered events",
        )
    assert {e["data"]["person_id"] for e in events} == {p["id"] for p in people}
    assert NATIONAL_ID not in json.dumps(events) + created.text

    repeated_inside = api.post(
        batch,
        json={
            "people": [
                {"name": "甲", "kind": "student", "student_number": "2023001"},
                {"name": "乙", "kind": "student", "student_number": "2023001"},
            ]
        },
        **own,
    )
    assert repeated_inside.status_code == 409
    taken = api.post(
        batch,
        json={
            "people": [
                {"name": "丙", "kind": "student", "student_number": "2023002"},
                {"name": "丁", "kind": "student", "student_number": "2022000"},
            ]
        },
        **own,
    )
    assert taken.status_code == 409
    malformed = api.post(
        batch,
        json={
            "people": [
                {"name": "戊", "kind": "student"},
                {"name": "己", "kind": "student", "national_id": MALFORMED_NATIONAL_ID},
            ]
        },
        **own,
    )
    assert malformed.status_code == 400
    assert "/people/1/national_id" in malformed.json()["errors"]
    assert MALFORMED_NATIONAL_ID not in malformed.text
    assert api.post(batch, json={"people": cohort}, role="org_admin", org="elsewhere").status_code == 403

    listed = api.get(people_path(wulong["id"]), params={"limit": 200}).json()["items"]
    assert len(listed) == 3


def test_an_id_number_in_a_student_number_or_name_is_refused_without_being_repeated(api, caplog):
    caplog.set_level(logging.DEBUG)
    organisation = school(api, "巫山县职业教育中心")
    own = {"role": "org_admin", "org": organisation["id"]}
    refused = [
        api.post(
            people_path(organisation["id"]),
            json={"name": "李明", "kind": "student", "student_number": f"G{MALFORMED_NATIONAL_ID}"},
            **own,
        ),
        api.post(people_path(organisation["id"]), json={"name": f"李明{NATIONAL_ID}", "kind": "student"}, **own),
        api.post(
            f"{people_path(organisation['id'])}/batch",
            json={"people": [{"name": "王芳", "kind": "student", "student_number": f"G{NATIONAL_ID.lower()}"}]},
            **own,
        ),
        api.post(
            "/api/v1/organisations", json={"name": f"{NATIONAL_ID} 职业学校", "kind": "secondary_vocational_school"}
        ),
    ]
    assert [r.status_code for r in refused] == [400, 400, 400, 400]
    assert refused[0].json()["errors"] == {"student_number": ["must not contain an ID number"]}
    assert api.get(people_path(organisation["id"]), **own).json()["items"] == []
    said = "\n".join(r.text for r in refused) + caplog.text
    for leaked in (MALFORMED_NATIONAL_ID, NATIONAL_ID, NATIONAL_ID.lower()):
        assert leaked not in said


def test_a_duplicate_student_number_is_refused_without_repeating_it(api, caplog):
    # The level the services run at; at DEBUG the database driver logs whole documents.
    caplog.set_level(logging.INFO)
    organisation = school(api, "城口县职业教育中心")
    own = {"role": "org_admin", "org": organisation["id"]}
    create(api, people_path(organisation["id"]), {"name": "李明", "kind": "student", "student_number": "S2022-0417"})
    again = api.post(
        people_path(organisation["id"]),
        json={"name": "王芳", "kind": "student", "student_number": "S2022-0417"},
        **own,
    )
    twice = api.post(
        f"{people_path(organisation['id'])}/batch",
        json={
            "people": [
                {"name": "赵六", "kind": "student", "student_number": "S2023-0099"},
                {"name": "钱七", "kind": "student", "student_number": "S2023-0099"},
            ]
        },
        **own,
    )
    assert [again.status_code, twice.status_code] == [409, 409]
    said = again.text + twice.text + caplog.text
    for personal in ("S2022-0417", "S2023-0099", "王芳", "赵六", "钱七"):
        assert personal not in said
