"""The published event contracts: the single source of truth for every event.

``CONTRACTS[(producer, event_type)]`` gives the schema version and the
marshmallow schema of the event's ``data``. Within a major version, changes
are additive only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError

from services.contracts import certificates, events, members
from services.contracts.envelope import EnvelopeSchema, make_envelope


@dataclass(frozen=True)
class EventContract:
    producer: str
    event_type: str
    schema_version: str
    schema: type[Schema]
    summary: str

    @property
    def exchange(self) -> str:
        return f"{self.producer}.events"

    @property
    def qualified_name(self) -> str:
        return f"{self.producer}.{self.event_type}"


_ALL = [
    EventContract(
        "members", "organisation_registered", "1.0", members.OrganisationRegistered, "An organisation was registered."
    ),
    EventContract(
        "members",
        "organisation_updated",
        "1.0",
        members.OrganisationUpdated,
        "An organisation's details (name, region, code, evaluator status...) changed.",
    ),
    EventContract(
        "members",
        "membership_changed",
        "1.1",
        members.MembershipChanged,
        "A membership moved from one status to another, or its role changed (then old_role is given).",
    ),
    EventContract(
        "members", "person_registered", "2.0", members.PersonRegistered, "A person was registered with an organisation."
    ),
    EventContract(
        "members",
        "person_updated",
        "1.0",
        members.PersonUpdated,
        "A person's details were corrected or the person was archived; certificates already issued keep "
        "the name they were issued to.",
    ),
    EventContract(
        "events",
        "event_published",
        "1.1",
        events.EventPublished,
        "An alliance event was published (with the organiser's reason, if given, 1.1).",
    ),
    EventContract(
        "events",
        "event_updated",
        "1.0",
        events.EventUpdated,
        "A published event was corrected (rescheduled, moved, resized...) or cancelled; the event as it is now.",
    ),
    EventContract(
        "events",
        "registration_changed",
        "1.1",
        events.RegistrationChanged,
        "A registration was confirmed, waitlisted, promoted or cancelled (with the reason, 1.1).",
    ),
    EventContract(
        "events",
        "results_published",
        "1.0",
        events.ResultsPublished,
        "An event's results (or a correction of them) were published.",
    ),
    EventContract(
        "certificates",
        "certificate_issued",
        "1.0",
        certificates.CertificateIssued,
        "A certificate was issued and signed.",
    ),
    EventContract(
        "certificates",
        "certificate_status_changed",
        "1.0",
        certificates.CertificateStatusChanged,
        "A certificate was revoked, suspended, reinstated or expired.",
    ),
    EventContract(
        "certificates", "batch_completed", "1.0", certificates.BatchCompleted, "A batch or assessment job finished."
    ),
]

CONTRACTS: dict[tuple[str, str], EventContract] = {(c.producer, c.event_type): c for c in _ALL}


class ContractViolation(ValueError):
    """An event does not match its published contract."""


def contract_for(producer: str, event_type: str) -> EventContract:
    try:
        return CONTRACTS[(producer, event_type)]
    except KeyError:
        raise ContractViolation(f"no contract for event {producer}.{event_type}") from None


def build_event(producer: str, event_type: str, data: dict[str, Any], correlation_id: str | None) -> dict[str, Any]:
    """A complete envelope for ``data``, validated against the event's contract."""
    contract = contract_for(producer, event_type)
    errors = contract.schema().validate(data)
    if errors:
        raise ContractViolation(f"{contract.qualified_name}: {errors}")
    return make_envelope(producer, event_type, contract.schema_version, data, correlation_id)


def parse_event(producer: str, event_type: str, body: Any) -> dict[str, Any]:
    """Validate a received envelope and its data; raises ContractViolation."""
    if not isinstance(body, dict):
        raise ContractViolation("event body is not a JSON object")
    try:
        envelope = EnvelopeSchema().load(body)
    except ValidationError as exc:
        raise ContractViolation(f"bad envelope: {exc.messages}") from None
    contract = contract_for(producer, event_type)
    # Additive changes must not break older consumers: unknown fields are ignored.
    errors = contract.schema(unknown=EXCLUDE).validate(envelope["data"])
    if errors:
        raise ContractViolation(f"{contract.qualified_name}: {errors}")
    return envelope


__all__ = ["CONTRACTS", "EventContract", "ContractViolation", "build_event", "parse_event"]
