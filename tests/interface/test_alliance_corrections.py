"""Alliances are corrected by the alliance admin, each change kept in their history."""

from __future__ import annotations

import pytest

from tests.interface.test_members_memberships import alliance, serve_members
from tests.support.api import Api


@pytest.fixture
def api(start_services, config) -> Api:
    return serve_members(start_services, config)[1]


def test_an_alliance_is_corrected_with_who_when_what_and_why(api):
    created = alliance(api)
    path = f"/api/v1/alliances/{created['id']}"

    corrected = api.patch(path, json={"name": "成渝地区教研联盟", "region": None, "reason": "章程更名"})
    assert corrected.status_code == 200, corrected.text
    body = corrected.json()
    assert body["name"] == "成渝地区教研联盟" and body["region"] is None
    assert body["description"] == created["description"]
    (line,) = body["history"]
    assert sorted(line["changes"], key=lambda change: change["field"]) == [
        {"field": "name", "from": "成渝教研联盟", "to": "成渝地区教研联盟"},
        {"field": "region", "from": "成渝", "to": None},
    ]
    assert line["by"] == "alliance_admin" and line["reason"] == "章程更名"
    assert line["at"].endswith("Z") and body["updated_at"] == line["at"]
    assert api.get(path).json() == body

    # The same values again change nothing and add no history line.
    assert api.patch(path, json={"name": "成渝地区教研联盟"}).json()["history"] == body["history"]


def test_a_bad_correction_changes_nothing(api):
    created = alliance(api)
    path = f"/api/v1/alliances/{created['id']}"
    blank = api.patch(path, json={"name": "   "})
    assert blank.status_code == 400 and "name" in blank.json()["errors"]
    assert api.patch(path, json={"lead_organisation_id": "x"}).status_code == 400
    assert api.patch(path, json={"name": "新名"}, role="org_admin", org="org-a").status_code == 403
    assert api.patch("/api/v1/alliances/000000000000000000000000", json={"name": "新名"}).status_code == 404
    unchanged = api.get(path).json()
    assert unchanged["name"] == created["name"] and unchanged["history"] == []
