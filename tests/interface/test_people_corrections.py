"""Correcting and archiving people over HTTP: history, ``person_updated`` and its consumers."""

from __future__ import annotations

import json

import pytest
from pymongo import MongoClient

from certificates_svc.service import CertificatesService
from gateway.service import GatewayService
from members_svc.service import MembersService
from tests.interface.test_members_memberships import school, serve_members
from tests.interface.test_members_people import NATIONAL_ID, people_path
from tests.support.api import Api, create, ok
from tests.support.events import EventTap
from tests.support.waiting import wait_for

# Another valid GB 11643 number (its check character is right), re-entered as a correction.
CORRECTED_NATIONAL_ID = "110105194912310038"


@pytest.fixture
def api(start_services, config) -> Api:
    return serve_members(start_services, config)[1]


def person_path(person_id: str) -> str:
    return f"/api/v1/people/{person_id}"


def test_a_person_is_corrected_with_history_and_person_updated(api, config):
    with EventTap(config, "members") as members_events:
        organisation = school(api, "重庆市渝北职业教育中心")
        other = school(api, "重庆市巴南职业教育中心")
        own = {"role": "org_admin", "org": organisation["id"]}
        person = create(
            api,
            people_path(organisation["id"]),
            {"name": "张三丰", "kind": "student", "student_number": "2022001", "national_id": NATIONAL_ID},
            **own,
        )
        create(api, people_path(organisation["id"]), {"name": "李明", "kind": "student", "student_number": "2022002"})

        correction = {"name": "张三峰", "national_id": CORRECTED_NATIONAL_ID, "reason": "户籍信息更正"}
        refused = api.request("PATCH", person_path(person["id"]), json=correction, role="org_admin", org=other["id"])
        assert refused.status_code == 403
        corrected = ok(api.request("PATCH", person_path(person["id"]), json=correction, **own))
        assert corrected["name"] == "张三峰"
        assert corrected["national_id_masked"] == "1101**********0038"
        assert corrected["student_number"] == "2022001"
        (line,) = corrected["history"]
        assert line["changed_fields"] == ["name", "national_id"]
        assert line["by"] == f"org_admin:{organisation['id']}"
        assert line["reason"] == "户籍信息更正"
        assert line["at"]
        assert ok(api.get(person_path(person["id"]), **own))["history"] == corrected["history"]

        for bad, field in (
            ({"student_number": "2022002"}, "student_number"),
            ({"position": "full_time_researcher"}, "position"),
            ({"name": ""}, "name"),
            ({"national_id": "110105194912310021"}, "national_id"),
            ({"nickname": "三丰"}, "nickname"),
        ):
            answer = api.request("PATCH", person_path(person["id"]), json=bad, **own)
            assert answer.status_code in (400, 409), answer.text
            assert field in answer.json()["errors"]
        unchanged = ok(api.get(person_path(person["id"]), **own))
        assert unchanged == corrected

        events = wait_for(lambda: members_events.of_type("person_updated"), message="person_updated")
        assert [e["data"]["changed_fields"] for e in events] == [["name", "national_id"]]
        assert events[0]["data"]["name"] == "张三峰" and events[0]["data"]["archived"] is False
        assert (
            events[0]["data"]["subject_id"]
            == wait_for(lambda: members_events.of_type("person_registered"), message="person_registered")[0]["data"][
                "subject_id"
            ]
        )
    published = json.dumps(members_events.received, ensure_ascii=False)
    assert CORRECTED_NATIONAL_ID not in published and CORRECTED_NATIONAL_ID[:17] not in published
    people = MongoClient(config["MONGO_URI"])[f"{config['DATABASE_PREFIX']}members"]["people"]
    assert CORRECTED_NATIONAL_ID not in json.dumps(people.find_one({"_id": person["id"]}), default=str)


def test_deleting_a_person_archives_them_out_of_lists(api, config):
    with EventTap(config, "members") as members_events:
        organisation = school(api, "重庆市綦江职业教育中心")
        other = school(api, "重庆市江津职业教育中心")
        own = {"role": "org_admin", "org": organisation["id"]}
        leaving = create(api, people_path(organisation["id"]), {"name": "王芳", "kind": "teacher"}, **own)
        staying = create(api, people_path(organisation["id"]), {"name": "陈静", "kind": "teacher"}, **own)

        assert api.request("DELETE", person_path(leaving["id"]), role="org_admin", org=other["id"]).status_code == 403
        archived = ok(api.request("DELETE", person_path(leaving["id"]), **own))
        assert archived["archived"] is True
        assert [line["changed_fields"] for line in archived["history"]] == [["archived"]]
        assert ok(api.request("DELETE", person_path(leaving["id"]), **own)) == archived

        listed = ok(api.get(people_path(organisation["id"]), **own))["items"]
        assert [p["id"] for p in listed] == [staying["id"]]
        assert ok(api.get(person_path(leaving["id"]), **own)) == archived
        late = api.request("PATCH", person_path(leaving["id"]), json={"name": "王芳芳"}, **own)
        assert late.status_code == 409
        assert api.request("DELETE", person_path("000000000000000000000000")).status_code == 404

        events = wait_for(lambda: members_events.of_type("person_updated"), message="person_updated")
        assert [(e["data"]["person_id"], e["data"]["archived"]) for e in events] == [(leaving["id"], True)]


def test_a_corrected_name_is_used_for_new_certificates_and_old_ones_keep_theirs(start_services, config):
    start_services(MembersService, CertificatesService, GatewayService)
    api = Api.for_config(config)
    organisation = school(api, "重庆市万州职业教育中心", accredited_evaluator=True)
    person = create(api, people_path(organisation["id"]), {"name": "张三丰", "kind": "student"})
    training = {"kind": "training_completion", "holder_id": person["id"], "issuer_id": organisation["id"]}

    def issued(title: str) -> str:
        return wait_for(
            lambda: (
                (r := api.post("/api/v1/certificates", json={**training, "title": title})).status_code == 201
                and r.json()["number"]
            ),
            message="certificates_svc to know the holder",
        )

    before = issued("师资培训")
    ok(api.request("PATCH", person_path(person["id"]), json={"name": "张三峰", "reason": "姓名录入错误"}))
    holders = MongoClient(config["MONGO_URI"])[f"{config['DATABASE_PREFIX']}certificates"]["holders"]
    wait_for(
        lambda: (holders.find_one({"_id": person["id"]}) or {}).get("name") == "张三峰",
        message="the corrected name in certificates_svc's holder read model",
    )
    after = issued("教学能力提升培训")

    def verified(number: str, name: str) -> int:
        return api.get(f"/api/v1/verify/{number}", params={"name": name}, role=None).status_code

    assert verified(after, "张三峰") == 200
    assert verified(after, "张三丰") == 404
    assert verified(before, "张三丰") == 200
    assert verified(before, "张三峰") == 404
