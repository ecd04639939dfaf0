import hashlib
import hmac
from datetime import UTC, date, datetime

import pytest

from members_svc.domain import (
    MembershipStatus,
    allowed_membership_actions,
    check_organisation_update,
    check_person_position,
    check_single_lead,
    check_unique_student_numbers,
    cohort_fields,
    history_entry,
    holder_record,
    lead_organisation_after,
    new_membership,
    new_person,
    next_membership_status,
    organisation_changes,
    organisation_name_key,
    person_fields,
)
from members_svc.portfolio import apply_certificate_event
from services.errors import Conflict, Forbidden, InvalidInput
from services.identity import mask_identifier, mask_name, national_id_digest, normalise_national_id

LEGAL_TRANSITIONS = [
    ("applied", "approve", "active"),
    ("applied", "reject", "rejected"),
    ("applied", "leave", "left"),
    ("active", "suspend", "suspended"),
    ("active", "leave", "left"),
    ("suspended", "reinstate", "active"),
    ("suspended", "leave", "left"),
]
ACTIONS = ["approve", "reject", "suspend", "reinstate", "leave"]
ILLEGAL_TRANSITIONS = [
    (status, action)
    for status in ["applied", "active", "rejected", "suspended", "left"]
    for action in ACTIONS
    if (status, action) not in {(s, a) for s, a, _ in LEGAL_TRANSITIONS}
]


@pytest.mark.parametrize(("status", "action", "expected"), LEGAL_TRANSITIONS)
def test_legal_membership_transition_reaches_next_status(status, action, expected):
    assert next_membership_status(status, action) == expected


@pytest.mark.parametrize(("status", "action"), ILLEGAL_TRANSITIONS)
def test_illegal_membership_transition_names_state_and_allowed_actions(status, action):
    with pytest.raises(Conflict) as caught:
        next_membership_status(status, action)

    assert caught.value.details["current_state"] == status
    assert caught.value.details["allowed_actions"] == allowed_membership_actions(status)
    assert action not in caught.value.details["allowed_actions"]
    assert status in caught.value.message


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("applied", ["approve", "reject", "leave"]),
        ("active", ["suspend", "leave"]),
        ("suspended", ["reinstate", "leave"]),
        ("rejected", []),
        ("left", []),
    ],
)
def test_allowed_membership_actions_follow_the_lifecycle(status, expected):
    assert allowed_membership_actions(status) == expected


def test_every_allowed_membership_action_succeeds():
    for status in MembershipStatus:
        for action in allowed_membership_actions(status):
            next_membership_status(status, action)


def test_unknown_membership_action_is_invalid_input():
    with pytest.raises(InvalidInput) as caught:
        next_membership_status("active", "promote")
    assert "action" in caught.value.details


def test_unknown_membership_status_is_invalid_input():
    with pytest.raises(InvalidInput) as caught:
        allowed_membership_actions("dormant")
    assert "status" in caught.value.details


def test_history_entry_records_the_change():
    at = datetime(2024, 5, 6, 8, 30, tzinfo=UTC)

    entry = history_entry("active", MembershipStatus.SUSPENDED, at, "admin-1", "unpaid fee")

    assert entry == {
        "from_status": "active",
        "to_status": "suspended",
        "at": at,
        "by": "admin-1",
        "reason": "unpaid fee",
    }


def test_history_entry_of_an_application_has_no_previous_status():
    at = datetime(2024, 5, 6, tzinfo=UTC)
    entry = history_entry(None, "applied", at, None, None)
    assert entry["from_status"] is None
    assert entry["to_status"] == "applied"


@pytest.mark.parametrize("lead_status", ["applied", "active", "suspended"])
def test_second_lead_is_refused_while_the_first_holds_the_role(lead_status):
    existing = [("founding", "active"), ("lead", lead_status)]
    with pytest.raises(Conflict) as caught:
        check_single_lead(existing, "lead")
    assert "role" in caught.value.details


@pytest.mark.parametrize("lead_status", ["rejected", "left"])
def test_lead_may_be_taken_over_after_the_previous_lead_ended(lead_status):
    check_single_lead([("lead", lead_status), ("member", "active")], "lead")


def test_non_lead_roles_are_not_limited():
    existing = [("lead", "active"), ("founding", "active")]
    for role in ["founding", "member", "partner"]:
        check_single_lead(existing, role)


def test_first_lead_is_accepted():
    check_single_lead([("member", "active")], "lead")
    check_single_lead([], "lead")


@pytest.mark.parametrize(
    "national_id",
    [
        "11010519491231002X",
        "110101199003077774",
        "110101199003074477",
        "440308199901010012",
        "510107200002290010",  # born on a leap day
    ],
)
def test_valid_national_ids_are_accepted(national_id):
    assert normalise_national_id(national_id) == national_id


def test_national_id_is_trimmed_and_takes_upper_case_x():
    assert normalise_national_id("  11010519491231002x \n") == "11010519491231002X"


@pytest.mark.parametrize(
    ("national_id", "reason"),
    [
        ("110101199003077775", "check digit"),
        ("11010519491231002Y", "digit or X"),
        ("110101199003077X74", "digit or X"),
        ("11010119900307777", "18 characters"),
        ("1101011990030777741", "18 characters"),
        ("", "18 characters"),
        ("ABCDEFGHIJKLMNOPQR", "digit or X"),
        ("110105199902300015", "date"),  # 30 February
        ("110105190102290014", "date"),  # 1901 was no leap year
        ("110105200013010013", "date"),  # month 13
        ("１１０１０１１９９００３０７７７７４", "digit or X"),  # full-width digits
        ("000000199003077777", "address code"),  # area code 000000, check digit right
        ("910105194912310029", "address code"),  # no province starts with 9
        ("110101203001010014", "in the future"),  # born in 2030
        ("11010118991231001X", "before 1900"),
    ],
)
def test_invalid_national_ids_are_refused_with_a_reason(national_id, reason):
    with pytest.raises(InvalidInput) as caught:
        normalise_national_id(national_id)
    [message] = caught.value.details["national_id"]
    assert reason in message


def test_a_birth_date_is_in_the_future_by_the_given_day():
    born_on_new_year_2027 = "110101202701010010"
    assert normalise_national_id(born_on_new_year_2027, today=date(2027, 1, 1)) == born_on_new_year_2027
    with pytest.raises(InvalidInput) as caught:
        normalise_national_id(born_on_new_year_2027, today=date(2026, 12, 31))
    assert caught.value.details == {"national_id": ["birth date (characters 7-14) is in the future"]}


def test_refusal_never_echoes_the_national_id():
    with pytest.raises(InvalidInput) as caught:
        normalise_national_id("110101199003077775")
    assert "110101199003077775" not in str(caught.value)
    assert "110101199003077775" not in str(caught.value.details)


KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def test_the_national_id_digest_is_hmac_sha256_under_the_deployment_key():
    expected = hmac.new(KEY, b"11010519491231002X", hashlib.sha256).hexdigest()
    assert national_id_digest("11010519491231002X", KEY) == f"hmac-sha256${expected}"


def test_the_digest_recognises_a_repeat_and_depends_on_the_key():
    assert national_id_digest("110101199003077774", KEY) == national_id_digest(" 110101199003077774", KEY)
    assert national_id_digest("110101199003077774", KEY) != national_id_digest("110101199003077774", OTHER_KEY)


def test_the_digest_is_not_a_plain_or_salted_sha256_of_the_id():
    digest = national_id_digest("11010519491231002X", KEY).partition("$")[2]
    assert digest != hashlib.sha256(b"11010519491231002X").hexdigest()
    assert digest != hashlib.sha256(b"11010519491231002X" + KEY).hexdigest()
    assert "11010519491231002X" not in digest


def test_the_digest_refuses_an_invalid_id_and_a_short_key():
    with pytest.raises(InvalidInput):
        national_id_digest("110101199003077775", KEY)
    with pytest.raises(ValueError, match="32 bytes"):
        national_id_digest("110101199003077774", b"short")


def test_mask_identifier_keeps_first_and_last_four():
    assert mask_identifier("11010519491231002X") == "1101**********002X"


def test_mask_identifier_hides_short_values_entirely():
    assert mask_identifier("12345678") == "********"
    assert mask_identifier("123456789") == "1234*6789"


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三丰", "张*丰"),
        ("李四", "李*"),
        ("欧阳娜娜", "欧**娜"),
        ("王", "*"),
        ("Wang Lei", "W*** L**"),
        ("Madonna", "M******"),
        ("  Li  Ming ", "L* M***"),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_issued_certificate_is_added_to_the_portfolio():
    portfolio = [{"number": "C-1", "status": "active"}]

    updated = apply_certificate_event(portfolio, "certificate_issued", {"number": "C-2", "title": "网络搭建与应用"})

    assert [entry["number"] for entry in updated] == ["C-1", "C-2"]
    assert updated[1]["status"] == "active"
    assert updated[1]["title"] == "网络搭建与应用"
    assert portfolio == [{"number": "C-1", "status": "active"}]


def test_reissued_certificate_event_replaces_the_entry_without_duplicating():
    portfolio = apply_certificate_event([], "certificate_issued", {"number": "C-1", "title": "old"})
    portfolio = apply_certificate_event(portfolio, "certificate_issued", {"number": "C-1", "title": "new"})

    assert len(portfolio) == 1
    assert portfolio[0]["title"] == "new"


def test_status_change_updates_the_entry():
    portfolio = apply_certificate_event([], "certificate_issued", {"number": "C-1", "title": "t"})

    portfolio = apply_certificate_event(
        portfolio,
        "certificate_status_changed",
        {"number": "C-1", "new_status": "revoked", "reason": "fraud"},
    )

    assert portfolio == [
        {
            "number": "C-1",
            "title": "t",
            "status": "revoked",
            "status_reason": "fraud",
            "status_changed_at": None,
        }
    ]


def test_status_change_before_issue_gives_the_same_portfolio():
    issued = {"number": "C-1", "title": "t"}
    revoked = {"number": "C-1", "new_status": "revoked", "reason": "fraud"}

    in_order = apply_certificate_event(
        apply_certificate_event([], "certificate_issued", issued),
        "certificate_status_changed",
        revoked,
    )
    reversed_order = apply_certificate_event(
        apply_certificate_event([], "certificate_status_changed", revoked),
        "certificate_issued",
        issued,
    )

    assert reversed_order == in_order
    assert reversed_order[0]["status"] == "revoked"


def test_older_status_change_does_not_overwrite_a_newer_one():
    early = datetime(2024, 1, 1, tzinfo=UTC)
    late = datetime(2024, 2, 1, tzinfo=UTC)
    portfolio = apply_certificate_event([], "certificate_issued", {"number": "C-1"})
    portfolio = apply_certificate_event(
        portfolio,
        "certificate_status_changed",
        {"number": "C-1", "new_status": "active", "changed_at": late},
    )

    portfolio = apply_certificate_event(
        portfolio,
        "certificate_status_changed",
        {"number": "C-1", "new_status": "suspended", "changed_at": early},
    )

    assert portfolio[0]["status"] == "active"


def test_status_change_times_from_the_event_contract_are_compared_as_instants():
    portfolio = apply_certificate_event([], "certificate_issued", {"number": "C-1"})
    portfolio = apply_certificate_event(
        portfolio,
        "certificate_status_changed",
        {
            "number": "C-1",
            "new_status": "revoked",
            "changed_at": "2024-03-01T02:00:00Z",
        },
    )

    # 09:00 in UTC+8 is 01:00 UTC, an hour before the revocation.
    portfolio = apply_certificate_event(
        portfolio,
        "certificate_status_changed",
        {
            "number": "C-1",
            "new_status": "suspended",
            "changed_at": "2024-03-01T09:00:00+08:00",
        },
    )

    assert portfolio[0]["status"] == "revoked"


def test_status_change_without_new_status_is_invalid():
    with pytest.raises(InvalidInput) as caught:
        apply_certificate_event([], "certificate_status_changed", {"number": "C-1"})
    assert "new_status" in caught.value.details


def test_redelivered_events_leave_the_portfolio_unchanged():
    portfolio = apply_certificate_event([], "certificate_issued", {"number": "C-1"})
    once = apply_certificate_event(
        portfolio,
        "certificate_status_changed",
        {"number": "C-1", "new_status": "suspended"},
    )
    twice = apply_certificate_event(once, "certificate_status_changed", {"number": "C-1", "new_status": "suspended"})
    assert twice == once


def test_certificate_event_without_a_number_is_invalid():
    with pytest.raises(InvalidInput) as caught:
        apply_certificate_event([], "certificate_issued", {"title": "t"})
    assert "number" in caught.value.details


def test_unknown_certificate_event_type_is_invalid():
    with pytest.raises(InvalidInput) as caught:
        apply_certificate_event([], "certificate_printed", {"number": "C-1"})
    assert "event_type" in caught.value.details


@pytest.mark.parametrize(
    ("current", "role", "status", "expected"),
    [
        (None, "lead", "active", "org-a"),
        ("org-a", "lead", "suspended", "org-a"),
        ("org-a", "lead", "left", None),
        (None, "lead", "rejected", None),
        ("org-a", "lead", "applied", "org-a"),
        ("org-b", "lead", "left", "org-b"),
        ("org-b", "member", "active", "org-b"),
        (None, "founding", "active", None),
    ],
)
def test_lead_organisation_follows_the_lead_membership(current, role, status, expected):
    assert lead_organisation_after(current, role, "org-a", status) == expected


def test_alliance_admin_may_change_every_organisation_field():
    check_organisation_update({"name": "x", "accredited_evaluator": True, "evaluator": None}, True)


def test_org_admin_may_change_region_and_district():
    check_organisation_update({"region": "重庆", "district": "渝中区"}, False)


def test_only_the_alliance_admin_renames_or_recodes_an_organisation():
    with pytest.raises(Forbidden) as caught:
        check_organisation_update({"name": "x", "region": "重庆", "code": "5001"}, False)
    assert list(caught.value.details) == ["code", "name"]
    check_organisation_update({"name": "x", "code": "5001"}, True)


def test_org_admin_may_not_set_evaluator_fields():
    with pytest.raises(Forbidden) as caught:
        check_organisation_update({"region": "x", "evaluator": None, "accredited_evaluator": False}, False)
    assert list(caught.value.details) == ["accredited_evaluator", "evaluator"]


@pytest.mark.parametrize(
    "look_alike",
    [
        "重庆市 渝中职业教育中心",
        " 重庆市渝中职业教育中心\u3000",
        "重庆市渝中\u200b职业教育中心",
        "重庆市渝中职业教育中心\t",
    ],
)
def test_organisation_names_that_read_the_same_have_the_same_key(look_alike):
    assert organisation_name_key(look_alike) == organisation_name_key("重庆市渝中职业教育中心")


def test_full_width_and_case_variants_of_a_name_have_the_same_key():
    assert organisation_name_key("ＣＱ Ｖｏｃａｔｉｏｎａｌ") == organisation_name_key("cq vocational")
    assert organisation_name_key("重庆市工业学校") != organisation_name_key("重庆市渝中职业教育中心")


def test_a_blank_organisation_name_is_refused():
    with pytest.raises(InvalidInput) as caught:
        organisation_name_key(" \u200b\u3000")
    assert caught.value.details == {"name": "blank"}


def test_organisation_changes_keep_only_differing_fields():
    current = {"name": "重庆市工业学校", "region": "重庆", "district": None}
    requested = {"name": "重庆市工业学校", "district": "南岸区", "code": None}
    assert organisation_changes(current, requested) == {"district": "南岸区"}


def test_position_belongs_to_researchers_only():
    check_person_position("researcher", "full_time_researcher")
    check_person_position("student", None)
    with pytest.raises(InvalidInput) as caught:
        check_person_position("teacher", "part_time_researcher")
    assert "position" in caught.value.details


def test_a_cohort_may_not_repeat_a_student_number():
    check_unique_student_numbers(["1", None, "2", None])
    with pytest.raises(Conflict) as refused:
        check_unique_student_numbers(["S2022017", "2", "S2022017"])
    assert refused.value.details == {"/people/2/student_number": ["also given at /people/0/student_number"]}
    assert "S2022017" not in refused.value.message


NATIONAL_ID = "11010519491231002X"


def person(**fields):
    return {"name": "李明", "kind": "student", "national_id": None, "student_number": None, "position": None, **fields}


def test_a_person_is_stored_with_the_keyed_digest_and_masked_form_of_the_national_id_only():
    stored = person_fields(person(national_id=NATIONAL_ID.lower()), KEY)

    assert "national_id" not in stored
    assert stored["national_id_masked"] == "1101**********002X"
    assert stored["identity"] == {"digest": national_id_digest(NATIONAL_ID, KEY)}
    assert NATIONAL_ID not in repr(stored)


def test_a_person_without_a_national_id_has_no_identity_but_a_random_subject_id():
    first, second = person_fields(person(), KEY), person_fields(person(), KEY)
    assert "identity" not in first and "national_id_masked" not in first
    assert first["subject_id"].startswith("urn:uuid:")
    assert first["subject_id"] != second["subject_id"]


def test_a_refused_person_of_a_cohort_is_named_by_index():
    with pytest.raises(InvalidInput) as caught:
        cohort_fields([person(), person(kind="teacher", position="full_time_researcher")], KEY)
    assert "/people/1/position" in caught.value.details


def test_a_cohort_repeating_a_student_number_is_refused():
    with pytest.raises(Conflict):
        cohort_fields([person(student_number="1"), person(student_number="1")], KEY)


def test_a_membership_starts_applied_with_one_history_line():
    at = datetime(2024, 9, 1, tzinfo=UTC)
    membership = new_membership("m-1", "a-1", "o-1", "member", "admin", at)

    assert membership["status"] == "applied"
    assert membership["history"] == [
        {"from_status": None, "to_status": "applied", "at": at, "by": "admin", "reason": None}
    ]
    assert allowed_membership_actions(membership["status"]) == ["approve", "reject", "leave"]


def test_the_person_registered_payload_carries_nothing_of_the_national_id():
    stored = person_fields(person(national_id=NATIONAL_ID, student_number="2022001"), KEY)
    payload = holder_record(new_person("p-1", "o-1", stored, datetime(2024, 9, 1, tzinfo=UTC)))

    assert payload == {
        "person_id": "p-1",
        "organisation_id": "o-1",
        "name": "李明",
        "kind": "student",
        "student_number": "2022001",
        "subject_id": stored["subject_id"],
    }


def test_a_person_stored_before_subject_ids_gets_a_stable_one_from_the_record_id():
    stored = person_fields(person(), KEY)
    del stored["subject_id"]
    record = new_person("6650a1f0c2b7e4a1d3f00030", "o-1", stored, datetime(2024, 9, 1, tzinfo=UTC))

    assert holder_record(record)["subject_id"] == holder_record(record)["subject_id"]
    assert holder_record(record)["subject_id"].startswith("urn:uuid:")


def test_a_status_change_time_without_a_time_zone_is_invalid():
    portfolio = apply_certificate_event(
        [],
        "certificate_status_changed",
        {"number": "C-1", "new_status": "revoked", "changed_at": "2024-03-01T02:00:00Z"},
    )
    with pytest.raises(InvalidInput) as caught:
        apply_certificate_event(
            portfolio,
            "certificate_status_changed",
            {"number": "C-1", "new_status": "active", "changed_at": "2024-03-01T03:00:00"},
        )
    assert "changed_at" in caught.value.details
