"""Correcting and cancelling events over HTTP: history, ``event_updated``, places, calendars and
what registrants and the public then see."""

from __future__ import annotations

import uuid

import pytest
import requests
from icalendar import Calendar

from tests.interface.test_events import ORGANISER, act, create_event, publish_member_event, published_event
from tests.interface.test_events_registration import (
    Members,
    register,
    register_when_known,
    registrations_path,
    start_events_api,
)
from tests.support.api import Api, ok
from tests.support.events import EventTap
from tests.support.waiting import wait_for


@pytest.fixture
def events_api(start_services, config) -> Api:
    return start_events_api(start_services, config)


@pytest.fixture
def members(config) -> Members:
    return Members(config)


def event_path(event: dict) -> str:
    return f"/api/v1/events/{event['id']}"


def correct(api: Api, event: dict, body: dict, **kwargs) -> requests.Response:
    return api.request("PATCH", event_path(event), json=body, **kwargs)


def vevent(api: Api, event: dict):
    response = api.get(f"{event_path(event)}.ics", role=None)
    assert response.status_code == 200, response.text
    (found,) = Calendar.from_ical(response.content).walk("VEVENT")
    return found


def test_a_published_event_is_rescheduled_with_history_event_updated_and_a_new_calendar_version(events_api, config):
    event = published_event(
        events_api,
        starts_at="2030-05-12T09:00:00+08:00",
        ends_at="2030-05-12T17:00:00+08:00",
        registration_closes_at="2030-05-01T00:00:00+08:00",
    )
    before = vevent(events_api, event)
    assert before["SEQUENCE"] == 0

    moved = {
        "starts_at": "2030-05-13T09:00:00+08:00",
        "ends_at": "2030-05-13T17:00:00+08:00",
        "location": "重庆市工业学校 实训楼",
        "reason": "场地调整，顺延一天",
    }
    own = {"role": "org_admin", "org": ORGANISER}
    assert correct(events_api, event, moved, role="org_admin", org="org-other").status_code in (403, 404)
    assert correct(events_api, event, moved, role=None).status_code == 401
    with EventTap(config, "events", "event_updated") as tap:
        corrected = ok(correct(events_api, event, moved, **own))
        announced = tap.first(lambda e: e["data"]["event_id"] == event["id"], "event_updated")

    assert corrected["starts_at"] == "2030-05-13T01:00:00.000Z"
    assert corrected["starts_at_local"] == "2030-05-13T09:00:00+08:00"
    assert corrected["location"] == "重庆市工业学校 实训楼"
    assert corrected["sequence"] == 1
    publishing, line = corrected["history"]
    assert publishing["changes"] == [{"field": "status", "from": "draft", "to": "published"}]
    assert line["by"] == f"org_admin:{ORGANISER}"
    assert line["reason"] == "场地调整，顺延一天"
    assert line["at"].endswith("Z")
    assert line["changes"] == [
        {"field": "starts_at", "from": "2030-05-12T01:00:00.000Z", "to": "2030-05-13T01:00:00.000Z"},
        {"field": "ends_at", "from": "2030-05-12T09:00:00.000Z", "to": "2030-05-13T09:00:00.000Z"},
        {"field": "location", "from": "重庆市工业学校", "to": "重庆市工业学校 实训楼"},
    ]
    assert ok(events_api.get(event_path(event), **own)) == corrected
    # The public reads what changed and why, not who changed it.
    public = ok(events_api.get(event_path(event), role=None))
    assert public["history"] == [{**publishing, "by": None}, {**line, "by": None}]
    assert ok(events_api.get("/api/v1/events", role=None))["items"][0]["history"][0]["by"] is None

    data = announced["data"]
    assert data["changed_fields"] == ["starts_at", "ends_at", "location"]
    assert (data["starts_at"], data["sequence"], data["reason"]) == (
        "2030-05-13T01:00:00.000Z",
        1,
        "场地调整，顺延一天",
    )
    assert (data["status"], data["time_zone"]) == ("published", "Asia/Shanghai")

    after = vevent(events_api, event)
    assert after["SEQUENCE"] == 1
    # DTSTAMP has whole seconds: a correction within the second keeps it; SEQUENCE says it changed.
    assert after.decoded("DTSTAMP") >= before.decoded("DTSTAMP")
    assert after.decoded("DTSTART").isoformat() == "2030-05-13T09:00:00+08:00"
    assert str(after["LOCATION"]) == "重庆市工业学校 实训楼"


def test_a_correction_is_validated_as_a_creation_and_a_refused_one_changes_nothing(events_api):
    event = published_event(events_api)
    draft = create_event(events_api)
    unchanged = ok(events_api.get(event_path(event)))
    for body, status, field in (
        ({"ends_at": "2020-01-01T00:00:00+08:00", "reason": "改期"}, 400, "ends_at"),
        ({"registration_closes_at": "2099-01-01T00:00:00Z", "reason": "改期"}, 400, "registration_closes_at"),
        ({"team_size_min": 5, "reason": "改规则"}, 400, "team_size_max"),
        ({"capacity": 0, "reason": "改名额"}, 400, "capacity"),
        ({"starts_at": "2030-05-13T09:00:00", "reason": "改期"}, 400, "starts_at"),
        ({"time_zone": "Asia/Atlantis", "reason": "改时区"}, 400, "time_zone"),
        ({"organiser_id": "org-other", "reason": "改主办"}, 400, "organiser_id"),
        ({"title": ""}, 400, "title"),
        ({"title": "新标题"}, 400, "reason"),  # a published event is corrected with a reason
    ):
        response = correct(events_api, event, body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert field in response.json()["errors"], (body, response.json())
    assert ok(events_api.get(event_path(event))) == unchanged

    # A draft nobody outside has seen needs no reason, and its correction is announced to nobody.
    retitled = ok(correct(events_api, draft, {"title": "网络搭建与应用 技能竞赛（复赛）"}))
    assert retitled["title"] == "网络搭建与应用 技能竞赛（复赛）" and retitled["history"][0]["reason"] is None
    assert correct(events_api, {"id": "000000000000000000000000"}, {"title": "无"}).status_code == 404

    act(events_api, event["id"], "close")
    act(events_api, event["id"], "complete")
    finished = correct(events_api, event, {"title": "新标题", "reason": "更正"})
    assert finished.status_code == 409
    assert finished.json()["current_state"] == "completed"


def test_capacity_raised_confirms_those_waiting_and_lowered_below_confirmed_is_refused(events_api, members, config):
    event = published_event(events_api, capacity=1)
    teams = {org: members.school(org, people=1) for org in ("org-a", "org-b", "org-c")}
    first = register_when_known(events_api, event, "org-a", teams["org-a"])
    second = register_when_known(events_api, event, "org-b", teams["org-b"])
    third = register_when_known(events_api, event, "org-c", teams["org-c"])
    assert [r["status"] for r in (first, second, third)] == ["confirmed", "waitlisted", "waitlisted"]
    counted = ok(events_api.get(event_path(event), role=None))
    assert (counted["confirmed_count"], counted["waitlisted_count"], counted["places_left"]) == (1, 2, 0)

    with EventTap(config, "events", "registration_changed") as tap:
        raised = ok(correct(events_api, event, {"capacity": 2, "reason": "增加赛位"}))
        promoted = tap.first(lambda e: e["data"]["change"] == "promoted", "a promotion")
    assert promoted["data"]["registration_id"] == second["id"]
    assert (raised["capacity"], raised["confirmed_count"], raised["places_left"]) == (2, 2, 0)
    assert raised["history"][-1]["changes"] == [{"field": "capacity", "from": 1, "to": 2}]
    listed = {r["id"]: r for r in ok(events_api.get(registrations_path(event)))["items"]}
    assert (listed[second["id"]]["status"], listed[third["id"]]["waitlist_position"]) == ("confirmed", 1)

    lowered = correct(events_api, event, {"capacity": 1, "reason": "场地缩小"})
    assert lowered.status_code == 409, lowered.text
    assert any("at least 2" in message for message in lowered.json()["errors"]["capacity"])
    assert ok(events_api.get(event_path(event)))["capacity"] == 2

    # Registered teams have one person each: a team size of two would leave them out.
    refused = correct(events_api, event, {"team_size_min": 2, "team_size_max": 2, "reason": "改为双人赛"})
    assert refused.status_code == 409, refused.text
    assert "team_size_min" in refused.json()["errors"]

    unlimited = ok(correct(events_api, event, {"capacity": None, "reason": "不限名额"}))
    assert (unlimited["confirmed_count"], unlimited["waitlisted_count"], unlimited["places_left"]) == (3, 0, None)


def test_cancelling_an_event_cancels_its_registrations_and_the_public_still_sees_it(events_api, members, config):
    event = published_event(events_api, capacity=1)
    a = register_when_known(events_api, event, "org-a", members.school("org-a", people=1))
    b = register_when_known(events_api, event, "org-b", members.school("org-b", people=1))
    with (
        EventTap(config, "events", "registration_changed") as registrations,
        EventTap(config, "events", "event_updated") as updates,
    ):
        cancelled = act(events_api, event["id"], "cancel", role="org_admin", org=ORGANISER)
        assert cancelled.status_code == 200, cancelled.text

        # The registrations' own announcements may still be on their way: only cancellations count.
        def cancellations() -> list[dict]:
            return [e for e in registrations.drain() if e["data"]["change"] == "cancelled"]

        changes = wait_for(lambda: len(cancellations()) == 2 and cancellations(), message="two cancellations")
        announced = updates.first(lambda e: e["data"]["event_id"] == event["id"], "event_updated")

    assert sorted((c["data"]["registration_id"], c["data"]["status"], c["data"]["reason"]) for c in changes) == sorted(
        [(a["id"], "cancelled", "the event was cancelled"), (b["id"], "cancelled", "the event was cancelled")]
    )
    assert (announced["data"]["status"], announced["data"]["changed_fields"]) == ("cancelled", ["status"])
    listed = ok(events_api.get(registrations_path(event)))["items"]
    assert {(r["status"], r["cancel_reason"], r["waitlist_position"]) for r in listed} == {
        ("cancelled", "the event was cancelled", None)
    }

    public = ok(events_api.get(event_path(event), role=None))
    assert (public["status"], public["confirmed_count"], public["waitlisted_count"]) == ("cancelled", 0, 0)
    assert event["id"] in [e["id"] for e in ok(events_api.get("/api/v1/events", role=None))["items"]]
    seen = vevent(events_api, event)
    assert str(seen["STATUS"]) == "CANCELLED"
    assert seen["SEQUENCE"] == 1
    assert register(events_api, event, "org-c", members.school("org-c", people=1)).status_code in (409, 422)


def test_registrations_show_names_kept_up_to_date_and_one_can_be_read_alone(events_api, members, config):
    event = published_event(events_api)
    person_id = members.person("org-a", name="张三丰")
    members.membership("org-a")
    teammate = members.person("org-a", name="李四")
    members.organisation("org-a", "重庆市渝中职业教育中心")
    registration = register_when_known(events_api, event, "org-a", [person_id, teammate], "渝中一队")
    assert registration["people"] == [{"id": person_id, "name": "张三丰"}, {"id": teammate, "name": "李四"}]

    path = f"{registrations_path(event)}/{registration['id']}"
    assert ok(events_api.get(path, role="org_admin", org="org-a"))["people"][0]["name"] == "张三丰"
    assert ok(events_api.get(path, role="org_admin", org=ORGANISER))["id"] == registration["id"]
    assert events_api.get(path, role="org_admin", org="org-b").status_code == 403
    assert events_api.get(path, role=None).status_code == 401
    assert events_api.get(f"{registrations_path(event)}/000000000000000000000000").status_code == 404

    def corrected(who: str, name: str, archived: bool = False) -> dict:
        return publish_member_event(
            config,
            "person_updated",
            {
                "person_id": who,
                "organisation_id": "org-a",
                "name": name,
                "kind": "student",
                "student_number": None,
                "subject_id": f"urn:uuid:{uuid.uuid4()}",
                "changed_fields": ["archived"] if archived else ["name"],
                "archived": archived,
            },
        )

    corrected(person_id, "张三峰")
    wait_for(
        lambda: ok(events_api.get(path))["people"][0]["name"] == "张三峰", message="the corrected name in events_svc"
    )
    listed = ok(events_api.get(registrations_path(event)))["items"]
    assert listed[0]["people"][0] == {"id": person_id, "name": "张三峰"}

    # Someone who left the school (archived) is not registered again.
    leaver = members.person("org-a", name="王五")
    corrected(leaver, "王五", archived=True)

    other_events: list[dict] = []

    def fresh_event() -> dict:
        # A registration that got in before the archiving arrived must not block the next try.
        other_events.append(published_event(events_api, title=f"开放日 {len(other_events) + 1}"))
        return other_events[-1]

    def refused_as_archived() -> bool:
        response = register(events_api, fresh_event(), "org-a", [leaver])
        assert response.status_code in (201, 422), response.text
        return response.status_code == 422 and any(
            "archived people" in message for message in response.json()["errors"]["person_ids"]
        )

    wait_for(refused_as_archived, message="the archiving to reach events_svc")

    # The school's name follows organisation_updated too.
    members.organisation("org-a", "重庆市渝中区职业教育中心", "organisation_updated")
    wait_for(
        lambda: ok(events_api.get(path))["organisation_name"] == "重庆市渝中区职业教育中心",
        message="the organisation's new name in events_svc",
    )


def test_lifecycle_actions_take_an_optional_reason_kept_in_the_history_and_the_messages(events_api, config):
    own = {"role": "org_admin", "org": ORGANISER}
    event = create_event(events_api)
    with EventTap(config, "events", "event_published", "event_updated") as tap:
        published = act(events_api, event["id"], "publish", json={"reason": "联盟秘书处审核通过"}, **own)
        assert published.status_code == 200, published.text
        announced = tap.first(lambda e: e["event_type"] == "event_published", "event_published")
        closed = ok(act(events_api, event["id"], "close", **own))  # no body: no reason
        refused = act(events_api, event["id"], "cancel", json={"reason": 42}, **own)
        assert refused.status_code == 400 and "reason" in refused.json()["errors"], refused.text
        assert act(events_api, event["id"], "cancel", json={"why": "x"}, **own).status_code == 400
        cancelled = ok(act(events_api, event["id"], "cancel", json={"reason": "场地维修，比赛取消"}, **own))
        update = tap.first(lambda e: e["event_type"] == "event_updated", "event_updated")

    assert announced["data"]["reason"] == "联盟秘书处审核通过"
    assert (update["data"]["status"], update["data"]["reason"]) == ("cancelled", "场地维修，比赛取消")
    assert closed["history"][-1]["reason"] is None
    assert [(line["changes"], line["reason"], line["by"]) for line in cancelled["history"]] == [
        ([{"field": "status", "from": "draft", "to": "published"}], "联盟秘书处审核通过", f"org_admin:{ORGANISER}"),
        ([{"field": "status", "from": "published", "to": "closed"}], None, f"org_admin:{ORGANISER}"),
        ([{"field": "status", "from": "closed", "to": "cancelled"}], "场地维修，比赛取消", f"org_admin:{ORGANISER}"),
    ]
    # The public reads why, not who; a refused action writes no line.
    public = ok(events_api.get(event_path(event), role=None))
    assert [line["by"] for line in public["history"]] == [None, None, None]
    assert act(events_api, event["id"], "publish", json={"reason": "再发布"}, **own).status_code == 409
    assert len(ok(events_api.get(event_path(event)))["history"]) == 3
