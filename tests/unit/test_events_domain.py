from datetime import UTC, datetime, timedelta, timezone

import pytest

from events_svc.domain import (
    PUBLIC_STATUSES,
    RegistrationStatus,
    Visibility,
    allowed_event_actions,
    as_seen_by,
    cancellation,
    check_period,
    check_registration_cancellable,
    check_registration_open,
    check_team_size,
    check_visible,
    new_event,
    new_registration,
    next_event_status,
    pick_promotion,
    promotion,
    to_utc,
    validate_event_times_and_sizes,
    visibility,
)
from services.errors import Conflict, InvalidInput, NotFound

CST = timezone(timedelta(hours=8))
STARTS = datetime(2025, 5, 10, 9, 0, tzinfo=CST)

LEGAL_TRANSITIONS = [
    ("draft", "publish", "published"),
    ("draft", "cancel", "cancelled"),
    ("published", "close", "closed"),
    ("published", "cancel", "cancelled"),
    ("closed", "complete", "completed"),
    ("closed", "cancel", "cancelled"),
]
ILLEGAL_TRANSITIONS = [
    (status, action)
    for status in ["draft", "published", "closed", "completed", "cancelled"]
    for action in ["publish", "close", "complete", "cancel"]
    if (status, action) not in {(s, a) for s, a, _ in LEGAL_TRANSITIONS}
]


@pytest.mark.parametrize(("status", "action", "expected"), LEGAL_TRANSITIONS)
def test_legal_event_transition_reaches_next_status(status, action, expected):
    assert next_event_status(status, action) == expected


@pytest.mark.parametrize(("status", "action"), ILLEGAL_TRANSITIONS)
def test_illegal_event_transition_names_state_and_allowed_actions(status, action):
    with pytest.raises(Conflict) as caught:
        next_event_status(status, action)

    assert caught.value.details["current_state"] == status
    assert caught.value.details["allowed_actions"] == allowed_event_actions(status)
    assert action not in caught.value.details["allowed_actions"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("draft", ["publish", "cancel"]),
        ("published", ["close", "cancel"]),
        ("closed", ["complete", "cancel"]),
        ("completed", []),
        ("cancelled", []),
    ],
)
def test_allowed_event_actions_follow_the_lifecycle(status, expected):
    assert allowed_event_actions(status) == expected


def test_unknown_event_action_is_invalid_input():
    with pytest.raises(InvalidInput) as caught:
        next_event_status("draft", "archive")
    assert "action" in caught.value.details


def test_to_utc_keeps_the_instant():
    assert to_utc(STARTS) == datetime(2025, 5, 10, 1, 0, tzinfo=UTC)
    assert to_utc(STARTS).utcoffset() == timedelta(0)


def test_to_utc_refuses_naive_datetimes_naming_the_field():
    with pytest.raises(InvalidInput) as caught:
        to_utc(datetime(2025, 5, 10, 9, 0), "starts_at")
    assert "starts_at" in caught.value.details


def valid_event(**changes):
    event = {
        "title": "网络搭建与应用",
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(hours=8),
        "registration_closes_at": STARTS - timedelta(days=7),
        "team_size_min": 2,
        "team_size_max": 3,
        "capacity": 20,
    }
    event.update(changes)
    return event


def invalid_fields(event):
    with pytest.raises(InvalidInput) as caught:
        validate_event_times_and_sizes(event)
    return set(caught.value.details)


def test_valid_event_comes_back_in_utc():
    checked = validate_event_times_and_sizes(valid_event())

    assert checked["starts_at"] == STARTS
    assert checked["starts_at"].tzinfo == UTC
    assert checked["ends_at"].tzinfo == UTC
    assert checked["registration_closes_at"].tzinfo == UTC
    assert checked["title"] == "网络搭建与应用"


def test_event_may_end_when_it_starts_and_close_registration_at_start():
    validate_event_times_and_sizes(valid_event(ends_at=STARTS, registration_closes_at=STARTS))


def test_event_without_optional_limits_is_valid():
    validate_event_times_and_sizes({"starts_at": STARTS, "ends_at": STARTS, "capacity": None})


def test_event_ending_before_it_starts_is_refused():
    assert invalid_fields(valid_event(ends_at=STARTS - timedelta(minutes=1))) == {"ends_at"}


def test_ordering_compares_instants_across_time_zones():
    # 09:00 in Chongqing is 01:00 UTC, so an end of 02:00 UTC is after the start.
    validate_event_times_and_sizes(valid_event(ends_at=datetime(2025, 5, 10, 2, 0, tzinfo=UTC)))


def test_registration_closing_after_start_is_refused():
    assert invalid_fields(valid_event(registration_closes_at=STARTS + timedelta(minutes=1))) == {
        "registration_closes_at"
    }


@pytest.mark.parametrize("field", ["starts_at", "ends_at", "registration_closes_at"])
def test_naive_times_are_refused(field):
    assert field in invalid_fields(valid_event(**{field: datetime(2025, 5, 10, 9, 0)}))


@pytest.mark.parametrize(("size_min", "size_max"), [(0, 3), (-1, 3)])
def test_team_size_min_below_one_is_refused(size_min, size_max):
    assert invalid_fields(valid_event(team_size_min=size_min, team_size_max=size_max)) == {"team_size_min"}


def test_team_size_max_below_min_is_refused():
    assert invalid_fields(valid_event(team_size_min=4, team_size_max=3)) == {"team_size_max"}


def test_team_size_max_below_one_is_refused():
    assert invalid_fields(valid_event(team_size_min=None, team_size_max=0)) == {"team_size_max"}


@pytest.mark.parametrize("capacity", [0, -5, 2.5, True])
def test_capacity_must_be_a_positive_whole_number(capacity):
    assert invalid_fields(valid_event(capacity=capacity)) == {"capacity"}


def test_every_broken_rule_is_reported_at_once():
    event = valid_event(
        ends_at=STARTS - timedelta(hours=1),
        registration_closes_at=STARTS + timedelta(hours=1),
        team_size_min=0,
        capacity=0,
    )
    assert invalid_fields(event) == {
        "ends_at",
        "registration_closes_at",
        "team_size_min",
        "capacity",
    }


def published(**changes):
    event = {"status": "published", **valid_event(), **changes}
    return event


def test_registration_is_open_while_published_and_before_closing():
    check_registration_open(published(), STARTS - timedelta(days=8))


def test_registration_closes_at_the_closing_time():
    event = published()
    with pytest.raises(Conflict) as caught:
        check_registration_open(event, event["registration_closes_at"])
    assert "closed" in caught.value.details["reason"]


def test_registration_without_closing_time_closes_at_start():
    event = published(registration_closes_at=None)
    check_registration_open(event, STARTS - timedelta(minutes=1))
    with pytest.raises(Conflict):
        check_registration_open(event, STARTS)


@pytest.mark.parametrize("status", ["draft", "closed", "completed", "cancelled"])
def test_registration_is_refused_unless_published(status):
    with pytest.raises(Conflict) as caught:
        check_registration_open(published(status=status), STARTS - timedelta(days=8))
    assert caught.value.details["current_state"] == status
    assert caught.value.details["reason"]


def test_registration_check_refuses_a_naive_now():
    with pytest.raises(InvalidInput):
        check_registration_open(published(), datetime(2025, 5, 1))


@pytest.mark.parametrize("person_ids", [["p1", "p2"], ["p1", "p2", "p3"]])
def test_team_within_size_is_accepted(person_ids):
    check_team_size(valid_event(), person_ids)


@pytest.mark.parametrize("person_ids", [[], ["p1"], ["p1", "p2", "p3", "p4"]])
def test_team_outside_size_is_refused_on_person_ids(person_ids):
    with pytest.raises(InvalidInput) as caught:
        check_team_size(valid_event(), person_ids)
    assert f"got {len(person_ids)}" in caught.value.details["person_ids"]


def test_team_listing_a_person_twice_is_refused():
    with pytest.raises(InvalidInput) as caught:
        check_team_size(valid_event(), ["p1", "p2", "p1"])
    assert "p1" in caught.value.details["person_ids"]


def test_team_size_defaults_to_at_least_one_person():
    event = valid_event(team_size_min=None, team_size_max=None)
    check_team_size(event, ["p1"])
    check_team_size(event, [f"p{i}" for i in range(40)])
    with pytest.raises(InvalidInput):
        check_team_size(event, [])


@pytest.mark.parametrize("person_ids", ["p1", ["p1", ""], ["p1", 7]])
def test_person_ids_must_be_a_list_of_ids(person_ids):
    with pytest.raises(InvalidInput) as caught:
        check_team_size(valid_event(team_size_min=1), person_ids)
    assert "person_ids" in caught.value.details


def at(minutes):
    return datetime(2025, 4, 1, tzinfo=UTC) + timedelta(minutes=minutes)


def test_promotion_takes_the_lowest_waitlist_position():
    waitlisted = [
        {
            "id": "r3",
            "status": "waitlisted",
            "waitlist_position": 3,
            "created_at": at(1),
        },
        {
            "id": "r1",
            "status": "waitlisted",
            "waitlist_position": 1,
            "created_at": at(3),
        },
        {
            "id": "r2",
            "status": "waitlisted",
            "waitlist_position": 2,
            "created_at": at(2),
        },
    ]
    assert pick_promotion(waitlisted)["id"] == "r1"


def test_promotion_falls_back_to_the_earliest_registration():
    waitlisted = [
        {"id": "late", "status": "waitlisted", "created_at": at(5)},
        {"id": "early", "status": "waitlisted", "created_at": at(1)},
        {"id": "undated", "status": "waitlisted"},
    ]
    assert pick_promotion(waitlisted)["id"] == "early"


def test_promotion_ignores_registrations_no_longer_waiting():
    registrations = [
        {"id": "gone", "status": "cancelled", "waitlist_position": 1},
        {"id": "in", "status": "confirmed", "waitlist_position": 2},
        {"id": "next", "status": "waitlisted", "waitlist_position": 3},
    ]
    assert pick_promotion(registrations)["id"] == "next"


def test_nothing_to_promote_from_an_empty_waitlist():
    assert pick_promotion([]) is None
    assert pick_promotion([{"id": "r", "status": "cancelled"}]) is None


VIEWERS = {
    "public": {"admin": False, "org": None},
    "organiser": {"admin": False, "org": "org-o"},
    "other org": {"admin": False, "org": "org-x"},
    "admin": {"admin": True, "org": None},
}

# status -> the viewers who see an event of org-o in that status
SEEN_BY = {
    "draft": {"organiser", "admin"},
    "published": {"public", "organiser", "other org", "admin"},
    "closed": {"public", "organiser", "other org", "admin"},
    "completed": {"public", "organiser", "other org", "admin"},
    "cancelled": {"organiser", "admin"},
}


@pytest.mark.parametrize("status", list(SEEN_BY))
@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_public_sees_published_closed_and_completed_events_organiser_and_admin_see_all(status, viewer):
    event = {"_id": "ev1", "organiser_id": "org-o", "status": status}
    seen = viewer in SEEN_BY[status]

    assert visibility(VIEWERS[viewer]).admits(event) is seen
    if seen:
        check_visible(event, VIEWERS[viewer])
    else:
        with pytest.raises(NotFound) as caught:
            check_visible(event, VIEWERS[viewer])
        assert str(caught.value) == "event ev1 not found"


def test_a_listing_for_anyone_but_the_admin_asks_for_public_statuses_or_the_own_organisation():
    assert visibility(VIEWERS["admin"]) == Visibility(statuses=None)
    assert visibility(VIEWERS["public"]) == Visibility(statuses=PUBLIC_STATUSES, organiser_id=None)
    assert visibility({"admin": False, "org": ""}).organiser_id is None
    assert visibility(VIEWERS["organiser"]).organiser_id == "org-o"


def test_listing_period_comes_back_in_utc():
    start, end = check_period(STARTS, STARTS + timedelta(days=1))
    assert start == datetime(2025, 5, 10, 1, 0, tzinfo=UTC)
    assert end.utcoffset() == timedelta(0)
    assert check_period(None, None) == (None, None)


def test_empty_or_naive_listing_period_is_refused_naming_the_bound():
    with pytest.raises(InvalidInput) as caught:
        check_period(STARTS, STARTS)
    assert "to" in caught.value.details
    with pytest.raises(InvalidInput) as caught:
        check_period(datetime(2025, 5, 1), None)
    assert "from" in caught.value.details


@pytest.mark.parametrize("status", ["published", "closed"])
def test_live_registrations_can_be_cancelled_until_the_event_is_over(status):
    check_registration_cancellable({"status": status}, {"status": "confirmed"})


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_registrations_of_finished_events_stay(status):
    with pytest.raises(Conflict) as caught:
        check_registration_cancellable({"status": status}, {"status": "confirmed"})
    assert caught.value.details["current_state"] == status


def test_a_cancelled_registration_cannot_be_cancelled_again():
    with pytest.raises(Conflict):
        check_registration_cancellable({"status": "published"}, {"status": RegistrationStatus.CANCELLED.value})


def test_a_new_event_is_a_draft_without_results():
    event = new_event("ev1", {"title": "开放日", "capacity": 2}, STARTS)
    assert (event["_id"], event["status"], event["results_revision"]) == ("ev1", "draft", 0)
    assert event["created_at"] == event["updated_at"] == STARTS


def test_a_new_registration_waits_at_its_position_or_holds_a_place():
    fields = {"organisation_id": "org-a", "person_ids": ["p1"], "team_name": None}
    waiting = new_registration("r1", "ev1", fields, RegistrationStatus.WAITLISTED, 3, STARTS)
    confirmed = new_registration("r2", "ev1", fields, RegistrationStatus.CONFIRMED, None, STARTS)
    assert (waiting["status"], waiting["waitlist_position"]) == ("waitlisted", 3)
    assert (confirmed["status"], confirmed["waitlist_position"]) == ("confirmed", None)


@pytest.mark.parametrize("status", ["confirmed", "waitlisted"])
def test_a_cancellation_also_leaves_the_waitlist(status):
    changes = cancellation({"status": status, "waitlist_position": 2}, STARTS)
    assert changes == {
        "status": "cancelled",
        "waitlist_position": None,
        "updated_at": STARTS,
        "cancelled_at": STARTS,
        "cancel_reason": None,
    }
    assert cancellation({"status": status}, STARTS, "the event was cancelled")["cancel_reason"] == (
        "the event was cancelled"
    )


def test_only_a_waiting_registration_is_promoted():
    assert promotion({"status": "waitlisted", "waitlist_position": 1}, STARTS) == {
        "status": "confirmed",
        "waitlist_position": None,
        "updated_at": STARTS,
    }
    with pytest.raises(Conflict):
        promotion({"status": "confirmed"}, STARTS)


def test_who_corrected_an_event_is_shown_to_its_organiser_and_the_admin_only():
    line = {
        "changes": [{"field": "title", "from": "a", "to": "b"}],
        "at": STARTS,
        "by": "org_admin:org-a",
        "reason": "错字",
    }
    event = {"organiser_id": "org-a", "history": [line]}
    assert as_seen_by(event, {"admin": True})["history"] == [line]
    assert as_seen_by(event, {"admin": False, "org": "org-a"})["history"] == [line]
    for stranger in ({"admin": False, "org": "org-b"}, {"admin": False, "org": None}):
        assert as_seen_by(event, stranger)["history"] == [{**line, "by": None}]


def test_event_times_outside_the_years_an_event_can_take_place_are_refused():
    # Year 665 came from a fuzzer: Asia/Shanghai then had a local mean time offset of +08:05:43,
    # which no RFC 3339 local time can carry.
    ancient = datetime(665, 12, 8, 22, 31, 20, tzinfo=UTC)
    assert invalid_fields(valid_event(starts_at=ancient, registration_closes_at=None)) == {"starts_at"}
    assert invalid_fields(valid_event(ends_at=datetime(2301, 1, 1, tzinfo=UTC))) == {"ends_at"}
