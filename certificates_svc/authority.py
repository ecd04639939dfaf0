"""Who may issue which certificate to whom: the one table of issuing rules, free of I/O.

Every way a certificate comes to be (one at a time, a batch, an assessment, an
event's published results) gathers the same :class:`IssuingFacts` and asks
:func:`check_may_issue_to`; a refusal names the rules that would have allowed it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from certificates_svc.numbers import CERTIFICATE_KINDS
from services.errors import Forbidden
from services.lifecycle import with_article

ALL_KINDS = frozenset(CERTIFICATE_KINDS)
# What an organiser gives the people who took part in its events.
EVENT_KINDS = frozenset({"competition_award", "participation", "training_completion"})
SKILL_LEVEL = "skill_level"
# events_svc's status of a registration that holds a place.
CONFIRMED = "confirmed"
# The kinds of people of other organisations an evaluator's assessment may certify.
ASSESSABLE_OUTSIDERS = frozenset({"student"})


@dataclass(frozen=True)
class IssuingFacts:
    """What is known about one issuance when deciding whether it is allowed."""

    issuer_id: str
    holder_organisation_id: str | None
    # The holder took a confirmed place at an event the issuer organised.
    event_participant: bool = False
    # The holder is a candidate of an assessment the issuer ran.
    assessment_candidate: bool = False
    accredited_evaluator: bool = False
    by_admin: bool = False


@dataclass(frozen=True)
class IssuingRule:
    """One way an issuance is allowed: its name, the kinds it covers and the condition."""

    name: str
    kinds: frozenset[str]
    grants: str
    holds: Callable[[IssuingFacts], bool]


ISSUING_RULES: tuple[IssuingRule, ...] = (
    IssuingRule(
        "own_people",
        ALL_KINDS,
        "an organisation issues to its own people",
        lambda facts: facts.holder_organisation_id is not None and facts.holder_organisation_id == facts.issuer_id,
    ),
    IssuingRule(
        "event_participants",
        EVENT_KINDS,
        "an organisation issues awards, participation and training certificates to confirmed "
        "participants of events it organised",
        lambda facts: facts.event_participant,
    ),
    IssuingRule(
        "assessment_candidates",
        frozenset({SKILL_LEVEL}),
        "an accredited evaluator issues skill-level certificates to the candidates of its assessments",
        lambda facts: facts.accredited_evaluator and facts.assessment_candidate,
    ),
    IssuingRule(
        "alliance_admin",
        ALL_KINDS,
        "the alliance admin issues any certificate",
        lambda facts: facts.by_admin,
    ),
)


def granting_rule(kind: str, facts: IssuingFacts) -> IssuingRule | None:
    """The first rule that allows issuing ``kind`` under ``facts``; None if none does."""
    return next((rule for rule in ISSUING_RULES if kind in rule.kinds and rule.holds(facts)), None)


def missing_rules(kind: str) -> list[str]:
    """The names of the rules that could allow issuing ``kind``."""
    return [rule.name for rule in ISSUING_RULES if kind in rule.kinds]


def refusal_details(kind: str, holder_id: str, where: str = "holder_id") -> dict[str, Any]:
    """What a refusal says: why, under the holder's field (``where``), and the rules, any one of which was missing."""
    return {where: [refusal_message(kind, holder_id)], "missing_rules": missing_rules(kind)}


def refusal_message(kind: str, holder_id: str) -> str:
    """One line naming the missing rules, for a 403 or a failed job item."""
    return (
        f"the issuer may not issue {kind} to {holder_id}: none of the rules {', '.join(missing_rules(kind))} allows it"
    )


def assessment_candidate_refusal(issuer_id: str, holder: dict[str, Any], by_admin: bool) -> str | None:
    """Why an assessment may not certify ``holder``, or None: an evaluator's assessment certifies
    its own people and the students of other organisations (the alliance admin's, anyone).

    A holder recorded before the read model kept people's kinds has none and is not refused.
    """
    kind = holder.get("kind")
    if by_admin or kind is None or holder.get("organisation_id") == issuer_id or kind in ASSESSABLE_OUTSIDERS:
        return None
    return (
        f"{holder['_id']} is {with_article(str(kind))} of another organisation; an assessment certifies "
        "the evaluator's own people and the students of other organisations"
    )


def check_may_issue_to(kind: str, holder_id: str, facts: IssuingFacts) -> str:
    """The name of the rule that allows the issuance; Forbidden naming the missing rules otherwise."""
    rule = granting_rule(kind, facts)
    if rule is None:
        raise Forbidden(refusal_message(kind, holder_id), refusal_details(kind, holder_id))
    return rule.name


def registration_record(registration: dict[str, Any]) -> dict[str, Any]:
    """The read-model record of a ``registration_changed`` payload: whose place, and whether it holds."""
    return {
        "_id": registration["registration_id"],
        "event_id": registration["event_id"],
        "person_ids": list(registration["person_ids"]),
        "confirmed": registration["status"] == CONFIRMED,
    }
