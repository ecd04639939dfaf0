"""Golden samples: events as subscribers already receive them must stay valid.

``golden/<producer>.<event_type>.json`` holds three recorded envelopes of
each event: the first carries a value for every field the contract had when
it was recorded, the second only the required fields, the third every field
with null wherever null was allowed. Within a major version changes are
additive only, so all must still pass the current contract. The check fails
for the changes that break a subscriber: a field removed (the first sample
has a field the contract no longer knows), an optional field made required
(the second sample lacks it), a type changed (the first sample has the old
type) or null no longer allowed (the third sample has it). A new event gets a new golden file; existing files are never
edited to make this test pass.

A breaking change needs a new major version N, recorded in a new file
``golden/<producer>.<event_type>@N.json``; the files of earlier majors stay as
they were and must fail the current contract, which shows the bump was needed.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest
from marshmallow import RAISE, Schema, fields

from services.contracts import CONTRACTS, EventContract
from services.contracts.asyncapi import payload_schema
from services.contracts.envelope import EnvelopeSchema

GOLDEN = Path(__file__).with_name("golden")
NAMES = [f"{producer}.{event_type}" for producer, event_type in CONTRACTS]


def golden_file(name: str, major: int) -> Path:
    """Where the samples of one major version of an event are recorded (major 1 has no suffix)."""
    return GOLDEN / (f"{name}.json" if major == 1 else f"{name}@{major}.json")


def current_major(name: str) -> int:
    return int(CONTRACTS[tuple(name.split("."))].schema_version.split(".")[0])


def golden_samples(name: str, major: int | None = None) -> list[dict]:
    path = golden_file(name, current_major(name) if major is None else major)
    return json.loads(path.read_text(encoding="utf-8"))


def compatibility_problems(contract: EventContract, sample: dict) -> list[str]:
    """Why a subscriber that handles ``sample`` today would break under ``contract`` (empty: it would not)."""
    problems = [
        f"JSON Schema of the AsyncAPI document, at {'/'.join(map(str, error.absolute_path)) or '(body)'}: "
        f"{error.message}"
        for error in jsonschema.Draft7Validator(payload_schema(contract)).iter_errors(sample)
    ]
    # RAISE: a field the sample carries but the contract no longer declares was removed.
    for where, errors in (
        ("envelope", EnvelopeSchema(unknown=RAISE).validate(sample)),
        ("data", contract.schema(unknown=RAISE).validate(sample.get("data") or {})),
    ):
        problems += [f"marshmallow {where}.{field}: {messages}" for field, messages in errors.items()]
    recorded_major = str(sample.get("schema_version", "")).split(".")[0]
    if recorded_major != contract.schema_version.split(".")[0]:
        problems.append(f"major version {recorded_major} recorded, contract is {contract.schema_version}")
    return problems


def test_every_event_has_golden_samples_and_every_sample_an_event():
    recorded = {path.stem.partition("@")[0] for path in GOLDEN.glob("*.json")}
    assert recorded == set(NAMES), "add a golden file for a new event; never drop one of a published event"
    for name in NAMES:
        for major in range(1, current_major(name) + 1):
            assert golden_file(name, major).exists(), f"{name}: no golden samples of major version {major}"


SUPERSEDED = [(name, major) for name in NAMES for major in range(1, current_major(name))]


@pytest.mark.parametrize("name, major", SUPERSEDED)
def test_samples_of_a_superseded_major_version_fail_the_current_contract(name, major):
    contract = CONTRACTS[tuple(name.split("."))]
    full = golden_samples(name, major)[0]
    problems = compatibility_problems(contract, full)
    assert any(f"major version {major} recorded" in p for p in problems), problems
    assert any(p.startswith("marshmallow data.") for p in problems), "a major version needs a breaking change"


def test_person_registered_no_longer_carries_an_identity_hash_or_salt():
    contract = CONTRACTS[("members", "person_registered")]
    assert contract.schema_version.startswith("2.")
    assert not {"identity_hash", "identity_salt"} & set(contract.schema().fields)
    for sample in golden_samples("members.person_registered"):
        assert not {"identity_hash", "identity_salt"} & set(sample["data"])


@pytest.mark.parametrize("name", NAMES)
def test_golden_samples_still_validate_against_the_current_contract(name):
    producer, event_type = name.split(".")
    contract = CONTRACTS[(producer, event_type)]
    full, minimal, nulls = golden_samples(name)
    assert set(full["data"]) == set(nulls["data"]) >= set(minimal["data"])
    for sample in (full, minimal, nulls):
        assert (sample["producer"], sample["event_type"]) == (producer, event_type)
        problems = compatibility_problems(contract, sample)
        assert not problems, f"{name} changed incompatibly:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", NAMES)
def test_the_golden_check_fails_when_a_required_field_is_removed(name):
    contract = CONTRACTS[tuple(name.split("."))]
    full = golden_samples(name)[0]
    required = [field for field, spec in contract.schema().fields.items() if spec.required]
    assert required
    for field in required:
        broken = copy.deepcopy(full)
        del broken["data"][field]
        problems = compatibility_problems(contract, broken)
        assert any(f"'{field}' is a required property" in p for p in problems), problems
        assert any(p.startswith(f"marshmallow data.{field}:") for p in problems), problems


ISSUED = CONTRACTS[("certificates", "certificate_issued")]
ISSUED_FIELDS = ISSUED.schema._declared_fields


def with_data_schema(declared: dict) -> EventContract:
    return dataclasses.replace(ISSUED, schema=Schema.from_dict(declared, name="ChangedCertificateIssued"))


@pytest.mark.parametrize(
    "change, declared",
    [
        ("a field removed", {k: v for k, v in ISSUED_FIELDS.items() if k != "occupation"}),
        ("an optional field made required", {**ISSUED_FIELDS, "level": fields.Integer(required=True, allow_none=True)}),
        ("a type changed", {**ISSUED_FIELDS, "level": fields.String(allow_none=True)}),
        ("a nullable field made non-null", {**ISSUED_FIELDS, "valid_until": fields.String(allow_none=False)}),
    ],
)
def test_the_golden_check_fails_for_a_change_that_breaks_subscribers(change, declared):
    contract = with_data_schema(declared)
    problems = [p for sample in golden_samples(ISSUED.qualified_name) for p in compatibility_problems(contract, sample)]
    assert problems, f"{change} went unnoticed"


def test_an_additive_change_passes_the_golden_check():
    contract = with_data_schema({**ISSUED_FIELDS, "skill_code": fields.String(allow_none=True)})
    for sample in golden_samples(ISSUED.qualified_name):
        assert not compatibility_problems(contract, sample)


def test_a_new_major_version_is_not_passed_off_as_compatible():
    contract = dataclasses.replace(ISSUED, schema_version="2.0")
    problems = compatibility_problems(contract, golden_samples(ISSUED.qualified_name)[0])
    assert any("major version 1 recorded" in p for p in problems), problems
