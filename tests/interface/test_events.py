"""Events over HTTP: creation, validation, lifecycle, visibility, listing and iCalendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import requests
from icalendar import Calendar

from events_svc.service import EventsService
from gateway.service import GatewayService
from services.contracts import build_event
from tests.support.api import Api
from tests.support.events import EventTap, publish_event

CST = timezone(timedelta(hours=8))
ALLIANCE = "alliance-chengyu"
ORGANISER = "org-yuzhong"


def in_days(days: float, hour: int = 9) -> datetime:
    moment = datetime.now(CST) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def competition(**changes) -> dict:
    body = {
        "alliance_id": ALLIANCE,
        "organiser_id": ORGANISER,
        "kind": "skills_competition",
        "title": "网络搭建与应用 技能竞赛",
        "description": "两人一队",
        "starts_at": in_days(30).isoformat(),
        "ends_at": in_days(30, hour=17).isoformat(),
        "location": "重庆市工业学校",
        "capacity": 10,
        "registration_closes_at": in_days(20).isoformat(),
        "team_size_min": 1,
        "team_size_max": 2,
        "skill": "网络搭建与应用",
    }
    body.update(changes)
    return body


def start_events_api(start_services, config) -> Api:
    """events_svc and the gateway only: the members data arrives as events the test publishes."""
    start_services(EventsService, GatewayService)
    return Api.for_config(config)


@pytest.fixture
def events_api(start_services, config) -> Api:
    return start_events_api(start_services, config)


def create_event(api: Api, **changes) -> dict:
    response = api.post("/api/v1/events", json=competition(**changes))
    assert response.status_code == 201, response.text
    return response.json()


def act(api: Api, event_id: str, action: str, **kwargs) -> requests.Response:
    return api.post(f"/api/v1/events/{event_id}/{action}", **kwargs)


def published_event(api: Api, **changes) -> dict:
    event = create_event(api, **changes)
    response = act(api, event["id"], "publish")
    assert response.status_code == 200, response.text
    return response.json()


def publish_member_event(config: dict, event_type: str, data: dict) -> dict:
    """Publish as members_svc does: nameko's event exchange, routing key = event type."""
    envelope = build_event("members", event_type, data, None)
    publish_event(config, envelope, delivery_mode=2, headers={"event_id": envelope["event_id"]})
    return envelope


def test_event_lifecycle_with_conflicts_naming_allowed_actions(events_api, config):
    with EventTap(config, "events", "event_published") as tap:
        event = create_event(events_api)
        assert event["status"] == "draft"
        assert (event["confirmed_count"], event["waitlisted_count"], event["places_left"]) == (0, 0, 10)

        published = act(events_api, event["id"], "publish")
        assert published.status_code == 200
        assert published.json()["status"] == "published"
        announced = tap.first(lambda e: e["data"]["event_id"] == event["id"], "event_published")
    assert announced["data"]["title"] == "网络搭建与应用 技能竞赛"
    assert announced["data"]["starts_at"].endswith("Z")

    again = act(events_api, event["id"], "publish")
    assert again.status_code == 409
    assert again.json()["current_state"] == "published"
    assert again.json()["allowed_actions"] == ["close", "cancel"]

    assert act(events_api, event["id"], "close").json()["status"] == "closed"
    assert act(events_api, event["id"], "complete").json()["status"] == "completed"
    cancel = act(events_api, event["id"], "cancel")
    assert cancel.status_code == 409
    assert cancel.json()["current_state"] == "completed"
    assert cancel.json().get("allowed_actions", []) == []

    unknown = act(events_api, event["id"], "archive")
    assert unknown.status_code == 400
    assert "action" in unknown.json()["errors"]
    assert act(events_api, "000000000000000000000000", "publish").status_code == 404


def test_cancel_from_draft_published_and_closed(events_api):
    draft = create_event(events_api)
    published = published_event(events_api)
    closed = published_event(events_api)
    act(events_api, closed["id"], "close")
    for event in (draft, published, closed):
        response = act(events_api, event["id"], "cancel")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "cancelled"


def invalid_events() -> list[tuple[dict, str]]:
    """Each mistake and the field it names; dates counted from now, as competition()'s are (made at
    import, they would be a day behind competition()'s for a run that crosses midnight in Shanghai)."""
    return [
        ({"ends_at": in_days(29).isoformat()}, "ends_at"),
        ({"registration_closes_at": in_days(31).isoformat()}, "registration_closes_at"),
        ({"team_size_min": 0}, "team_size_min"),
        ({"team_size_min": 3, "team_size_max": 2}, "team_size_max"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": "ten"}, "capacity"),
        ({"starts_at": "2025-05-10T09:00:00"}, "starts_at"),
        ({"starts_at": "next tuesday"}, "starts_at"),
        ({"kind": "party"}, "kind"),
        ({"title": ""}, "title"),
        ({"colour": "red"}, "colour"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "+08:00"}, "time_zone"),
    ]


def test_every_invalid_event_is_a_400_naming_the_field(events_api):
    for changes, field in invalid_events():
        response = events_api.post("/api/v1/events", json=competition(**changes))
        assert response.status_code == 400, (changes, response.text)
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert field in response.json()["errors"], (changes, response.json())
    missing = {k: v for k, v in competition().items() if k != "alliance_id"}
    response = events_api.post("/api/v1/events", json=missing)
    assert response.status_code == 400
    assert "alliance_id" in response.json()["errors"]
    assert events_api.get("/api/v1/events").json()["items"] == []


def test_times_are_stored_and_returned_in_utc_with_local_times_of_the_events_zone(events_api):
    event = create_event(
        events_api,
        starts_at="2030-05-10T09:00:00+08:00",
        ends_at="2030-05-10T17:30:00+08:00",
        registration_closes_at="2030-05-01T00:00:00+08:00",
    )
    fetched = events_api.get(f"/api/v1/events/{event['id']}").json()
    assert fetched["starts_at"] == "2030-05-10T01:00:00.000Z"
    assert fetched["registration_closes_at"] == "2030-04-30T16:00:00.000Z"
    assert fetched["created_at"].endswith("Z")
    assert fetched["time_zone"] == "Asia/Shanghai"
    assert fetched["starts_at_local"] == "2030-05-10T09:00:00+08:00"
    assert fetched["ends_at_local"] == "2030-05-10T17:30:00+08:00"
    assert fetched["registration_closes_at_local"] == "2030-05-01T00:00:00+08:00"

    # Times may be entered with any offset; the event's own zone says how people read them.
    urumqi = create_event(
        events_api,
        time_zone="Asia/Urumqi",
        starts_at="2030-05-10T01:00:00Z",
        ends_at="2030-05-10T09:00:00Z",
        registration_closes_at=None,
    )
    assert urumqi["time_zone"] == "Asia/Urumqi"
    assert urumqi["starts_at_local"] == "2030-05-10T07:00:00+06:00"
    assert urumqi["registration_closes_at"] is None and urumqi["registration_closes_at_local"] is None


def test_only_the_organiser_or_admin_creates_and_changes_events(events_api):
    other = events_api.post("/api/v1/events", json=competition(), role="org_admin", org="org-other")
    assert other.status_code == 403
    assert events_api.post("/api/v1/events", json=competition(), role=None).status_code == 401
    own = events_api.post("/api/v1/events", json=competition(), role="org_admin", org=ORGANISER)
    assert own.status_code == 201
    event_id = own.json()["id"]
    assert act(events_api, event_id, "publish", role="org_admin", org="org-other").status_code == 404
    assert act(events_api, event_id, "publish", role="org_admin", org=ORGANISER).status_code == 200
    assert act(events_api, event_id, "close", role="org_admin", org="org-other").status_code == 403


def test_the_public_sees_published_closed_completed_and_once_published_cancelled_events(events_api):
    draft = create_event(events_api, title="草稿")
    published = published_event(events_api, title="已发布")
    closed = published_event(events_api, title="已截止")
    act(events_api, closed["id"], "close")
    completed = published_event(events_api, title="已结束")
    act(events_api, completed["id"], "close")
    act(events_api, completed["id"], "complete")
    cancelled = published_event(events_api, title="已取消")
    act(events_api, cancelled["id"], "cancel")

    cancelled_draft = create_event(events_api, title="取消的草稿")
    act(events_api, cancelled_draft["id"], "cancel")

    # A cancelled event the public was told of stays visible, as cancelled; one that was never
    # published stays as hidden as a draft.
    public = events_api.get("/api/v1/events", role=None).json()["items"]
    assert [e["id"] for e in public] == [published["id"], closed["id"], completed["id"], cancelled["id"]]
    assert events_api.get(f"/api/v1/events/{draft['id']}", role=None).status_code == 404
    seen_cancelled = events_api.get(f"/api/v1/events/{cancelled['id']}", role=None)
    assert seen_cancelled.status_code == 200
    assert (seen_cancelled.json()["status"], seen_cancelled.json()["was_published"]) == ("cancelled", True)
    assert events_api.get(f"/api/v1/events/{cancelled_draft['id']}", role=None).status_code == 404
    assert events_api.get(f"/api/v1/events/{closed['id']}", role=None).status_code == 200
    assert events_api.get("/api/v1/events?status=draft", role=None).json()["items"] == []
    assert [e["id"] for e in events_api.get("/api/v1/events?status=cancelled", role=None).json()["items"]] == [
        cancelled["id"]
    ]

    admin = events_api.get("/api/v1/events").json()["items"]
    assert len(admin) == 6
    organiser = events_api.get("/api/v1/events", role="org_admin", org=ORGANISER).json()["items"]
    assert len(organiser) == 6
    stranger = events_api.get("/api/v1/events", role="org_admin", org="org-other").json()["items"]
    assert len(stranger) == 4
    assert events_api.get(f"/api/v1/events/{draft['id']}", role="org_admin", org=ORGANISER).status_code == 200


def test_list_filters_by_alliance_organiser_kind_status_and_period_with_cursor_pages(events_api):
    may = published_event(
        events_api,
        kind="activity_month",
        title="职业教育活动月",
        starts_at="2030-05-01T00:00:00+08:00",
        ends_at="2030-05-31T23:59:00+08:00",
        registration_closes_at="2030-04-25T00:00:00+08:00",
    )
    june = published_event(
        events_api,
        kind="open_day",
        title="校园开放日",
        starts_at="2030-06-15T09:00:00+08:00",
        ends_at="2030-06-15T12:00:00+08:00",
        registration_closes_at=None,
    )
    other = published_event(
        events_api,
        alliance_id="alliance-other",
        kind="lecture",
        title="大师讲座",
        starts_at="2030-05-20T14:00:00+08:00",
        ends_at="2030-05-20T16:00:00+08:00",
        registration_closes_at=None,
        organiser_id="org-other",
    )
    act(events_api, other["id"], "close")

    def ids(**params) -> list[str]:
        response = events_api.get("/api/v1/events", role=None, params=params)
        assert response.status_code == 200, response.text
        return [e["id"] for e in response.json()["items"]]

    assert ids(alliance_id=ALLIANCE) == [may["id"], june["id"]]
    assert ids(kind="lecture") == [other["id"]]
    assert ids(status="closed") == [other["id"]]
    assert ids(organiser_id="org-other") == [other["id"]]
    assert ids(organiser_id=ORGANISER, kind="open_day") == [june["id"]]
    # The activity month began before the 10th but is still running then.
    assert ids(**{"from": "2030-05-10T00:00:00+08:00", "to": "2030-06-01T00:00:00+08:00"}) == [may["id"], other["id"]]
    assert ids(**{"from": "2030-06-01T00:00:00Z"}) == [june["id"]]

    first = events_api.get("/api/v1/events", role=None, params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = events_api.get("/api/v1/events", role=None, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    # In the order the events start: May, then the lecture of 20 May, then June.
    assert [e["id"] for e in first["items"] + second["items"]] == [may["id"], other["id"], june["id"]]
    assert second["next_cursor"] is None

    for params, field in [
        ({"kind": "party"}, "kind"),
        ({"from": "soon"}, "from"),
        ({"from": "2030-06-01T00:00:00Z", "to": "2030-05-01T00:00:00Z"}, "to"),
        ({"limit": 0}, "limit"),
        ({"cursor": "nonsense"}, "cursor"),
    ]:
        response = events_api.get("/api/v1/events", role=None, params=params)
        assert response.status_code == 400, (params, response.text)
        assert field in response.json()["errors"]


def test_events_that_start_together_page_one_by_one_without_loss_or_repeat(events_api):
    together = {"starts_at": "2030-09-01T09:00:00+08:00", "ends_at": "2030-09-01T17:00:00+08:00"}
    earlier = published_event(
        events_api, title="开学典礼", starts_at="2030-08-31T09:00:00+08:00", ends_at="2030-08-31T11:00:00+08:00"
    )
    same = [published_event(events_api, title=f"新生入学教育 {i}", **together) for i in range(3)]
    seen, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        response = events_api.get("/api/v1/events", role=None, params=params)
        assert response.status_code == 200, response.text
        seen += [e["id"] for e in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if not cursor:
            break
    assert seen == [earlier["id"], *sorted(e["id"] for e in same)]


def test_icalendar_export_of_one_event_and_of_the_list(events_api):
    event = published_event(
        events_api,
        starts_at="2030-05-10T09:00:00+08:00",
        ends_at="2030-05-10T17:30:00+08:00",
        registration_closes_at="2030-05-01T00:00:00+08:00",
    )
    lecture = published_event(
        events_api,
        kind="lecture",
        title="大师讲座",
        starts_at="2030-05-20T14:00:00+08:00",
        ends_at="2030-05-20T16:00:00+08:00",
        registration_closes_at=None,
    )
    create_event(events_api, title="草稿")

    single = events_api.get(f"/api/v1/events/{event['id']}.ics", role=None)
    assert single.status_code == 200, single.text
    assert single.headers["Content-Type"].startswith("text/calendar")
    (vevent,) = Calendar.from_ical(single.content).walk("VEVENT")
    assert str(vevent["UID"]) == f"{event['id']}@alliance"
    assert str(vevent["SUMMARY"]) == "网络搭建与应用 技能竞赛"
    assert vevent.decoded("DTSTART") == datetime(2030, 5, 10, 1, 0, tzinfo=UTC)
    assert str(vevent["URL"]).endswith(f"/api/v1/events/{event['id']}")

    feed = events_api.get("/api/v1/events.ics", role=None)
    assert feed.status_code == 200
    assert feed.headers["Content-Type"].startswith("text/calendar")
    summaries = [str(v["SUMMARY"]) for v in Calendar.from_ical(feed.content).walk("VEVENT")]
    assert summaries == ["网络搭建与应用 技能竞赛", "大师讲座"]
    only_lectures = events_api.get("/api/v1/events.ics?kind=lecture", role=None)
    assert [str(v["UID"]) for v in Calendar.from_ical(only_lectures.content).walk("VEVENT")] == [
        f"{lecture['id']}@alliance"
    ]
    assert events_api.get("/api/v1/events/000000000000000000000000.ics", role=None).status_code == 404
