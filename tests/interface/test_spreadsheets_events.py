"""An event's registrations and results exported as spreadsheets, with the JSON routes' access rules."""

from __future__ import annotations

import csv
import io

import pytest

from tests.interface.test_events import ORGANISER, act, published_event, start_events_api
from tests.interface.test_events_registration import Members, register_when_known
from tests.interface.test_spreadsheets import XLSX_TYPE, sheet
from tests.support.api import Api
from tests.support.schedule import move_into_the_past


@pytest.fixture
def events_api(start_services, config) -> Api:
    return start_events_api(start_services, config)


def test_registrations_export_shows_the_organiser_all_and_a_registrant_its_own(events_api, config):
    members = Members(config)
    event = published_event(events_api, capacity=1)
    members.organisation("org-a", "渝中职教中心")
    first_team = members.school("org-a")
    second_team = members.school("org-b")
    confirmed = register_when_known(events_api, event, "org-a", first_team, "=渝中一队")
    waitlisted = register_when_known(events_api, event, "org-b", second_team, "两江队")
    path = f"/api/v1/events/{event['id']}/registrations"

    organiser = events_api.get(f"{path}.xlsx", role="org_admin", org=ORGANISER)
    assert organiser.status_code == 200, organiser.text
    assert organiser.headers["Content-Type"] == XLSX_TYPE
    header, *rows = sheet(organiser.content)
    assert header[:7] == (
        "报名编号 Registration ID",
        "单位编号 Organisation ID",
        "单位名称 Organisation",
        "队伍名称 Team",
        "人员编号 Person IDs",
        "姓名 Names",
        "状态 Status",
    )
    names = "张三, 张三"
    assert [row[:8] for row in rows] == [
        (confirmed["id"], "org-a", "渝中职教中心", "'=渝中一队", ", ".join(first_team), names, "confirmed", None),
        (waitlisted["id"], "org-b", None, "两江队", ", ".join(second_team), names, "waitlisted", 1),
    ]

    own = events_api.get(f"{path}.csv", role="org_admin", org="org-b")
    assert own.status_code == 200, own.text
    table = list(csv.reader(io.StringIO(own.content.decode("utf-8-sig"))))
    assert [row[0] for row in table[1:]] == [waitlisted["id"]]
    assert (
        events_api.get(f"{path}.csv", params={"organisation_id": "org-a"}, role="org_admin", org="org-b").status_code
        == 403
    )
    assert events_api.get(f"{path}.csv", params={"status": "confirmed"}).status_code == 200
    assert events_api.get("/api/v1/events/no-such-event/registrations.csv").status_code == 404


def test_results_export_lists_the_published_results_with_ids_for_the_organiser_only(events_api, config):
    members = Members(config)
    event = published_event(events_api)
    winners = register_when_known(events_api, event, "org-a", members.school("org-a"), "渝中一队")
    runners_up = register_when_known(events_api, event, "org-b", members.school("org-b"), "两江队")
    assert act(events_api, event["id"], "close").status_code == 200
    move_into_the_past(events_api, event["id"])
    rows = [
        {"registration_id": winners["id"], "score": 96.5, "rank": 1, "award": "first_prize"},
        {"registration_id": runners_up["id"], "score": 88.0, "rank": 2, "award": "second_prize"},
    ]
    published = events_api.post(f"/api/v1/events/{event['id']}/results", json={"results": rows})
    assert published.status_code == 201, published.text
    path = f"/api/v1/events/{event['id']}/results"

    exported = events_api.get(f"{path}.xlsx", role="org_admin", org=ORGANISER)
    assert exported.status_code == 200, exported.text
    header, *table = sheet(exported.content)
    assert header[:4] == ("名次 Rank", "奖项 Award", "成绩 Score", "队伍名称 Team")
    assert [row[:7] for row in table] == [
        (1, "first_prize", 96.5, "渝中一队", None, "张三, 张三", "org-a"),
        (2, "second_prize", 88.0, "两江队", None, "张三, 张三", "org-b"),
    ]
    # Published results are public: another school reads them as the JSON route shows them, without ids.
    public = events_api.get(f"{path}.csv", role="org_admin", org="org-a")
    assert public.status_code == 200, public.text
    assert "渝中一队" in public.text
    assert not any(person_id in public.text for person_id in winners["person_ids"] + runners_up["person_ids"])
    assert events_api.get(f"{path}.ods", role="org_admin", org=ORGANISER).status_code == 404
