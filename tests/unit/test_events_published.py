from datetime import datetime, timedelta, timezone

from events_svc.published import event_published, registration_changed, results_published
from services.contracts import build_event

CST = timezone(timedelta(hours=8))
EVENT = {
    "_id": "ev-1",
    "alliance_id": "al-1",
    "organiser_id": "org-o",
    "kind": "skills_competition",
    "title": "网络搭建与应用",
    "skill": "网络搭建与应用",
    "starts_at": datetime(2025, 5, 10, 9, 0, tzinfo=CST),
    "ends_at": datetime(2025, 5, 10, 17, 30, tzinfo=CST),
}
REGISTRATION = {
    "_id": "reg-1",
    "event_id": "ev-1",
    "organisation_id": "org-a",
    "person_ids": ["p1", "p2"],
    "team_name": "一队",
    "status": "waitlisted",
    "waitlist_position": 2,
}


def test_event_published_fits_its_contract_with_utc_times():
    data = event_published(EVENT)
    build_event("events", "event_published", data, None)
    assert data["starts_at"] == "2025-05-10T01:00:00.000Z"
    assert data["event_id"] == "ev-1"
    assert data["reason"] is None
    said = event_published(EVENT, "联盟秘书处审核通过")
    build_event("events", "event_published", said, None)
    assert said["reason"] == "联盟秘书处审核通过"


def test_registration_changed_fits_its_contract():
    data = registration_changed(REGISTRATION, "waitlisted")
    build_event("events", "registration_changed", data, None)
    assert (data["change"], data["status"], data["waitlist_position"]) == ("waitlisted", "waitlisted", 2)


def test_results_published_carries_people_revision_and_award_changes():
    rows = [
        {
            "registration_id": "reg-1",
            "organisation_id": "org-a",
            "person_ids": ["p1", "p2"],
            "team_name": "一队",
            "score": 96.5,
            "rank": 1,
            "award": "first_prize",
        }
    ]
    changes = {"reg-1": {"from": "none", "to": "first_prize"}}
    data = results_published(EVENT, rows, 3, changes)
    build_event("events", "results_published", data, None)
    assert data["revision"] == 3
    assert data["results"][0]["person_ids"] == ["p1", "p2"]
    assert data["award_changes"] == changes
    assert data["ends_at"] == "2025-05-10T09:30:00.000Z"
