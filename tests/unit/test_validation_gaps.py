"""Input the platform used to accept: blank names, future assessments, repeated ID numbers, outside candidates."""

from __future__ import annotations

from datetime import date

import pytest

from certificates_svc.assessments import check_assessment
from certificates_svc.authority import assessment_candidate_refusal
from certificates_svc.schemas import CertificateCreate
from members_svc.domain import cohort_fields, cohort_taken
from members_svc.schemas import OrganisationCreate, PersonCreate
from services.errors import Conflict, InvalidInput
from services.validation import load

KEY = b"k" * 32
VALID_ID = "11010519491231002X"


@pytest.mark.parametrize("blank", ["   ", "\u3000\u3000", "\u200b", " \t\n"])
@pytest.mark.parametrize(
    ("schema", "body", "field"),
    [
        (PersonCreate, {"kind": "student"}, "name"),
        (OrganisationCreate, {"kind": "enterprise"}, "name"),
        (CertificateCreate, {"kind": "participation", "holder_id": "p", "issuer_id": "o"}, "title"),
    ],
)
def test_text_of_spaces_alone_is_refused(schema, body, field, blank):
    with pytest.raises(InvalidInput) as caught:
        load(schema, {**body, field: blank})
    assert caught.value.details == {field: ["must contain a visible character"]}


def test_a_name_with_spaces_inside_is_kept():
    assert load(PersonCreate, {"name": "Wang Lei", "kind": "teacher"})["name"] == "Wang Lei"


def assessment(assessed_on: date) -> dict:
    return {"assessed_on": assessed_on, "results": [{"person_id": "p1", "passed": True}]}


def test_an_assessment_in_the_future_is_refused():
    with pytest.raises(InvalidInput) as caught:
        check_assessment(assessment(date(2030, 6, 1)), today=date(2026, 12, 2))
    assert caught.value.details == {"assessed_on": ["must not be in the future"]}


def test_an_assessment_of_today_is_accepted():
    check_assessment(assessment(date(2026, 12, 2)), today=date(2026, 12, 2))


def test_a_cohort_may_not_repeat_a_national_id():
    cohort = [
        {"name": "张三", "kind": "student", "national_id": VALID_ID, "student_number": None, "position": None},
        {"name": "李四", "kind": "student", "national_id": None, "student_number": None, "position": None},
        {"name": "王五", "kind": "student", "national_id": VALID_ID.lower(), "student_number": None, "position": None},
    ]
    with pytest.raises(Conflict) as caught:
        cohort_fields(cohort, KEY)
    assert caught.value.details == {"/people/2/national_id": ["also given at /people/0/national_id"]}
    assert VALID_ID not in caught.value.message + str(caught.value.details)


def test_people_of_a_cohort_already_registered_are_named_by_pointer():
    people = [
        {"student_number": "2022001", "identity": {"digest": "d1"}},
        {"student_number": "2022002", "identity": None},
        {"student_number": None, "identity": {"digest": "d3"}},
    ]
    refused = cohort_taken(people, numbers={"2022002"}, digests={"d3"})

    assert refused.status == 409
    assert refused.details == {
        "/people/1/student_number": ["already registered in this organisation"],
        "/people/2/national_id": ["already registered in this organisation"],
    }
    assert cohort_taken(people, numbers=set(), digests=set()) is None


@pytest.mark.parametrize(
    ("holder", "refused"),
    [
        ({"_id": "t1", "organisation_id": "other", "kind": "teacher"}, True),
        ({"_id": "e1", "organisation_id": "other", "kind": "expert"}, True),
        ({"_id": "s1", "organisation_id": "other", "kind": "student"}, False),
        ({"_id": "t2", "organisation_id": "evaluator", "kind": "teacher"}, False),
        ({"_id": "old", "organisation_id": "other"}, False),  # recorded before kinds were kept
    ],
)
def test_an_assessment_certifies_own_people_and_students_of_others(holder, refused):
    refusal = assessment_candidate_refusal("evaluator", holder, by_admin=False)
    assert (refusal is not None) is refused
    if refused:
        assert refusal.startswith(f"{holder['_id']} is a") and "of another organisation" in refusal
    assert assessment_candidate_refusal("evaluator", holder, by_admin=True) is None
