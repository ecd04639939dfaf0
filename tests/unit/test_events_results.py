from datetime import UTC, datetime, timedelta

import pytest

from events_svc.results import award_changes, readable_rows, result_rows, validate_results
from services.errors import Conflict, InvalidInput
from services.identity import mask_name

NOW = datetime(2026, 5, 13, 9, 0, tzinfo=UTC)


def closed_event(status="closed"):
    return {"id": "ev1", "status": status}


REGISTRATIONS = {
    "r1": {"id": "r1", "event_id": "ev1", "status": "confirmed"},
    "r2": {"id": "r2", "event_id": "ev1", "status": "confirmed"},
    "rw": {"id": "rw", "event_id": "ev1", "status": "waitlisted"},
    "rc": {"id": "rc", "event_id": "ev1", "status": "cancelled"},
    "other": {"id": "other", "event_id": "ev2", "status": "confirmed"},
}


@pytest.mark.parametrize("status", ["closed", "completed"])
def test_results_for_confirmed_registrations_are_accepted(status):
    rows = [
        {"registration_id": "r1", "score": 96.5, "rank": 1, "award": "first_prize"},
        {"registration_id": "r2", "score": 80, "rank": 2},
    ]

    checked = validate_results(closed_event(status), rows, REGISTRATIONS, NOW)

    assert [row["award"] for row in checked] == ["first_prize", "none"]
    assert checked[0]["score"] == 96.5


@pytest.mark.parametrize("status", ["draft", "published", "cancelled"])
def test_results_are_refused_before_the_event_closes(status):
    with pytest.raises(Conflict) as caught:
        validate_results(closed_event(status), [{"registration_id": "r1"}], REGISTRATIONS, NOW)
    assert caught.value.details["current_state"] == status


@pytest.mark.parametrize("registration_id", ["missing", "rw", "rc", "other"])
def test_results_must_name_a_confirmed_registration_of_the_event(registration_id):
    rows = [{"registration_id": "r1"}, {"registration_id": registration_id}]
    with pytest.raises(InvalidInput) as caught:
        validate_results(closed_event(), rows, REGISTRATIONS, NOW)
    assert set(caught.value.details) == {"/results/1/registration_id"}


def test_results_must_not_repeat_a_registration():
    rows = [
        {"registration_id": "r1"},
        {"registration_id": "r2"},
        {"registration_id": "r1"},
    ]
    with pytest.raises(InvalidInput) as caught:
        validate_results(closed_event(), rows, REGISTRATIONS, NOW)
    assert caught.value.details["/results/2/registration_id"] == ["already given at /results/0/registration_id"]


def test_result_rows_need_a_registration_id():
    with pytest.raises(InvalidInput) as caught:
        validate_results(closed_event(), [{"award": "none"}], REGISTRATIONS, NOW)
    assert "/results/0/registration_id" in caught.value.details


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"registration_id": "r1", "award": "gold"}, "/results/0/award"),
        ({"registration_id": "r1", "rank": 0}, "/results/0/rank"),
        ({"registration_id": "r1", "score": "ninety"}, "/results/0/score"),
    ],
)
def test_result_values_are_checked(row, field):
    with pytest.raises(InvalidInput) as caught:
        validate_results(closed_event(), [row], REGISTRATIONS, NOW)
    assert set(caught.value.details) == {field}


def test_award_changes_list_only_registrations_whose_award_changed():
    old = [
        {"registration_id": "r1", "award": "first_prize"},
        {"registration_id": "r2", "award": "second_prize"},
        {"registration_id": "r3", "award": "third_prize"},
        {"registration_id": "r4", "award": "excellence"},
    ]
    new = [
        {"registration_id": "r1", "award": "second_prize"},
        {"registration_id": "r2", "award": "first_prize"},
        {"registration_id": "r3", "award": "third_prize"},
        {"registration_id": "r5", "award": "participation"},
        {"registration_id": "r6"},
    ]

    assert award_changes(old, new) == {
        "r1": {"from": "first_prize", "to": "second_prize"},
        "r2": {"from": "second_prize", "to": "first_prize"},
        "r4": {"from": "excellence", "to": "none"},
        "r5": {"from": "none", "to": "participation"},
    }


def test_first_results_are_all_changes_from_none():
    assert award_changes([], [{"registration_id": "r1", "award": "first_prize"}]) == {
        "r1": {"from": "none", "to": "first_prize"}
    }


def test_identical_results_have_no_changes():
    rows = [{"registration_id": "r1", "award": "first_prize"}]
    assert award_changes(rows, rows) == {}


def test_result_rows_carry_their_registrations_organisation_people_and_team():
    registrations = {
        "r1": {"organisation_id": "org-a", "person_ids": ["p1", "p2"], "team_name": "一队"},
        "r2": {"organisation_id": "org-b", "person_ids": ["p3"]},
    }
    rows = [{"registration_id": "r1", "award": "first_prize"}, {"registration_id": "r2", "award": "none"}]

    assert result_rows(rows, registrations) == [
        {
            "registration_id": "r1",
            "award": "first_prize",
            "organisation_id": "org-a",
            "person_ids": ["p1", "p2"],
            "team_name": "一队",
        },
        {"registration_id": "r2", "award": "none", "organisation_id": "org-b", "person_ids": ["p3"], "team_name": None},
    ]


def test_the_public_reads_masked_names_and_no_person_ids():
    rows = [{"registration_id": "r1", "organisation_id": "org-a", "person_ids": ["p1", "p2"], "award": "first_prize"}]
    names = {"p1": "张三丰", "p2": "欧阳娜娜"}
    (public,) = readable_rows(rows, names, mask_name)
    assert public["person_ids"] is None
    assert public["names"] == ["张*丰", "欧**娜"]
    (full,) = readable_rows(rows, names, None)
    assert (full["person_ids"], full["names"]) == (["p1", "p2"], ["张三丰", "欧阳娜娜"])
    (unknown,) = readable_rows([{**rows[0], "person_ids": ["p9"]}], names, mask_name)
    assert unknown["names"] == [None]


def test_results_wait_for_the_event_to_start():
    event = {**closed_event(), "starts_at": NOW + timedelta(minutes=1)}
    rows = [{"registration_id": "r1", "award": "first_prize"}]

    with pytest.raises(Conflict) as refused:
        validate_results(event, rows, REGISTRATIONS, NOW)

    assert refused.value.message == "results cannot be recorded before the event starts"
    assert refused.value.details["starts_at"] == "2026-05-13T09:01:00.000Z"
    started = validate_results({**event, "starts_at": NOW}, rows, REGISTRATIONS, NOW)
    assert started[0]["award"] == "first_prize"
