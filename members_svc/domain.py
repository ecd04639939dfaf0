"""Alliance, organisation, membership and people rules, free of I/O.

Also what members_svc's records look like when created and the data of the events it
publishes, so that a rule and the record it shapes are read side by side.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any

from services import identity
from services.errors import Conflict, Forbidden, InvalidInput, error_key, field_errors
from services.lifecycle import Lifecycle, with_article


class OrganisationKind(str, Enum):
    SECONDARY_VOCATIONAL_SCHOOL = "secondary_vocational_school"
    HIGHER_VOCATIONAL_COLLEGE = "higher_vocational_college"
    ENTERPRISE = "enterprise"
    UNIVERSITY = "university"
    RESEARCH_BASE = "research_base"
    GOVERNMENT = "government"


class PersonKind(str, Enum):
    STUDENT = "student"
    TEACHER = "teacher"
    RESEARCHER = "researcher"
    EXPERT = "expert"


class ResearcherPosition(str, Enum):
    FULL_TIME_RESEARCHER = "full_time_researcher"
    PART_TIME_RESEARCHER = "part_time_researcher"


class MembershipRole(str, Enum):
    LEAD = "lead"
    FOUNDING = "founding"
    MEMBER = "member"
    PARTNER = "partner"


class MembershipStatus(str, Enum):
    APPLIED = "applied"
    ACTIVE = "active"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    LEFT = "left"


# action -> (statuses it may start from, status it leads to)
MEMBERSHIP_ACTIONS: dict[str, tuple[frozenset[MembershipStatus], MembershipStatus]] = {
    "approve": (frozenset({MembershipStatus.APPLIED}), MembershipStatus.ACTIVE),
    "reject": (frozenset({MembershipStatus.APPLIED}), MembershipStatus.REJECTED),
    "suspend": (frozenset({MembershipStatus.ACTIVE}), MembershipStatus.SUSPENDED),
    "reinstate": (frozenset({MembershipStatus.SUSPENDED}), MembershipStatus.ACTIVE),
    "leave": (
        frozenset(
            {
                MembershipStatus.APPLIED,
                MembershipStatus.ACTIVE,
                MembershipStatus.SUSPENDED,
            }
        ),
        MembershipStatus.LEFT,
    ),
}


MEMBERSHIP_LIFECYCLE = Lifecycle("membership", MembershipStatus, MEMBERSHIP_ACTIONS)

# Memberships in these states no longer hold their role in the alliance.
_ENDED_STATUSES = frozenset({MembershipStatus.REJECTED, MembershipStatus.LEFT})


def is_open_membership(status: str) -> bool:
    """Whether a membership still holds its place: an ended one (rejected, left) lets the
    organisation apply again as a new membership period."""
    return MembershipStatus(status) not in _ENDED_STATUSES


def open_membership_key(membership: dict[str, Any]) -> dict[str, Any]:
    """The field an organisation's one open membership of an alliance is unique by (set while
    open, unset once ended)."""
    return {"open_organisation_id": membership["organisation_id"]}


def allowed_membership_actions(status: str) -> list[str]:
    """Actions a membership in ``status`` accepts, in lifecycle order."""
    return MEMBERSHIP_LIFECYCLE.allowed(status)


def next_membership_status(status: str, action: str) -> MembershipStatus:
    """Status a membership reaches by ``action``; Conflict if its state forbids it."""
    return MEMBERSHIP_LIFECYCLE.next(status, action)


# alliances


def new_alliance(alliance_id: str, fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A new alliance: it has no lead until a lead membership is approved."""
    return {"_id": alliance_id, **fields, "lead_organisation_id": None, "created_at": now}


def alliance_correction(
    current: dict[str, Any], requested: dict[str, Any], at: datetime, by: str | None
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The fields of an alliance that a correction changes and its history line (old and new
    values: an alliance's details are public, not personal); None when nothing differs."""
    changes = {field: value for field, value in requested.items() if field != "reason" and current.get(field) != value}
    if not changes:
        return None
    entry = {
        "changes": [{"field": field, "old": current.get(field), "new": value} for field, value in changes.items()],
        "at": at,
        "by": by,
        "reason": requested.get("reason"),
    }
    return {**changes, "updated_at": at}, entry


def lead_organisation_after(current_lead: str | None, role: str, organisation_id: str, new_status: str) -> str | None:
    """The alliance's lead organisation once a membership of ``role`` reached ``new_status``.

    An approved (or reinstated) lead membership makes its organisation the lead;
    one that is rejected or left gives the role up. A suspended lead stays the lead.
    """
    if MembershipRole(role) is not MembershipRole.LEAD:
        return current_lead
    status = MembershipStatus(new_status)
    if status is MembershipStatus.ACTIVE:
        return organisation_id
    if status in _ENDED_STATUSES and current_lead == organisation_id:
        return None
    return current_lead


# organisations

# What an organisation's own org_admin may change; the rest is the alliance admin's. Its name
# and code are what its certificates are issued under, so only the alliance admin changes them.
ORG_ADMIN_EDITABLE_FIELDS = frozenset({"region", "district"})


def organisation_name_key(name: str) -> str:
    """What makes two organisation names the same: equal after NFKC and case folding, with no
    whitespace or invisible formatting characters, so look-alike names cannot impersonate."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    key = "".join(c for c in folded if not c.isspace() and unicodedata.category(c) != "Cf")
    if not key:
        raise InvalidInput("an organisation's name needs a visible character", {"name": "blank"})
    return key


def new_organisation(organisation_id: str, fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A new organisation as stored, with the key its name is unique by."""
    return {"_id": organisation_id, **fields, "name_key": organisation_name_key(fields["name"]), "created_at": now}


def check_organisation_update(requested: dict[str, Any], by_alliance_admin: bool) -> None:
    """Refuse an org_admin's change to fields only the alliance admin may set."""
    if by_alliance_admin:
        return
    refused = sorted(set(requested) - ORG_ADMIN_EDITABLE_FIELDS)
    if refused:
        raise Forbidden(
            "only the alliance admin may change these fields",
            {field: ["only the alliance admin may change this field"] for field in refused},
        )


def organisation_changes(current: dict[str, Any], requested: dict[str, Any]) -> dict[str, Any]:
    """The requested fields whose value differs from the organisation's current one (a new name
    brings its new name key)."""
    changes = {field: value for field, value in requested.items() if current.get(field) != value}
    if "name" in changes:
        changes["name_key"] = organisation_name_key(changes["name"])
    return changes


# memberships


def new_membership(
    membership_id: str,
    alliance_id: str,
    organisation_id: str,
    role: str,
    by: str | None,
    now: datetime,
) -> dict[str, Any]:
    """A membership as applied for: ``applied``, with its first history line."""
    status = MembershipStatus.APPLIED.value
    membership = {
        "_id": membership_id,
        "alliance_id": alliance_id,
        "organisation_id": organisation_id,
        "role": role,
        "status": status,
        "history": [history_entry(None, status, now, by, None)],
        "created_at": now,
        "updated_at": now,
    }
    return {**membership, **open_membership_key(membership)}


def history_entry(
    from_status: str | None,
    to_status: str,
    at: datetime,
    by: str | None,
    reason: str | None,
    roles: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """One line of a membership's history; ``from_status`` is None on application, and
    ``roles`` (from, to) is given for a change of role."""
    entry = {
        "from_status": MembershipStatus(from_status).value if from_status is not None else None,
        "to_status": MembershipStatus(to_status).value,
        "at": at,
        "by": by,
        "reason": reason,
    }
    if roles is not None:
        entry["from_role"], entry["to_role"] = (MembershipRole(role).value for role in roles)
    return entry


def check_role_change(membership: dict[str, Any], new_role: str) -> None:
    """A role changes only while the membership is open."""
    if not is_open_membership(membership["status"]):
        raise Conflict(
            f"{with_article(membership['status'])} membership's role cannot change; the organisation may apply again",
            {"current_state": membership["status"]},
        )


def lead_organisation_after_role_change(
    current_lead: str | None, membership: dict[str, Any], new_role: str
) -> str | None:
    """The alliance's lead organisation once ``membership`` takes ``new_role``: an active or
    suspended membership made lead leads; a lead that takes another role gives the lead up."""
    organisation_id = membership["organisation_id"]
    if MembershipRole(new_role) is MembershipRole.LEAD:
        holds_place = MembershipStatus(membership["status"]) in (MembershipStatus.ACTIVE, MembershipStatus.SUSPENDED)
        return organisation_id if holds_place else current_lead
    return None if current_lead == organisation_id else current_lead


def check_single_lead(existing_roles_with_status: Iterable[tuple[str, str]], new_role: str) -> None:
    """Refuse a second lead: an alliance has one lead membership not rejected or left.

    ``existing_roles_with_status`` holds ``(role, status)`` of the alliance's
    other memberships.
    """
    if MembershipRole(new_role) is not MembershipRole.LEAD:
        return
    for role, status in existing_roles_with_status:
        if MembershipRole(role) is MembershipRole.LEAD and MembershipStatus(status) not in _ENDED_STATUSES:
            raise Conflict(
                "the alliance already has a lead organisation",
                {"role": f"another lead membership is {MembershipStatus(status).value}"},
            )


# people

_LEGACY_SUBJECT_NAMESPACE = uuid.UUID("2f6c9b1e-8a43-4d2f-b0e5-7c1d9a3e6f58")


def check_person_position(kind: str, position: str | None) -> None:
    """A position (full- or part-time) describes researchers only."""
    if position is not None and PersonKind(kind) is not PersonKind.RESEARCHER:
        raise InvalidInput(
            "only researchers have a position",
            {"position": "allowed only when kind is 'researcher'"},
        )


def person_fields(fields: dict[str, Any], identity_key: bytes) -> dict[str, Any]:
    """A validated person as stored: the national ID replaced by its keyed hash and masked form,
    and a random subject id that names the person in their credentials."""
    check_person_position(fields["kind"], fields["position"])
    stored = dict(fields)
    stored["subject_id"] = identity.new_subject_id()
    national_id = stored.pop("national_id", None)
    if national_id:
        stored.update(stored_identity(national_id, identity_key))
    return stored


def cohort_fields(cohort: list[dict[str, Any]], identity_key: bytes) -> list[dict[str, Any]]:
    """Each person of a cohort as stored; a refusal names the person by pointer (``/people/3/position``)."""
    prepared = []
    for index, fields in enumerate(cohort):
        try:
            prepared.append(person_fields(fields, identity_key))
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field_errors({"people": {index: exc.details}})) from None
    check_unique_student_numbers([fields.get("student_number") for fields in prepared])
    check_unique_in_cohort("national_id", "a national ID number", [identity_digest(f) for f in prepared])
    return prepared


def check_unique_student_numbers(numbers: Iterable[str | None]) -> None:
    """A cohort must not carry the same student number twice."""
    check_unique_in_cohort("student_number", "a student number", numbers)


def check_unique_in_cohort(field: str, what: str, values: Iterable[str | None]) -> None:
    """A cohort must not carry the same value of ``field`` twice; the repeat is named by its pointer."""
    seen: dict[str, int] = {}
    for index, value in enumerate(values):
        if value is None:
            continue
        if value in seen:
            # The people are named by their place in the cohort: the value is personal data.
            raise Conflict(
                f"{what} appears twice in the cohort",
                {error_key("people", index, field): [f"also given at {error_key('people', seen[value], field)}"]},
            )
        seen[value] = index


def identity_digest(person: dict[str, Any]) -> str | None:
    """The keyed digest of a stored person's ID number, if they gave one."""
    return (person.get("identity") or {}).get("digest")


def cohort_taken(people: list[dict[str, Any]], numbers: set[str], digests: set[str]) -> Conflict | None:
    """The Conflict naming each person of a cohort whose student or ID number the organisation
    already holds or the cohort repeats."""
    problems = cohort_problems(dict(enumerate(people)), numbers, digests)
    if not problems:
        return None
    errors = {
        error_key("people", index, field): messages
        for index, found in problems.items()
        for field, messages in found.items()
    }
    return Conflict("people of the cohort are already registered in the organisation", errors)


def cohort_problems(
    prepared: dict[int, dict[str, Any]], taken_numbers: set[str], taken_digests: set[str]
) -> dict[int, dict[str, list[str]]]:
    """Student numbers and ID numbers (by their digest) that a cohort repeats, or that the
    organisation's people already hold, by the person's index; messages never repeat the values."""
    problems: dict[int, dict[str, list[str]]] = {}
    seen_numbers: set[str] = set()
    seen_digests: set[str] = set()
    for index, fields in sorted(prepared.items()):
        number = fields.get("student_number")
        digest = (fields.get("identity") or {}).get("digest")
        found: dict[str, list[str]] = {}
        if number is not None and number in taken_numbers:
            found["student_number"] = ["already registered in this organisation"]
        elif number is not None and number in seen_numbers:
            found["student_number"] = ["appears more than once in the cohort"]
        if digest is not None and digest in taken_digests:
            found["national_id"] = ["already registered in this organisation"]
        elif digest is not None and digest in seen_digests:
            found["national_id"] = ["appears more than once in the cohort"]
        seen_numbers.add(number)
        seen_digests.add(digest)
        if found:
            problems[index] = found
    return problems


def stored_identity(national_id: str, identity_key: bytes) -> dict[str, Any]:
    """The keyed digest and masked form that stand in for a national ID number."""
    normalised = identity.normalise_national_id(national_id)
    return {
        "identity": {"digest": identity.national_id_digest(normalised, identity_key)},
        "national_id_masked": identity.mask_identifier(normalised),
    }


def new_person(person_id: str, organisation_id: str, fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A person as registered with an organisation, with an empty certificate portfolio."""
    return {
        "_id": person_id,
        "organisation_id": organisation_id,
        **fields,
        "certificates": [],
        "created_at": now,
    }


# data of the published events (contracts in services/contracts/members.py)


def organisation_event(organisation: dict[str, Any]) -> dict[str, Any]:
    """The ``organisation_registered`` and ``organisation_updated`` payload: the full current state."""
    return {
        "organisation_id": organisation["_id"],
        "name": organisation["name"],
        "kind": organisation["kind"],
        "region": organisation.get("region"),
        "district": organisation.get("district"),
        "code": organisation.get("code"),
        "accredited_evaluator": bool(organisation.get("accredited_evaluator")),
        "evaluator": organisation.get("evaluator"),
    }


def membership_event(
    membership: dict[str, Any], old_status: str | None, reason: str | None, old_role: str | None = None
) -> dict[str, Any]:
    """The ``membership_changed`` payload; ``old_role`` is given when the role changed."""
    return {
        "membership_id": membership["_id"],
        "alliance_id": membership["alliance_id"],
        "organisation_id": membership["organisation_id"],
        "role": membership["role"],
        "old_status": old_status,
        "new_status": membership["status"],
        "reason": reason,
        "old_role": old_role,
    }


def holder_record(person: dict[str, Any]) -> dict[str, Any]:
    """The ``person_registered`` payload: nothing of the ID number, not even a hash of it."""
    return {
        "person_id": person["_id"],
        "organisation_id": person["organisation_id"],
        "name": person["name"],
        "kind": person["kind"],
        "student_number": person.get("student_number"),
        "subject_id": person.get("subject_id") or legacy_subject_id(person["_id"]),
    }


def person_updated_event(person: dict[str, Any], changed: list[str]) -> dict[str, Any]:
    """The ``person_updated`` payload: the holder record as it is now, the names of the fields
    that changed and whether the person is archived."""
    return {**holder_record(person), "changed_fields": changed, "archived": bool(person.get("archived"))}


def legacy_subject_id(person_id: str) -> str:
    """The subject id of a person registered before subject ids were drawn at random.

    Derived from the platform's own record id, which says nothing about the person.
    """
    return f"urn:uuid:{uuid.uuid5(_LEGACY_SUBJECT_NAMESPACE, person_id)}"
