"""The issuing rules: who may issue which certificate to whom."""

from __future__ import annotations

import pytest

from alliance.cli.verify import did_web_url
from certificates_svc.authority import (
    IssuingFacts,
    check_may_issue_to,
    granting_rule,
    missing_rules,
    registration_record,
)
from certificates_svc.signing import organisation_did
from services.errors import Forbidden

A, B = "org-a", "org-b"


def facts(**overrides) -> IssuingFacts:
    return IssuingFacts(**{"issuer_id": A, "holder_organisation_id": B, **overrides})


@pytest.mark.parametrize("kind", ["participation", "competition_award", "training_completion", "skill_level"])
def test_an_organisation_issues_any_kind_to_its_own_people(kind):
    assert check_may_issue_to(kind, "p1", facts(holder_organisation_id=A)) == "own_people"


@pytest.mark.parametrize("kind", ["participation", "competition_award", "training_completion"])
def test_another_schools_student_is_refused_naming_the_missing_rules(kind):
    with pytest.raises(Forbidden) as caught:
        check_may_issue_to(kind, "p1", facts())
    assert caught.value.details["missing_rules"] == ["own_people", "event_participants", "alliance_admin"]
    assert "event_participants" in caught.value.message and "p1" in caught.value.details["holder_id"][0]


@pytest.mark.parametrize("kind", ["participation", "competition_award", "training_completion"])
def test_a_confirmed_participant_of_an_own_event_gets_event_certificates(kind):
    assert check_may_issue_to(kind, "p1", facts(event_participant=True)) == "event_participants"


def test_taking_part_in_an_event_earns_no_skill_level():
    assert granting_rule("skill_level", facts(event_participant=True, accredited_evaluator=True)) is None
    assert missing_rules("skill_level") == ["own_people", "assessment_candidates", "alliance_admin"]


def test_an_accredited_evaluator_issues_skill_levels_to_its_assessments_candidates():
    candidate = facts(assessment_candidate=True, accredited_evaluator=True)
    assert check_may_issue_to("skill_level", "p1", candidate) == "assessment_candidates"
    assert granting_rule("skill_level", facts(assessment_candidate=True)) is None
    assert granting_rule("participation", candidate) is None


def test_the_alliance_admin_issues_anything():
    assert check_may_issue_to("participation", "p1", facts(by_admin=True)) == "alliance_admin"
    assert check_may_issue_to("skill_level", "p1", facts(by_admin=True)) == "alliance_admin"


def test_a_holder_with_no_organisation_is_nobody_s_own():
    assert granting_rule("participation", facts(issuer_id=A, holder_organisation_id=None)) is None


@pytest.mark.parametrize(("status", "confirmed"), [("confirmed", True), ("waitlisted", False), ("cancelled", False)])
def test_only_a_confirmed_registration_holds_a_place(status, confirmed):
    record = registration_record(
        {"registration_id": "r1", "event_id": "e1", "person_ids": ["p1", "p2"], "status": status, "change": status}
    )
    assert record == {"_id": "r1", "event_id": "e1", "person_ids": ["p1", "p2"], "confirmed": confirmed}


def test_an_organisation_did_lives_under_the_platform_did():
    did = organisation_did("did:web:certs.example.org%3A8443", "66a1")
    assert did == "did:web:certs.example.org%3A8443:organisations:66a1"


def test_an_organisation_did_resolves_to_its_own_document_on_the_platform():
    assert (
        did_web_url("did:web:127.0.0.1%3A8000:organisations:66a1")
        == "http://127.0.0.1:8000/organisations/66a1/did.json"
    )
    assert did_web_url("did:web:certs.example.org:organisations:66a1") == (
        "https://certs.example.org/organisations/66a1/did.json"
    )
