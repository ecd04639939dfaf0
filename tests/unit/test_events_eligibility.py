from datetime import UTC, datetime, timedelta, timezone

import pytest

from events_svc.eligibility import (
    change_applies,
    check_active_member,
    check_people_belong,
    check_people_not_registered,
    membership_record,
    organisation_record,
    person_record,
)
from services.errors import Conflict, Unprocessable

T0 = datetime(2025, 4, 1, 8, 0, tzinfo=UTC)


def test_first_change_applies():
    assert change_applies(None, T0)


def test_later_change_applies_and_older_one_arriving_late_does_not():
    assert change_applies(T0, T0 + timedelta(milliseconds=1))
    assert not change_applies(T0, T0 - timedelta(seconds=1))


def test_change_at_the_same_instant_applies_in_arrival_order():
    same_instant = T0.astimezone(timezone(timedelta(hours=8)))
    assert change_applies(T0, same_instant)


def test_an_active_membership_may_register():
    check_active_member("alliance-1", "org-a", ["left", "active"])


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [([], "is not a member"), (["suspended"], "suspended"), (["applied"], "applied")],
)
def test_other_memberships_are_refused_on_organisation_id(statuses, expected):
    with pytest.raises(Unprocessable) as caught:
        check_active_member("alliance-1", "org-a", statuses)
    assert expected in caught.value.details["organisation_id"]


def test_people_of_the_organisation_may_be_registered():
    people = {"p1": {"organisation_id": "org-a"}, "p2": {"organisation_id": "org-a"}}
    check_people_belong("org-a", ["p1", "p2"], people)


def test_unknown_people_and_people_of_another_organisation_are_named():
    people = {"p1": {"organisation_id": "org-a"}, "p2": {"organisation_id": "org-b"}}
    with pytest.raises(Unprocessable) as caught:
        check_people_belong("org-a", ["p1", "p2", "p3"], people)
    message = caught.value.details["person_ids"]
    assert "unknown people: p3" in message
    assert "not people of organisation org-a: p2" in message


def test_archived_people_are_not_registered():
    people = {"p1": {"organisation_id": "org-a"}, "p2": {"organisation_id": "org-a", "archived": True}}
    with pytest.raises(Unprocessable) as caught:
        check_people_belong("org-a", ["p1", "p2"], people)
    assert caught.value.details["person_ids"] == "archived people: p2"


def test_nobody_registered_yet_passes():
    check_people_not_registered([])


def test_someone_already_registered_is_a_conflict_naming_them():
    with pytest.raises(Conflict) as caught:
        check_people_not_registered(["p2", "p1"])
    assert caught.value.details["field"] == "person_ids"
    assert caught.value.details["person_ids"] == ["p1", "p2"]


def test_a_membership_record_keeps_the_new_status_and_when_it_happened():
    change = {
        "membership_id": "m1",
        "alliance_id": "al-1",
        "organisation_id": "org-a",
        "role": "member",
        "old_status": "applied",
        "new_status": "active",
    }
    assert membership_record(change, T0) == {
        "_id": "m1",
        "alliance_id": "al-1",
        "organisation_id": "org-a",
        "role": "member",
        "status": "active",
        "as_of": T0,
    }


def test_a_person_record_keeps_whose_person_it_is():
    person = {
        "person_id": "p1",
        "organisation_id": "org-a",
        "name": "张三",
        "kind": "student",
        "student_number": "2025001",
    }
    assert person_record(person, T0) == {
        "_id": "p1",
        "organisation_id": "org-a",
        "name": "张三",
        "kind": "student",
        "archived": False,
        "as_of": T0,
    }
    assert person_record({**person, "archived": True}, T0)["archived"] is True


def test_an_organisation_record_keeps_its_name_and_when():
    data = {"organisation_id": "org-a", "name": "重庆市渝中职业教育中心", "kind": "secondary_vocational_school"}
    assert organisation_record(data, T0) == {"_id": "org-a", "name": "重庆市渝中职业教育中心", "as_of": T0}
