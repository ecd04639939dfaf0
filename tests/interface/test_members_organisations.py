"""Organisations over HTTP: search, pagination, who may change what, and organisation_updated."""

from __future__ import annotations

import pytest

from tests.interface.test_members_memberships import school, serve_members
from tests.support.api import Api, create
from tests.support.events import EventTap
from tests.support.waiting import wait_for


@pytest.fixture
def api(start_services, config) -> Api:
    return serve_members(start_services, config)[1]


EVALUATOR = {"type": "S", "code": "5001", "province": "50", "site": "000123"}


def test_organisations_are_searched_by_name_fragment_kind_and_region(api):
    centre = school(api, "重庆市渝中职业教育中心", district="渝中区")
    lianjiang = school(api, "重庆市两江职业教育中心")
    finance = school(api, "成都市财贸职业高级中学校", region="四川")
    haier = create(api, "/api/v1/organisations", {"name": "重庆海尔工业园", "kind": "enterprise", "region": "重庆"})
    university = create(
        api, "/api/v1/organisations", {"name": "Chongqing Normal University", "kind": "university", "region": "重庆"}
    )

    def names(**params) -> list[str]:
        response = api.get("/api/v1/organisations", params=params, role="org_admin", org=centre["id"])
        assert response.status_code == 200, response.text
        return [o["name"] for o in response.json()["items"]]

    assert names(name="职业教育中心") == [centre["name"], lianjiang["name"]]
    assert names(name="normal") == [university["name"]]
    assert names(name="(") == []
    assert names(kind="enterprise") == [haier["name"]]
    assert names(region="四川") == [finance["name"]]
    assert names(region="重庆", kind="secondary_vocational_school", name="两江") == [lianjiang["name"]]
    assert api.get("/api/v1/organisations", params={"kind": "guild"}).status_code == 400

    pages, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/organisations", params=params).json()
        pages.append([o["id"] for o in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [[centre["id"], lianjiang["id"]], [finance["id"], haier["id"]], [university["id"]]]
    assert api.get("/api/v1/organisations", params={"cursor": "garbage"}).status_code == 400


def test_organisation_changes_follow_roles_and_are_published(api, config):
    """Read models (certificates_svc keeps evaluators) follow organisation_updated."""
    with EventTap(config, "members") as members_events:
        centre = school(api, "重庆市工业学校", code="5001001")
        other = school(api, "重庆市工艺美术学校", code="5001002")
        own = {"role": "org_admin", "org": centre["id"]}
        path = f"/api/v1/organisations/{centre['id']}"

        new_name = {"name": "重庆市工业学校（南岸校区）", "district": "南岸区"}
        # An organisation's name is what its certificates are issued under: the admin's to change.
        refused_rename = api.request("PATCH", path, json=new_name, **own)
        assert refused_rename.status_code == 403
        assert refused_rename.json()["errors"].keys() == {"name"}
        renamed = api.request("PATCH", path, json=new_name)
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["district"] == "南岸区"
        assert api.get(path, **own).json()["name"] == "重庆市工业学校（南岸校区）"

        refused = api.request("PATCH", path, json={"accredited_evaluator": True}, **own)
        assert refused.status_code == 403
        assert refused.json()["errors"].keys() == {"accredited_evaluator"}
        assert api.request("PATCH", path, json={"evaluator": EVALUATOR}, **own).status_code == 403
        foreign = api.request("PATCH", path, json={"name": "x"}, role="org_admin", org=other["id"])
        assert foreign.status_code == 403
        assert api.request("PATCH", path, json={"code": "5001003"}, **own).status_code == 403
        taken = api.request("PATCH", path, json={"code": "5001002"})
        assert taken.status_code == 409
        assert taken.json()["errors"] == {"code": ["already registered"]}
        assert api.request("PATCH", path, json={"kind": "enterprise"}).status_code == 400
        assert (
            api.request("PATCH", "/api/v1/organisations/000000000000000000000000", json={"name": "x"}).status_code
            == 404
        )

        accredited = api.request("PATCH", path, json={"accredited_evaluator": True, "evaluator": EVALUATOR})
        assert accredited.status_code == 200, accredited.text
        assert accredited.json()["accredited_evaluator"] is True
        unchanged = api.request("PATCH", path, json={"district": "南岸区"}, **own)
        assert unchanged.status_code == 200
        # A later real change: had the unchanged PATCH published anything, it would come before this.
        assert api.request("PATCH", path, json={"region": "重庆市"}, **own).status_code == 200

        updates = wait_for(
            lambda: (
                len(members_events.of_type("organisation_updated")) >= 3
                and members_events.of_type("organisation_updated")
            ),
            message="three organisation_updated events",
        )
        assert [(u["data"]["region"], u["data"]["accredited_evaluator"], u["data"]["evaluator"]) for u in updates] == [
            ("重庆", False, None),
            ("重庆", True, EVALUATOR),
            ("重庆市", True, EVALUATOR),
        ]
        assert {(u["data"]["organisation_id"], u["data"]["name"]) for u in updates} == {
            (centre["id"], "重庆市工业学校（南岸校区）")
        }
        registered = members_events.of_type("organisation_registered")
        assert [r["data"]["code"] for r in registered] == ["5001001", "5001002"]
