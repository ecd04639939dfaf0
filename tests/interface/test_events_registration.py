"""Registrations and results over HTTP, with members' data fed by real members events."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from events_svc.service import EventsService
from tests.interface.test_events import (
    ALLIANCE,
    act,
    create_event,
    in_days,
    publish_member_event,
    published_event,
    start_events_api,
)
from tests.support.api import Api
from tests.support.events import EventTap
from tests.support.schedule import move_into_the_past
from tests.support.waiting import wait_for


@pytest.fixture
def events_api(start_services, config) -> Api:
    return start_events_api(start_services, config)


class Members:
    """Organisations and people as members_svc announces them."""

    def __init__(self, config: dict) -> None:
        self.config = config

    def membership(
        self,
        organisation_id: str,
        new_status: str = "active",
        old_status: str | None = "applied",
        membership_id: str | None = None,
        alliance_id: str = ALLIANCE,
    ) -> str:
        membership_id = membership_id or f"m-{organisation_id}"
        publish_member_event(
            self.config,
            "membership_changed",
            {
                "membership_id": membership_id,
                "alliance_id": alliance_id,
                "organisation_id": organisation_id,
                "role": "member",
                "old_status": old_status,
                "new_status": new_status,
                "reason": None,
            },
        )
        return membership_id

    def person(self, organisation_id: str, name: str = "张三") -> str:
        person_id = f"p-{uuid.uuid4().hex[:10]}"
        publish_member_event(
            self.config,
            "person_registered",
            {
                "person_id": person_id,
                "organisation_id": organisation_id,
                "name": name,
                "kind": "student",
                "student_number": None,
                "subject_id": f"urn:uuid:{uuid.uuid4()}",
            },
        )
        return person_id

    def organisation(self, organisation_id: str, name: str, event_type: str = "organisation_registered") -> None:
        publish_member_event(
            self.config,
            event_type,
            {
                "organisation_id": organisation_id,
                "name": name,
                "kind": "secondary_vocational_school",
                "region": None,
                "district": None,
                "code": None,
                "accredited_evaluator": False,
                "evaluator": None,
            },
        )

    def school(self, organisation_id: str, people: int = 2) -> list[str]:
        """An active member with ``people`` people."""
        self.membership(organisation_id)
        return [self.person(organisation_id) for _ in range(people)]


@pytest.fixture
def members(config) -> Members:
    return Members(config)


def registrations_path(event: dict) -> str:
    return f"/api/v1/events/{event['id']}/registrations"


def register(
    api: Api, event: dict, organisation_id: str, person_ids: list[str], team_name: str | None = None, **kwargs
) -> requests.Response:
    return api.post(
        registrations_path(event),
        json={"organisation_id": organisation_id, "person_ids": person_ids, "team_name": team_name},
        **kwargs,
    )


def register_when_known(
    api: Api, event: dict, organisation_id: str, person_ids: list[str], team_name: str | None = None
) -> dict:
    """Register once events_svc has consumed the members events announcing the team."""

    def attempt():
        response = register(api, event, organisation_id, person_ids, team_name)
        assert response.status_code in (201, 422), response.text
        return response if response.status_code == 201 else None

    return wait_for(attempt, timeout=10, message="the members events to arrive").json()


def cancel(api: Api, event: dict, registration: dict, **kwargs) -> requests.Response:
    return api.request("DELETE", f"{registrations_path(event)}/{registration['id']}", **kwargs)


def test_waitlist_past_capacity_and_promotion_on_cancellation(events_api, members, config):
    event = published_event(events_api, capacity=1)
    teams = {org: members.school(org) for org in ("org-a", "org-b", "org-c")}
    with EventTap(config, "events", "registration_changed") as tap:
        first = register_when_known(events_api, event, "org-a", teams["org-a"], "一队")
        second = register_when_known(events_api, event, "org-b", teams["org-b"], "二队")
        third = register_when_known(events_api, event, "org-c", teams["org-c"][:1])
        assert (first["status"], first["waitlist_position"]) == ("confirmed", None)
        assert (second["status"], second["waitlist_position"]) == ("waitlisted", 1)
        assert (third["status"], third["waitlist_position"]) == ("waitlisted", 2)

        cancelled = cancel(events_api, event, first, role="org_admin", org="org-a")
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"

        listed = {r["id"]: r for r in events_api.get(registrations_path(event)).json()["items"]}
        assert listed[second["id"]]["status"] == "confirmed"
        assert listed[third["id"]]["waitlist_position"] == 1

        received = wait_for(lambda: len(tap.drain()) == 5 and tap.drain(), message="five registration changes")
    changes = [(e["data"]["registration_id"], e["data"]["change"]) for e in received]
    assert changes == [
        (first["id"], "confirmed"),
        (second["id"], "waitlisted"),
        (third["id"], "waitlisted"),
        (first["id"], "cancelled"),
        (second["id"], "promoted"),
    ]
    assert cancel(events_api, event, first).status_code == 409


def test_cancelling_a_waitlisted_registration_moves_the_queue_up(events_api, members):
    event = published_event(events_api, capacity=1)
    teams = {org: members.school(org, people=1) for org in ("org-a", "org-b", "org-c")}
    register_when_known(events_api, event, "org-a", teams["org-a"])
    second = register_when_known(events_api, event, "org-b", teams["org-b"])
    third = register_when_known(events_api, event, "org-c", teams["org-c"])
    assert cancel(events_api, event, second).status_code == 200
    listed = {r["id"]: r for r in events_api.get(registrations_path(event)).json()["items"]}
    assert (listed[third["id"]]["status"], listed[third["id"]]["waitlist_position"]) == ("waitlisted", 1)


def test_registration_rules_are_4xx_naming_the_field(events_api, members):
    event = published_event(events_api, team_size_min=2, team_size_max=2)
    people = members.school("org-a", people=3)
    stranger = members.person("org-b")
    members.membership("org-applied", new_status="applied", old_status=None)
    applicant = members.person("org-applied")
    register_when_known(events_api, event, "org-a", people[:2])

    def refused(organisation_id: str, person_ids: list[str], status: int, field: str) -> None:
        response = register(events_api, event, organisation_id, person_ids)
        assert response.status_code == status, response.text
        body = response.json()
        assert field in (body.get("errors") or {}) or body.get("field") == field, body

    refused("org-a", people[2:], 400, "person_ids")  # team too small
    refused("org-a", people + [stranger], 400, "person_ids")  # team too large
    refused("org-a", [people[2], people[2]], 400, "person_ids")  # one person twice
    refused("org-a", [people[2], stranger], 422, "person_ids")  # someone else's student
    refused("org-a", [people[2], "p-unknown"], 422, "person_ids")
    refused("org-a", [people[0], people[2]], 409, "person_ids")  # already registered

    def refused_as_applicant() -> bool:
        response = register(events_api, event, "org-applied", [applicant, people[2]])
        assert response.status_code == 422, response.text
        return "applied" in response.json()["errors"]["organisation_id"][0]

    wait_for(refused_as_applicant, message="the applicant's membership")
    refused("org-applied", [applicant], 400, "person_ids")
    refused("org-nobody", ["p-1", "p-2"], 422, "organisation_id")
    empty = events_api.post(registrations_path(event), json={"organisation_id": "org-a"})
    assert empty.status_code == 400 and "person_ids" in empty.json()["errors"]

    other_org = register(events_api, event, "org-a", people[1:], role="org_admin", org="org-b")
    assert other_org.status_code == 403
    assert register(events_api, {"id": "000000000000000000000000"}, "org-a", people[1:]).status_code == 404


def test_registration_is_open_only_while_published_and_before_closing(events_api, members):
    people = members.school("org-a", people=1)
    outsiders = members.person("org-outside")
    closing_passed = published_event(events_api, registration_closes_at=in_days(-1).isoformat())
    closed = published_event(events_api)
    act(events_api, closed["id"], "close")
    draft = create_event(events_api)
    open_event = published_event(events_api)
    register_when_known(events_api, open_event, "org-a", people)

    for event, says in ((closing_passed, "registration has closed"), (closed, "registration is not open")):
        response = register(events_api, event, "org-a", people)
        assert response.status_code == 409, response.text
        assert "reason" in response.json()
        assert says in response.json()["detail"]

    # An active member of the alliance is told a draft is not open yet; to anyone else it does not exist.
    not_open = register(events_api, draft, "org-a", people, role="org_admin", org="org-a")
    assert not_open.status_code == 409, not_open.text
    assert not_open.json()["detail"] == "registration is not open: the event is draft"
    assert not_open.json()["current_state"] == "draft"
    stranger = register(events_api, draft, "org-outside", [outsiders], role="org_admin", org="org-outside")
    assert stranger.status_code == 404, stranger.text


def test_a_suspended_member_can_no_longer_register_but_keeps_its_registrations(events_api, members):
    event = published_event(events_api)
    people = members.school("org-a", people=2)
    kept = register_when_known(events_api, event, "org-a", people[:1])

    members.membership("org-a", new_status="suspended", old_status="active")

    def refused():
        # Registering someone already registered changes nothing: 409 before, 422 after.
        response = register(events_api, event, "org-a", people[:1])
        assert response.status_code in (409, 422), response.text
        return response.json() if response.status_code == 422 else None

    problem = wait_for(refused, message="the suspension to reach events_svc")
    assert "suspended" in problem["errors"]["organisation_id"][0]
    refusal = register(events_api, event, "org-a", people[1:])
    assert refusal.status_code == 422
    assert "organisation_id" in refusal.json()["errors"]
    listed = events_api.get(registrations_path(event), role="org_admin", org="org-a").json()
    assert [(r["id"], r["status"]) for r in listed["items"]] == [(kept["id"], "confirmed")]

    members.membership("org-a", new_status="active", old_status="suspended")
    assert register_when_known(events_api, event, "org-a", people[1:])["status"] == "confirmed"


def test_registrations_are_visible_to_the_organiser_and_to_each_registrant(events_api, members):
    event = published_event(events_api)
    a = register_when_known(events_api, event, "org-a", members.school("org-a", 1))
    b = register_when_known(events_api, event, "org-b", members.school("org-b", 1))

    def ids(**who) -> list[str]:
        response = events_api.get(registrations_path(event), **who)
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["items"]]

    assert ids() == [a["id"], b["id"]]
    assert ids(role="org_admin", org=event["organiser_id"]) == [a["id"], b["id"]]
    assert ids(role="org_admin", org="org-b") == [b["id"]]
    snooping = events_api.get(
        registrations_path(event), role="org_admin", org="org-b", params={"organisation_id": "org-a"}
    )
    assert snooping.status_code == 403
    assert cancel(events_api, event, a, role="org_admin", org="org-b").status_code == 403


def test_last_place_race_confirms_exactly_one_across_two_instances(events_api, members, start_services):
    start_services(EventsService)  # a second instance on the same broker and database
    event = published_event(events_api, capacity=1)
    teams = {f"org-{n}": members.school(f"org-{n}", people=1) for n in range(8)}
    probe = published_event(events_api)  # no capacity: registering shows each team is known
    for organisation_id, person_ids in teams.items():
        register_when_known(events_api, probe, organisation_id, person_ids)

    def attempt(item) -> requests.Response:
        organisation_id, person_ids = item
        return register(events_api, event, organisation_id, person_ids)

    with ThreadPoolExecutor(max_workers=len(teams)) as pool:
        responses = list(pool.map(attempt, teams.items()))
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    statuses = sorted(r.json()["status"] for r in responses)
    assert statuses == ["confirmed"] + ["waitlisted"] * 7
    positions = sorted(r.json()["waitlist_position"] for r in responses if r.json()["status"] == "waitlisted")
    assert positions == list(range(1, 8))


def test_results_publish_with_revisions_and_awards(events_api, members, config):
    event = published_event(events_api, capacity=1)
    members.organisation("org-a", "重庆市渝中职业教育中心")
    winners = register_when_known(events_api, event, "org-a", members.school("org-a"), "渝中一队")
    waiting = register_when_known(events_api, event, "org-b", members.school("org-b"), "两江队")
    path = f"/api/v1/events/{event['id']}/results"
    rows = [{"registration_id": winners["id"], "score": 96.5, "rank": 1, "award": "first_prize"}]

    too_early = events_api.post(path, json={"results": rows})
    assert too_early.status_code == 409
    act(events_api, event["id"], "close")
    not_started = events_api.post(path, json={"results": rows})
    assert not_started.status_code == 409
    assert not_started.json()["detail"] == "results cannot be recorded before the event starts"
    move_into_the_past(events_api, event["id"])
    not_confirmed = events_api.post(path, json={"results": [{"registration_id": waiting["id"]}]})
    assert not_confirmed.status_code == 400
    assert "/results/0/registration_id" in not_confirmed.json()["errors"]
    bad_award = events_api.post(path, json={"results": [{**rows[0], "award": "gold"}]})
    assert bad_award.status_code == 400 and "/results/0/award" in bad_award.json()["errors"]
    stranger = events_api.post(path, json={"results": rows}, role="org_admin", org="org-a")
    assert stranger.status_code == 403

    with EventTap(config, "events", "results_published") as tap:
        first = events_api.post(path, json={"results": rows}, role="org_admin", org=event["organiser_id"])
        assert first.status_code == 201, first.text
        assert first.json()["revision"] == 1
        corrected = events_api.post(path, json={"results": [{**rows[0], "award": "second_prize", "rank": 2}]})
        assert corrected.status_code == 201
        assert corrected.json()["revision"] == 2
        first_event, second_event = wait_for(
            lambda: len(tap.drain()) == 2 and tap.drain(), message="two results_published events"
        )
    assert first_event["data"]["revision"] == 1
    (row,) = first_event["data"]["results"]
    assert row["award"] == "first_prize"
    assert row["person_ids"] == winners["person_ids"]
    assert row["organisation_id"] == "org-a" and row["team_name"] == "渝中一队"
    assert second_event["data"]["revision"] == 2
    assert second_event["data"]["results"][0]["award"] == "second_prize"
    assert second_event["data"]["award_changes"] == {winners["id"]: {"from": "first_prize", "to": "second_prize"}}

    results = events_api.get(path).json()
    assert results["revision"] == 2
    assert [(r["registration_id"], r["award"], r["rank"]) for r in results["results"]] == [
        (winners["id"], "second_prize", 2)
    ]
    assert results["results"][0]["person_ids"] == winners["person_ids"]
    assert results["results"][0]["names"] == ["张三", "张三"]

    # Anyone reads the results of a public event: team, organisation, award and rank, with
    # masked names (most competitors are minors) and no person ids.
    public = events_api.get(path, role=None)
    assert public.status_code == 200, public.text
    (row,) = public.json()["results"]
    assert (row["team_name"], row["organisation_id"], row["award"], row["rank"]) == (
        "渝中一队",
        "org-a",
        "second_prize",
        2,
    )
    assert row["names"] == ["张*", "张*"] and row["person_ids"] is None
    assert "张三" not in public.text and winners["person_ids"][0] not in public.text
    assert events_api.get(path, role="org_admin", org="org-b").json()["results"][0]["person_ids"] is None
    draft_results = events_api.get(f"/api/v1/events/{create_event(events_api)['id']}/results", role=None)
    assert draft_results.status_code == 404
