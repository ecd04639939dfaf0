"""Alliances and memberships over HTTP: the lifecycle, its history and its refusals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from nameko.runners import ServiceRunner

from gateway.service import GatewayService
from members_svc.service import MembersService
from tests.support.api import Api, create
from tests.support.events import EventTap
from tests.support.waiting import wait_for

ALL_ACTIONS = ("approve", "reject", "suspend", "reinstate", "leave")
ALLOWED = {
    "applied": ["approve", "reject", "leave"],
    "active": ["suspend", "leave"],
    "suspended": ["reinstate", "leave"],
    "rejected": [],
    "left": [],
}


def serve_members(start_services, config) -> tuple[ServiceRunner, Api]:
    """The gateway in front of members_svc alone: members tests need no other service."""
    runner = start_services(MembersService, GatewayService)
    return runner, Api.for_config(config)


@pytest.fixture
def api(start_services, config) -> Api:
    return serve_members(start_services, config)[1]


@pytest.fixture
def members_events(config) -> Iterator[EventTap]:
    with EventTap(config, "members") as tap:
        yield tap


def alliance(api) -> dict:
    return create(
        api,
        "/api/v1/alliances",
        {"name": "成渝教研联盟", "region": "成渝", "description": "渝中区教师进修学院牵头的校际联盟"},
    )


def school(api, name: str, **fields) -> dict:
    return create(
        api, "/api/v1/organisations", {"name": name, "kind": "secondary_vocational_school", "region": "重庆", **fields}
    )


def apply(api, alliance_id: str, organisation_id: str, membership_role: str = "member", **caller) -> dict:
    return create(
        api,
        f"/api/v1/alliances/{alliance_id}/memberships",
        {"organisation_id": organisation_id, "role": membership_role},
        **caller,
    )


def act(api, membership_id: str, action: str, reason: str | None = None, **kwargs):
    body = {"reason": reason} if reason else {}
    return api.post(f"/api/v1/memberships/{membership_id}/{action}", json=body, **kwargs)


def test_full_lifecycle_is_recorded_in_order_and_published(api, members_events):
    group = alliance(api)
    member = school(api, "武隆职业教育中心")
    own = {"role": "org_admin", "org": member["id"]}

    applied = apply(api, group["id"], member["id"], **own)
    assert applied["status"] == "applied"
    assert applied["allowed_actions"] == ["approve", "reject", "leave"]

    steps = [
        ("approve", "active", None, {}),
        ("suspend", "suspended", "未按期提交教研成果", {}),
        ("reinstate", "active", "已补交", {}),
        ("leave", "left", "退出联盟", own),
    ]
    for action, status, reason, caller in steps:
        response = act(api, applied["id"], action, reason, **caller)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status

    membership = api.get(f"/api/v1/memberships/{applied['id']}", **own).json()
    assert membership["allowed_actions"] == []
    history = membership["history"]
    assert [(h["from_status"], h["to_status"], h["reason"]) for h in history] == [
        (None, "applied", None),
        ("applied", "active", None),
        ("active", "suspended", "未按期提交教研成果"),
        ("suspended", "active", "已补交"),
        ("active", "left", "退出联盟"),
    ]
    assert [h["by"] for h in history] == [
        f"org_admin:{member['id']}",
        "alliance_admin",
        "alliance_admin",
        "alliance_admin",
        f"org_admin:{member['id']}",
    ]
    assert [h["at"] for h in history] == sorted(h["at"] for h in history)

    changes = wait_for(
        lambda: len(members_events.of_type("membership_changed")) == 5 and members_events.of_type("membership_changed"),
        message="five membership_changed events",
    )
    assert [(e["data"]["old_status"], e["data"]["new_status"]) for e in changes] == [
        (h["from_status"], h["to_status"]) for h in history
    ]
    assert {(e["data"]["alliance_id"], e["data"]["organisation_id"], e["data"]["role"]) for e in changes} == {
        (group["id"], member["id"], "member")
    }


def test_each_illegal_transition_is_refused_with_the_allowed_actions(api):
    group = alliance(api)
    reach = {
        "applied": [],
        "active": ["approve"],
        "suspended": ["approve", "suspend"],
        "rejected": ["reject"],
        "left": ["leave"],
    }
    memberships = {}
    for status, path in reach.items():
        organisation = school(api, f"重庆市{status}职业学校")
        membership = apply(api, group["id"], organisation["id"])
        for action in path:
            assert act(api, membership["id"], action).status_code == 200
        memberships[status] = membership["id"]

    for status, membership_id in memberships.items():
        before = api.get(f"/api/v1/memberships/{membership_id}").json()
        for action in set(ALL_ACTIONS) - set(ALLOWED[status]):
            response = act(api, membership_id, action, reason="试一试")
            assert response.status_code == 409, (status, action, response.text)
            assert response.headers["Content-Type"].startswith("application/problem+json")
            problem = response.json()
            assert problem["current_state"] == status
            assert problem.get("allowed_actions", []) == ALLOWED[status]
        assert api.get(f"/api/v1/memberships/{membership_id}").json() == before

    unknown = act(api, memberships["applied"], "promote")
    assert unknown.status_code == 400
    assert "action" in unknown.json()["errors"]
    assert act(api, "000000000000000000000000", "approve").status_code == 404


def test_duplicate_membership_and_second_lead_are_refused(api):
    group = alliance(api)
    centre = school(api, "重庆市渝中职业教育中心")
    finance = school(api, "成都市财贸职业高级中学校", region="四川")
    lead = apply(api, group["id"], centre["id"], membership_role="lead")

    again = api.post(
        f"/api/v1/alliances/{group['id']}/memberships", json={"organisation_id": centre["id"], "role": "member"}
    )
    assert again.status_code == 409
    assert again.json()["membership_id"] == lead["id"]
    second_lead = api.post(
        f"/api/v1/alliances/{group['id']}/memberships", json={"organisation_id": finance["id"], "role": "lead"}
    )
    assert second_lead.status_code == 409
    assert "role" in second_lead.json()["errors"]

    assert api.get(f"/api/v1/alliances/{group['id']}").json()["lead_organisation_id"] is None
    assert act(api, lead["id"], "approve").status_code == 200
    assert api.get(f"/api/v1/alliances/{group['id']}").json()["lead_organisation_id"] == centre["id"]
    founding = apply(api, group["id"], finance["id"], membership_role="founding")

    memberships = f"/api/v1/alliances/{group['id']}/memberships"
    by_role = api.get(memberships, params={"role": "lead"}).json()["items"]
    assert [m["id"] for m in by_role] == [lead["id"]]
    by_status = api.get(memberships, params={"status": "applied"}).json()["items"]
    assert [m["id"] for m in by_status] == [founding["id"]]
    assert api.get(memberships, params={"status": "active", "role": "founding"}).json()["items"] == []
    assert api.get(memberships, params={"status": "dormant"}).status_code == 400

    assert act(api, lead["id"], "leave").status_code == 200
    assert api.get(f"/api/v1/alliances/{group['id']}").json()["lead_organisation_id"] is None


def test_who_may_apply_act_and_read(api):
    group = alliance(api)
    member = school(api, "重庆市两江职业教育中心")
    other = school(api, "巫溪县职业教育中心")
    as_member = {"role": "org_admin", "org": member["id"]}
    as_other = {"role": "org_admin", "org": other["id"]}

    foreign = api.post(
        f"/api/v1/alliances/{group['id']}/memberships",
        json={"organisation_id": member["id"], "role": "member"},
        **as_other,
    )
    assert foreign.status_code == 403
    membership = apply(api, group["id"], member["id"], **as_member)
    apply(api, group["id"], other["id"], **as_other)

    assert act(api, membership["id"], "approve", **as_member).status_code == 403
    assert act(api, membership["id"], "leave", **as_other).status_code == 403
    assert api.get(f"/api/v1/memberships/{membership['id']}", **as_other).status_code == 403
    listed = api.get(f"/api/v1/alliances/{group['id']}/memberships", **as_member).json()["items"]
    assert [m["organisation_id"] for m in listed] == [member["id"]]
    everyone = api.get(f"/api/v1/alliances/{group['id']}/memberships").json()["items"]
    assert len(everyone) == 2

    assert api.post("/api/v1/alliances", json={"name": "x"}, **as_member).status_code == 403
    assert api.get("/api/v1/alliances", **as_member).json()["items"][0]["id"] == group["id"]
    assert api.get(f"/api/v1/alliances/{group['id']}", role=None).status_code == 401
    missing = api.post(
        "/api/v1/alliances/000000000000000000000000/memberships",
        json={"organisation_id": member["id"], "role": "member"},
    )
    assert missing.status_code == 404


def test_an_organisation_that_left_or_was_rejected_applies_again_as_a_new_period(api, members_events):
    group = alliance(api)
    member = school(api, "重庆市黔江区民族职业教育中心")
    refused = school(api, "重庆市秀山职业教育中心")
    own = {"role": "org_admin", "org": member["id"]}
    first = apply(api, group["id"], member["id"], **own)
    assert act(api, first["id"], "approve").status_code == 200
    assert act(api, first["id"], "leave", "暂停合作", **own).status_code == 200
    rejected = apply(api, group["id"], refused["id"])
    assert act(api, rejected["id"], "reject", "材料不全").status_code == 200

    second = apply(api, group["id"], member["id"], **own)
    again = apply(api, group["id"], refused["id"])
    assert second["id"] != first["id"] and second["status"] == "applied"
    assert [h["to_status"] for h in second["history"]] == ["applied"]
    assert again["status"] == "applied"

    duplicate = api.post(
        f"/api/v1/alliances/{group['id']}/memberships", json={"organisation_id": member["id"], "role": "member"}
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["membership_id"] == second["id"]
    periods = api.get(f"/api/v1/alliances/{group['id']}/memberships", params={"organisation_id": member["id"]})
    assert [(m["id"], m["status"]) for m in periods.json()["items"]] == [
        (first["id"], "left"),
        (second["id"], "applied"),
    ]
    old = api.get(f"/api/v1/memberships/{first['id']}", **own).json()
    assert [h["to_status"] for h in old["history"]] == ["applied", "active", "left"]
    assert act(api, second["id"], "approve").status_code == 200
    changes = wait_for(
        lambda: len(members_events.of_type("membership_changed")) == 8 and members_events.of_type("membership_changed"),
        message="eight membership_changed events",
    )
    assert [e["data"]["new_status"] for e in changes if e["data"]["membership_id"] == second["id"]] == [
        "applied",
        "active",
    ]


def change_role(api, membership_id: str, new_role: str, reason: str | None = None, **caller):
    return api.request(
        "PATCH", f"/api/v1/memberships/{membership_id}", json={"role": new_role, "reason": reason}, **caller
    )


def test_a_membership_role_changes_with_history_one_lead_and_an_event(api, members_events):
    group = alliance(api)
    centre = school(api, "重庆市渝中职业教育中心")
    college = school(api, "重庆工程职业技术学院")
    lead = apply(api, group["id"], centre["id"], membership_role="lead")
    member = apply(api, group["id"], college["id"])
    for membership in (lead, member):
        assert act(api, membership["id"], "approve").status_code == 200

    assert change_role(api, member["id"], "lead", role="org_admin", org=college["id"]).status_code == 403
    second_lead = change_role(api, member["id"], "lead")
    assert second_lead.status_code == 409
    assert "role" in second_lead.json()["errors"]
    assert change_role(api, member["id"], "chair").status_code == 400

    stepped_down = change_role(api, lead["id"], "founding", "牵头单位轮换")
    assert stepped_down.status_code == 200, stepped_down.text
    assert api.get(f"/api/v1/alliances/{group['id']}").json()["lead_organisation_id"] is None
    promoted = change_role(api, member["id"], "lead", "牵头单位轮换").json()
    assert promoted["role"] == "lead" and promoted["status"] == "active"
    assert api.get(f"/api/v1/alliances/{group['id']}").json()["lead_organisation_id"] == college["id"]
    line = promoted["history"][-1]
    assert (line["from_role"], line["to_role"], line["from_status"], line["to_status"]) == (
        "member",
        "lead",
        "active",
        "active",
    )
    assert line["by"] == "alliance_admin" and line["reason"] == "牵头单位轮换"

    assert act(api, lead["id"], "leave").status_code == 200
    ended = change_role(api, lead["id"], "member")
    assert ended.status_code == 409
    assert change_role(api, "000000000000000000000000", "member").status_code == 404

    def role_changes() -> list[dict]:
        return [e["data"] for e in members_events.of_type("membership_changed") if e["data"].get("old_role")]

    wait_for(lambda: len(role_changes()) == 2, message="membership_changed for both role changes")
    assert [(c["membership_id"], c["old_role"], c["role"]) for c in role_changes()] == [
        (lead["id"], "lead", "founding"),
        (member["id"], "member", "lead"),
    ]
