from datetime import UTC, datetime, timedelta

import pytest

from certificates_svc import assessments, awards, domain, lifecycle, schemas
from services.errors import Conflict, InvalidInput, NotFound
from services.validation import load

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def certificate(status="active", valid_until=None, **extra):
    return {
        "number": "TC-2026-000001",
        "holder_id": "p1",
        "holder_name": "张三丰",
        "status": status,
        "status_index": 131_073,
        "valid_until": valid_until,
        "kind": "training_completion",
        "title": "师资培训",
        "issuer_id": "o1",
        "issuer_name": "渝中职教中心",
        "issued_at": NOW,
        "credential": {"id": "http://x/api/v1/certificates/TC-2026-000001/credential"},
        **extra,
    }


@pytest.mark.parametrize(
    "status, action, new_status, bits",
    [
        ("active", "revoke", "revoked", {"revocation": True, "suspension": False}),
        ("active", "suspend", "suspended", {"suspension": True}),
        ("suspended", "reinstate", "active", {"suspension": False}),
        ("suspended", "revoke", "revoked", {"revocation": True, "suspension": False}),
    ],
)
def test_allowed_transitions_say_which_bits_flip(status, action, new_status, bits):
    change = lifecycle.plan_transition(certificate(status), action, "a reason", NOW)

    assert (change["old_status"], change["new_status"], change["bits"]) == (status, new_status, bits)
    event = lifecycle.status_changed_event(change)
    assert event["changed_at"] == "2026-06-01T00:00:00.000Z"
    assert event["reason"] == "a reason"


@pytest.mark.parametrize(
    "status, action, allowed",
    [
        ("revoked", "reinstate", []),
        ("revoked", "revoke", []),
        ("active", "reinstate", ["revoke", "suspend"]),
        ("suspended", "suspend", ["revoke", "reinstate"]),
    ],
)
def test_illegal_transitions_are_conflicts_that_name_the_allowed_actions(status, action, allowed):
    with pytest.raises(Conflict) as raised:
        lifecycle.plan_transition(certificate(status), action, "why", NOW)

    assert raised.value.details == {"current_state": status, "allowed_actions": allowed}


def test_a_refused_transition_says_what_the_certificate_is_and_what_was_asked():
    with pytest.raises(Conflict) as raised:
        lifecycle.plan_transition(certificate("revoked"), "reinstate", None, NOW)

    assert raised.value.message == "cannot reinstate a certificate that is revoked"


def test_statuses_are_stored_and_published_as_plain_strings():
    change = lifecycle.plan_transition(certificate(), "suspend", "audit", NOW)
    event = lifecycle.status_changed_event(change)

    assert [type(v) for v in (change["old_status"], change["new_status"], event["new_status"])] == [str] * 3
    assert type(domain.current_view(certificate(), NOW)["status"]) is str
    assert type(domain.public_verification(certificate(), "张三丰", NOW)["status"]) is str


def test_revoking_or_suspending_needs_a_reason_but_reinstating_does_not():
    with pytest.raises(InvalidInput):
        lifecycle.plan_transition(certificate(), "revoke", "  ", NOW)
    assert lifecycle.plan_transition(certificate("suspended"), "reinstate", None, NOW)["reason"] is None


def test_a_certificate_past_valid_until_is_expired_and_may_only_be_revoked():
    expired = certificate(valid_until=NOW - timedelta(seconds=1))

    assert lifecycle.effective_status(expired, NOW) == "expired"
    assert lifecycle.allowed_actions("expired") == ["revoke"]
    assert lifecycle.effective_status({**expired, "status": "revoked"}, NOW) == "revoked"
    assert lifecycle.plan_transition(expired, "revoke", "fraud", NOW)["old_status"] == "expired"


def test_public_verification_masks_the_name_and_refuses_a_wrong_name_like_an_unknown_number():
    answer = domain.public_verification(certificate(), "  张三丰 ", NOW)

    assert answer["holder"] == "张*丰"
    assert answer["valid"] is True
    with pytest.raises(NotFound) as wrong:
        domain.public_verification(certificate(), "张三", NOW)
    with pytest.raises(NotFound) as unknown:
        domain.public_verification(None, "张三丰", NOW)
    assert (wrong.value.message, wrong.value.details) == (unknown.value.message, unknown.value.details)


def test_a_revocation_answers_its_date_and_category_but_never_the_reason_typed():
    revoked = certificate("revoked", status_reason="王五 copied the answers", status_changed_at=NOW)
    legacy = certificate("revoked", status_reason="fraud", status_changed_at=NOW)
    revoked["status_category"] = "misconduct"

    answer = domain.public_verification(revoked, "张三丰", NOW)

    assert (answer["valid"], answer["status"]) == (False, "revoked")
    assert (answer["status_changed_at"], answer["reason_category"]) == (NOW, "misconduct")
    assert answer["public_reason"] is None and answer["replaced_by"] is None
    assert "王五" not in str(answer)
    assert domain.public_status(legacy, NOW)["reason_category"] == lifecycle.DEFAULT_REVOCATION_CATEGORY


def test_a_certificate_a_correction_replaced_answers_superseded_with_its_successor():
    old = certificate(
        "revoked",
        status_reason="results corrected (revision 2)",
        status_category="results_corrected",
        status_changed_at=NOW,
        superseded_by="CA-2026-000009",
    )

    answer = domain.public_status(old, NOW + timedelta(days=1))

    assert answer == {
        "valid": False,
        "status": "superseded",
        "status_changed_at": NOW,
        "reason_category": "results_corrected",
        "public_reason": "results corrected (revision 2)",
        "replaced_by": "CA-2026-000009",
    }
    assert domain.public_status(certificate(), NOW)["status_changed_at"] is None


def test_a_revocation_plans_its_category_and_successor_and_only_a_revocation_has_them():
    change = lifecycle.plan_transition(
        certificate(), "revoke", "results corrected (revision 2)", NOW, category="results_corrected", replaced_by="X"
    )

    assert (change["category"], change["replaced_by"]) == ("results_corrected", "X")
    assert lifecycle.plan_transition(certificate(), "revoke", "why", NOW)["category"] == "other"
    assert lifecycle.plan_transition(certificate(), "suspend", "why", NOW)["category"] is None
    with pytest.raises(InvalidInput):
        lifecycle.plan_transition(certificate(), "suspend", "why", NOW, category="misconduct")
    with pytest.raises(InvalidInput):
        lifecycle.plan_transition(certificate(), "revoke", "why", NOW, category="whim")


@pytest.mark.parametrize(
    "list_id, parsed",
    [
        ("revocation-0", ("revocation", 0)),
        ("suspension-12", ("suspension", 12)),
        ("revocation-01", None),
        ("other-0", None),
        ("revocation-", None),
        ("revocation-١", None),
    ],
)
def test_status_list_ids(list_id, parsed):
    assert domain.list_number(list_id) == parsed


def row(award, people, team=None):
    return {
        "registration_id": "r",
        "organisation_id": "o",
        "person_ids": people,
        "team_name": team,
        "score": 1.0,
        "rank": 1,
        "award": award,
    }


def test_prizes_and_participation_earn_certificates_and_none_does_not():
    desired = awards.desired_awards(
        [
            row("first_prize", ["a", "b"], "队"),
            row("participation", ["c"]),
            row("none", ["d"]),
            row("excellence", ["c"]),
        ]
    )

    assert {p: r["award"] for p, r in desired.items()} == {"a": "first_prize", "b": "first_prize", "c": "excellence"}


def test_a_correction_revokes_and_reissues_only_what_changed():
    desired = awards.desired_awards([row("first_prize", ["a"]), row("third_prize", ["c"])])
    current = {
        "a": {"number": "CA-1", "award": "first_prize"},
        "b": {"number": "CA-2", "award": "second_prize"},
        "c": {"number": "PA-1", "award": "participation"},
    }

    assert awards.plan_award_changes(desired, current) == (["CA-2", "PA-1"], ["c"])


def test_award_requests_name_the_event_and_the_prize():
    event = {
        "event_id": "e",
        "organiser_id": "o",
        "title": "网络搭建与应用",
        "kind": "skills_competition",
        "skill": "网络搭建与应用",
        "revision": 2,
    }

    team = awards.award_request(event, row("first_prize", ["a"], "渝中一队"), "a")
    assert (team["kind"], team["title"], team["issuer_id"]) == ("competition_award", "网络搭建与应用 团体一等奖", "o")
    assert awards.award_request(event, row("participation", ["a"]), "a")["kind"] == "participation"
    assert awards.award_issuance_key(event, "a", "first_prize") == "award:e:a:first_prize:r2"


ASSESSMENT = {
    "issuer_id": "o",
    "occupation": "电工",
    "work_type": None,
    "level": 4,
    "title": None,
    "assessed_on": datetime(2022, 6, 18).date(),
    "external_ref": None,
    "results": [{"person_id": "a", "passed": True, "score": 90.0}, {"person_id": "b", "passed": False, "score": 40.0}],
}


def test_the_same_assessment_content_or_reference_gives_the_same_job_key():
    reordered = {**ASSESSMENT, "results": list(reversed(ASSESSMENT["results"]))}
    changed = {**ASSESSMENT, "level": 3}

    key = assessments.job_key("assessment", "o", ASSESSMENT)
    assert assessments.job_key("assessment", "o", reordered) == key
    assert assessments.job_key("assessment", "o", changed) != key
    assert assessments.job_key("assessment", "o", {**ASSESSMENT, "external_ref": "R1"}) == assessments.job_key(
        "assessment", "o", {**changed, "external_ref": "R1"}
    )


def test_assessment_items_issue_skill_levels_to_those_who_passed_and_record_every_outcome():
    key = assessments.job_key("assessment", "o", ASSESSMENT)
    job = assessments.new_job("j1", "assessment", key, ASSESSMENT, 2, NOW)
    passed, failed = assessments.job_items("j1", "assessment", key, ASSESSMENT)

    request = assessments.item_request(job, passed)
    assert (request["kind"], request["level"], request["holder_id"]) == ("skill_level", 4, "a")
    assert request["title"] == "电工 四级/中级工 职业技能等级证书"
    assert assessments.item_request(job, failed) is None
    assert passed["issuance_key"] == f"{key}|a"
    outcome = assessments.outcome_of(job, failed, {"organisation_id": "school"}, certified=False)
    assert (outcome["organisation_id"], outcome["year"], outcome["passed"]) == ("school", 2022, False)


def test_an_assessment_job_answers_what_it_assesses_and_how_many_passed_and_a_batch_neither():
    job = assessments.new_job("j1", "assessment", "k", ASSESSMENT, 2, NOW)
    batch = assessments.new_job("j2", "batch", "k2", {"issuer_id": "o", "items": [{}]}, 1, NOW)

    answer = schemas.Job().dump(job)
    assert (answer["total"], answer["passed"]) == (2, 1)
    assert answer["assessment"] == {
        "occupation": "电工",
        "work_type": None,
        "level": 4,
        "assessed_on": "2022-06-18",
        "title": None,
        "external_ref": None,
    }
    (listed,) = schemas.JobSummary(many=True).dump([job])
    assert listed["assessment"] == answer["assessment"] and "errors" not in listed
    assert (schemas.Job().dump(batch)["assessment"], schemas.Job().dump(batch)["passed"]) == (None, None)


def test_jobs_start_from_queued_and_end_failed_only_when_every_item_failed():
    job = assessments.new_job("j1", "assessment", "k", ASSESSMENT, 2, NOW)

    assert (job["kind"], job["status"]) == ("assessment", "queued")
    assert type(job["status"]) is str and type(job["kind"]) is str
    assert assessments.job_transition("start") == (["queued"], "running")
    assert assessments.job_transition(assessments.finishing_action({**job, "failed": 1})) == (
        ["queued", "running"],
        "done",
    )
    assert assessments.job_transition(assessments.finishing_action({**job, "failed": 2})) == (
        ["queued", "running"],
        "failed",
    )
    assert assessments.finishing_action({**job, "total": 0}) == "complete"


def test_a_candidate_listed_twice_is_refused():
    with pytest.raises(InvalidInput):
        assessments.check_assessment({**ASSESSMENT, "results": ASSESSMENT["results"] * 2})


def test_attainment_rate_is_certified_over_assessed_to_three_decimals():
    outcomes = (
        [{"occupation": "电工", "level": 4, "certified": True}] * 2063
        + [{"occupation": "电工", "level": 4, "certified": False}] * 51
        + [{"occupation": "焊工", "level": 5, "certified": True}]
    )

    stats = assessments.attainment("o", 2022, outcomes)

    assert (stats["assessed"], stats["certified"], stats["attainment_rate"]) == (2115, 2064, 0.976)
    groups = {g["occupation"]: g for g in stats["by_occupation_and_level"]}
    assert groups["电工"] == {
        "occupation": "电工",
        "level": 4,
        "assessed": 2114,
        "certified": 2063,
        "attainment_rate": 0.976,
    }
    assert assessments.attainment("o", 2022, [])["attainment_rate"] is None


def test_a_certificate_answer_names_its_skill_level_in_both_languages():
    skill = schemas.Certificate().dump(certificate(kind="skill_level", level=4))
    training = schemas.Certificate().dump(certificate())

    assert skill["level_name"] == {"zh": "四级/中级工", "en": "Level 4 / intermediate worker"}
    assert training["level_name"] is None
    assert [c["level_name"] for c in schemas.Certificate(many=True).dump([certificate(level=1)])] == [
        {"zh": "一级/高级技师", "en": "Level 1 / senior technician"}
    ]


def test_a_certificate_query_pages_by_default_and_filters_only_on_what_it_is_given():
    assert load(schemas.CertificateQuery, {}) == {"limit": 50, "cursor": None}
    assert load(schemas.CertificateQuery, {"issuer_id": "o1", "limit": 5, "cursor": None}) == {
        "issuer_id": "o1",
        "limit": 5,
        "cursor": None,
    }


@pytest.mark.parametrize(
    "query",
    [
        {"issuer_id": None},
        {"issuer_id": ""},
        {"status": "expired"},
        {"kind": "diploma"},
        {"name": "张三丰"},
        {"limit": 0},
    ],
)
def test_a_certificate_query_refuses_a_filter_it_cannot_apply_rather_than_listing_everything(query):
    with pytest.raises(InvalidInput):
        load(schemas.CertificateQuery, query)
