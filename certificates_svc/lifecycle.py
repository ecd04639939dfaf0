"""A certificate's status over its life: active, suspended, revoked (final), expired."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from services.clock import rfc3339
from services.errors import InvalidInput
from services.lifecycle import Lifecycle


class CertificateStatus(str, Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


REVOKE = "revoke"
SUSPEND = "suspend"
REINSTATE = "reinstate"

# action -> (effective statuses it may start from, status it leads to). Revoked is final.
CERTIFICATE_ACTIONS: dict[str, tuple[frozenset[CertificateStatus], CertificateStatus]] = {
    REVOKE: (
        frozenset({CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED, CertificateStatus.EXPIRED}),
        CertificateStatus.REVOKED,
    ),
    SUSPEND: (frozenset({CertificateStatus.ACTIVE}), CertificateStatus.SUSPENDED),
    REINSTATE: (frozenset({CertificateStatus.SUSPENDED}), CertificateStatus.ACTIVE),
}
ACTIONS = tuple(CERTIFICATE_ACTIONS)

CERTIFICATE_LIFECYCLE = Lifecycle("certificate", CertificateStatus, CERTIFICATE_ACTIONS)

# What each action does to the certificate's bits in the two status lists.
STATUS_BITS: dict[str, dict[str, bool]] = {
    REVOKE: {"revocation": True, "suspension": False},
    SUSPEND: {"suspension": True},
    REINSTATE: {"suspension": False},
}

ACTIONS_NEEDING_REASON = (REVOKE, SUSPEND)

# Why a certificate was revoked, as the public may learn it: the typed reason can name people,
# so verification answers give only its category.
REVOCATION_CATEGORIES = ("issued_in_error", "results_corrected", "misconduct", "withdrawn", "other")
DEFAULT_REVOCATION_CATEGORY = "other"
# What verification answers for a revoked certificate a corrected one replaced (never stored).
SUPERSEDED = "superseded"


def effective_status(certificate: dict[str, Any], now: datetime) -> CertificateStatus:
    """The stored status, or ``expired`` once ``valid_until`` has passed (revoked stays revoked)."""
    status = CertificateStatus(certificate["status"])
    valid_until = certificate.get("valid_until")
    if status is not CertificateStatus.REVOKED and valid_until is not None and now >= valid_until:
        return CertificateStatus.EXPIRED
    return status


def allowed_actions(status: str) -> list[str]:
    """Actions a certificate in (effective) ``status`` accepts, in lifecycle order."""
    return CERTIFICATE_LIFECYCLE.allowed(status)


def plan_transition(
    certificate: dict[str, Any],
    action: str,
    reason: str | None,
    now: datetime,
    *,
    category: str | None = None,
    replaced_by: str | None = None,
) -> dict[str, Any]:
    """The change ``action`` makes: old and new status, the stored status, the list bits.

    A revocation carries a category (see REVOCATION_CATEGORIES) and, when a corrected
    certificate replaces this one, the replacement's number.

    Raises Conflict (with the allowed actions) for a transition the current status
    does not allow, InvalidInput when a revocation or suspension has no reason.
    """
    current = effective_status(certificate, now)
    target = CERTIFICATE_LIFECYCLE.next(current, action)
    if action in ACTIONS_NEEDING_REASON and not (reason or "").strip():
        raise InvalidInput(f"a reason is required to {action} a certificate", {"reason": ["required to " + action]})
    if action != REVOKE and (category or replaced_by):
        raise InvalidInput("only a revocation has a category", {"category": ["only to revoke"]})
    if category is not None and category not in REVOCATION_CATEGORIES:
        raise InvalidInput(f"unknown revocation category {category!r}", {"category": ["unknown category"]})
    return {
        "number": certificate["number"],
        "holder_id": certificate["holder_id"],
        "status_index": certificate["status_index"],
        "stored_status": certificate["status"],
        "old_status": current.value,
        "new_status": target.value,
        "reason": (reason or "").strip() or None,
        "changed_at": now,
        "bits": STATUS_BITS[action],
        "category": (category or DEFAULT_REVOCATION_CATEGORY) if action == REVOKE else None,
        "replaced_by": replaced_by,
    }


def status_changed_event(change: dict[str, Any]) -> dict[str, Any]:
    """The ``certificate_status_changed`` payload of a planned change."""
    return {
        "number": change["number"],
        "holder_id": change["holder_id"],
        "old_status": change["old_status"],
        "new_status": change["new_status"],
        "reason": change["reason"],
        "changed_at": rfc3339(change["changed_at"]),
    }
