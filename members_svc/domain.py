"""Membership, identity and portfolio rules of the alliance, free of I/O."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any

from services.errors import Conflict, Forbidden, InvalidInput
from services.lifecycle import Lifecycle


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


def allowed_membership_actions(status: str) -> list[str]:
    """Actions a membership in ``status`` accepts, in lifecycle order."""
    return MEMBERSHIP_LIFECYCLE.allowed(status)


def next_membership_status(status: str, action: str) -> MembershipStatus:
    """Status a membership reaches by ``action``; Conflict if its state forbids it."""
    return MEMBERSHIP_LIFECYCLE.next(status, action)

# Memberships in these states no longer hold their role in the alliance.
_ENDED_STATUSES = frozenset({MembershipStatus.REJECTED, MembershipStatus.LEFT})








def history_entry(
    from_status: str | None,
    to_status: str,
    at: datetime,
    by: str | None,
    reason: str | None,
) -> dict[str, Any]:
    """One line of a membership's status history; ``from_status`` is None on application."""
    return {
        "from_status": MembershipStatus(from_status).value
        if from_status is not None
        else None,
        "to_status": MembershipStatus(to_status).value,
        "at": at,
        "by": by,
        "reason": reason,
    }


def check_single_lead(
    existing_roles_with_status: Iterable[tuple[str, str]], new_role: str
) -> None:
    """Refuse a second lead: an alliance has one lead membership not rejected or left.

    ``existing_roles_with_status`` holds ``(role, status)`` of the alliance's
    other memberships.
    """
    if MembershipRole(new_role) is not MembershipRole.LEAD:
        return
    for role, status in existing_roles_with_status:
        if (
            MembershipRole(role) is MembershipRole.LEAD
            and MembershipStatus(status) not in _ENDED_STATUSES
        ):
            raise Conflict(
                "the alliance already has a lead organisation",
                {
                    "role": f"another lead membership is {MembershipStatus(status).value}"
                },
            )


def lead_organisation_after(
    current_lead: str | None, role: str, organisation_id: str, new_status: str
) -> str | None:
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


# What an organisation's own org_admin may change; the rest is the alliance admin's.
ORG_ADMIN_EDITABLE_FIELDS = frozenset({"name", "region", "district", "code"})


def check_organisation_update(requested: dict[str, Any], by_alliance_admin: bool) -> None:
    """Refuse an org_admin's change to fields only the alliance admin may set."""
    if by_alliance_admin:
        return
    refused = sorted(set(requested) - ORG_ADMIN_EDITABLE_FIELDS)
    if refused:
        raise Forbidden(
            "only the alliance admin may change these fields",
            {"fields": refused},
        )


def organisation_changes(current: dict[str, Any], requested: dict[str, Any]) -> dict[str, Any]:
    """The requested fields whose value differs from the organisation's current one."""
    return {
        field: value for field, value in requested.items() if current.get(field) != value
    }


def check_person_position(kind: str, position: str | None) -> None:
    """A position (full- or part-time) describes researchers only."""
    if position is not None and PersonKind(kind) is not PersonKind.RESEARCHER:
        raise InvalidInput(
            "only researchers have a position",
            {"position": "allowed only when kind is 'researcher'"},
        )


# GB 11643-1999 weights 2^(17-i) mod 11 and the ISO 7064 MOD 11-2 check characters.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"


def _invalid_national_id(reason: str) -> InvalidInput:
    # The message never repeats the number: it is personal data.
    return InvalidInput("invalid national ID number", {"national_id": reason})


def normalise_national_id(value: str) -> str:
    """The 18-character resident ID number in canonical form (upper-case X), or InvalidInput."""
    if not isinstance(value, str):
        raise _invalid_national_id("must be a string")
    candidate = value.strip().upper()
    if len(candidate) != 18:
        raise _invalid_national_id("must be 18 characters")
    body, check = candidate[:17], candidate[17]
    if not (body.isascii() and body.isdigit()) or not (
        check == "X" or (check.isascii() and check.isdigit())
    ):
        raise _invalid_national_id("must be 17 digits followed by a digit or X")
    try:
        date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        raise _invalid_national_id(
            "birth date (characters 7-14) is not a real date"
        ) from None
    expected = _ID_CHECK_CHARS[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
    if check != expected:
        raise _invalid_national_id("check digit does not match")
    return candidate


def identity_hash(national_id: str, salt: str) -> str:
    """Salted Open Badges 3.0 ``identityHash``: 'sha256$' + hex SHA-256 of ID + salt."""
    digest = hashlib.sha256(
        (normalise_national_id(national_id) + salt).encode("utf-8")
    ).hexdigest()
    return f"sha256${digest}"


def new_salt() -> str:
    """A fresh random salt for one person's identity hash."""
    return secrets.token_hex(16)


def mask_identifier(value: str) -> str:
    """Keep the first 4 and last 4 characters and mask the middle; mask short values entirely."""
    # With 8 characters or fewer, keeping 4 + 4 would reveal the whole value.
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def _is_cjk(char: str) -> bool:
    return (
        "\u3400" <= char <= "\u9fff"
        or "\uf900" <= char <= "\ufaff"
        or "\U00020000" <= char <= "\U0003134f"
    )


def mask_name(name: str) -> str:
    """Mask a holder's name for public display.

    A name written without spaces in Chinese characters keeps its first and,
    from three characters on, its last character (张三丰 → 张*丰, 欧阳娜娜 →
    欧**娜, 李四 → 李*). Any other name keeps the first letter of each
    space-separated word ("Wang Lei" → "W*** L**").
    """
    words = name.split()
    if len(words) == 1 and any(_is_cjk(c) for c in words[0]):
        word = words[0]
        if len(word) == 1:
            return "*"
        if len(word) == 2:
            return word[0] + "*"
        return word[0] + "*" * (len(word) - 2) + word[-1]
    return " ".join(word[0] + "*" * (len(word) - 1) for word in words)


def _instant(value: datetime | str) -> datetime:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            "unreadable status change time",
            {"changed_at": "must be an RFC 3339 date-time"},
        ) from None


CERTIFICATE_ISSUED = "certificate_issued"
CERTIFICATE_STATUS_CHANGED = "certificate_status_changed"


def apply_certificate_event(
    portfolio: list[dict], event_type: str, data: dict
) -> list[dict]:
    """The person's portfolio after a certificates event; the input list is not changed.

    Entries are keyed by ``number``. ``certificate_issued`` adds or replaces the
    entry with ``data``; ``certificate_status_changed`` sets ``status``,
    ``status_reason`` and ``status_changed_at`` from ``new_status``, ``reason``
    and ``changed_at`` (a datetime or RFC 3339 string).
    Events may arrive in any order or more than once: a status change for an
    unknown number leaves a placeholder that the issue event fills in without
    undoing the status, and an older status change never overwrites a newer one.
    """
    number = data.get("number")
    if not number:
        raise InvalidInput("certificate event without a number", {"number": "required"})
    entries = [dict(entry) for entry in portfolio]
    index = next(
        (i for i, entry in enumerate(entries) if entry.get("number") == number), None
    )
    existing = entries[index] if index is not None else None

    if event_type == CERTIFICATE_ISSUED:
        entry = {"status": "active", **data}
        if existing is not None and "status_changed_at" in existing:
            # A status change is always later than the issue, whatever the arrival order.
            for key in ("status", "status_reason", "status_changed_at"):
                if key in existing:
                    entry[key] = existing[key]
    elif event_type == CERTIFICATE_STATUS_CHANGED:
        if not data.get("new_status"):
            raise InvalidInput(
                "certificate status change without a status", {"new_status": "required"}
            )
        entry = dict(existing) if existing is not None else {"number": number}
        changed_at = data.get("changed_at")
        previous_at = entry.get("status_changed_at")
        if (
            changed_at is not None
            and previous_at is not None
            and _instant(changed_at) < _instant(previous_at)
        ):
            return entries
        entry["status"] = data["new_status"]
        entry["status_reason"] = data.get("reason")
        entry["status_changed_at"] = changed_at
    else:
        raise InvalidInput(
            f"not a certificate event: {event_type!r}",
            {
                "event_type": f"must be {CERTIFICATE_ISSUED!r} or {CERTIFICATE_STATUS_CHANGED!r}"
            },
        )

    if index is None:
        entries.append(entry)
    else:
        entries[index] = entry
    return entries


def check_unique_student_numbers(numbers: Iterable[str | None]) -> None:
    """A cohort must not carry the same student number twice."""
    seen: dict[str, int] = {}
    for index, number in enumerate(numbers):
        if number is None:
            continue
        if number in seen:
            raise Conflict(
                f"student number {number} appears twice in the cohort",
                {"student_number": f"people {seen[number]} and {index} share {number}"},
            )
        seen[number] = index
