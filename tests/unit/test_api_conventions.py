"""The API conventions in the kernel: error keys and lists, reason phrases, lifecycle wording."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from marshmallow import ValidationError, fields

from certificates_svc.assessments import JOB_LIFECYCLE
from certificates_svc.lifecycle import CERTIFICATE_LIFECYCLE
from certificates_svc.schemas import AssessmentCreate
from events_svc.domain import EVENT_LIFECYCLE, REGISTRATION_LIFECYCLE
from members_svc.domain import MEMBERSHIP_LIFECYCLE
from services.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    ServiceTimeout,
    ServiceUnavailable,
    Unprocessable,
    error_key,
    field_errors,
)
from services.fields import ResponseSchema, Timestamp
from services.lifecycle import with_article
from services.validation import load

LIFECYCLES = [EVENT_LIFECYCLE, REGISTRATION_LIFECYCLE, MEMBERSHIP_LIFECYCLE, CERTIFICATE_LIFECYCLE, JOB_LIFECYCLE]


def test_marshmallow_messages_become_pointers_with_lists():
    messages = {
        "name": ["Missing data for required field."],
        "people": {3: {"national_id": ["not a valid ID number"]}, "_schema": ["too many"]},
        "results": {0: {"registration_id": "required"}},
        "_schema": ["expected a JSON object"],
    }

    assert field_errors(messages) == {
        "name": ["Missing data for required field."],
        "/people/3/national_id": ["not a valid ID number"],
        "people": ["too many"],
        "/results/0/registration_id": ["required"],
        "_schema": ["expected a JSON object"],
    }


def test_a_bare_string_becomes_a_list_and_pointer_keys_stay():
    assert field_errors({"capacity": "must be at least 1", "/items/2/issuer_id": ["mismatch"]}) == {
        "capacity": ["must be at least 1"],
        "/items/2/issuer_id": ["mismatch"],
    }


def test_error_keys_escape_pointer_characters():
    assert error_key("name") == "name"
    assert error_key("results", 0, "registration_id") == "/results/0/registration_id"
    assert error_key("a/b", "c~d") == "/a~1b/c~0d"
    assert error_key() == "_schema"


def test_loading_a_batch_names_each_bad_item_by_its_pointer():
    body = {
        "issuer_id": "x",
        "occupation": "电工",
        "level": 4,
        "assessed_on": "2025-06-01",
        "results": [{"person_id": "p1", "passed": True}, {"person_id": "p2", "passed": "maybe"}],
    }
    with pytest.raises(InvalidInput) as raised:
        load(AssessmentCreate, body)

    assert list(raised.value.details) == ["/results/1/passed"]
    assert all(isinstance(messages, list) for messages in raised.value.details.values())


def test_deep_values_are_named_by_pointer():
    with pytest.raises(InvalidInput) as raised:
        load(AssessmentCreate, {"results": [{"person_id": 2**60}]})

    assert raised.value.details == {"/results/0/person_id": ["integer out of range"]}


@pytest.mark.parametrize(
    ("error", "title"),
    [
        (InvalidInput, "Bad Request"),
        (Forbidden, "Forbidden"),
        (NotFound, "Not Found"),
        (Conflict, "Conflict"),
        (Unprocessable, "Unprocessable Entity"),
        (ServiceUnavailable, "Service Unavailable"),
        (ServiceTimeout, "Gateway Timeout"),
    ],
)
def test_titles_are_the_standard_reason_phrases(error: type[DomainError], title: str):
    assert error("x").title == title


@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=lambda lifecycle: lifecycle.noun)
def test_every_refused_transition_reads_as_english(lifecycle):
    for action, (sources, _) in lifecycle.actions.items():
        for state in lifecycle.states:
            if state in sources:
                continue
            with pytest.raises(Conflict) as raised:
                lifecycle.next(state.value, action)
            message = raised.value.message
            assert message == f"cannot {action} {with_article(lifecycle.noun)} that is {state.value}"
            assert not re.search(r"\ba [aeiou]|\ban [^aeiou\W]|dd\b|eed\b", message), message


def test_articles_follow_the_sound_of_the_word():
    assert [with_article(word) for word in ("active", "applied", "event", "suspended", "membership")] == [
        "an active",
        "an applied",
        "an event",
        "a suspended",
        "a membership",
    ]


class Sample(ResponseSchema):
    at = Timestamp()
    note = fields.String(allow_none=True)
    size = fields.Integer()


@pytest.mark.parametrize(
    ("stored", "written"),
    [
        (datetime(2026, 5, 1, 8, 0, 0, 123456, tzinfo=UTC), "2026-05-01T08:00:00.123Z"),
        (datetime(2026, 5, 1, 16, 0, tzinfo=timezone(timedelta(hours=8))), "2026-05-01T08:00:00.000Z"),
        (datetime(2026, 5, 1, 8, 0), "2026-05-01T08:00:00.000Z"),  # the database's naive UTC
        ("2026-05-01T16:00:00+08:00", "2026-05-01T08:00:00.000Z"),  # a string stored from an event
    ],
)
def test_every_instant_is_written_in_utc_with_z_and_milliseconds(stored, written):
    assert Sample().dump({"at": stored, "size": 1})["at"] == written


def test_a_nullable_field_is_written_as_null_and_others_stay_absent():
    assert Sample().dump({"size": 1}) == {"note": None, "size": 1}
    assert Sample().dump({"note": "x"}) == {"note": "x"}


def test_a_timestamp_may_require_an_offset():
    strict = Timestamp(require_offset=True)
    with pytest.raises(ValidationError) as raised:
        strict.deserialize("2026-05-01T08:00:00")
    assert raised.value.messages == ["must include a time zone offset, e.g. +08:00 or Z"]
    assert strict.deserialize("2026-05-01T16:00:00+08:00").utcoffset() == timedelta(hours=8)
    assert Timestamp().deserialize("2026-05-01T08:00:00").tzinfo is None  # the domain decides
