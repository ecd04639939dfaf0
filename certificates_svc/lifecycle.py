"""A certificate's status over its life: active, suspended, revoked (final), expired."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.clock import rfc3339
from services.errors import Conflict, InvalidInput

ACTIVE = "active"
SUSPENDED = "suspended"
REVOKED = "revoked"
EXPIRED = "expired"

REVOKE = "revoke"
SUSPEND = "suspend"
REINSTATE = "reinstate"
ACTIONS = (REVOKE, SUSPEND, REINSTATE)

# action -> status it leads to, per effective status. Revoked is final.
TRANSITIONS: dict[str, dict[str, str]] = {
    ACTIVE: {REVOKE: REVOKED, SUSPEND: SUSPENDED},
    SUSPENDED: {REVOKE: REVOKED, REINSTATE: ACTIVE},
    EXPIRED: {REVOKE: REVOKED},
    REVOKED: {},
}

# What each action does to the certificate's bits in the two status lists.
STATUS_BITS: dict[str, dict[str, bool]] = {
    REVOKE: {"revocation": True, "suspension": False},
    SUSPEND: {"suspension": True},
    REINSTATE: {"suspension": False},
}

ACTIONS_NEEDING_REASON = (REVOKE, SUSPEND)


def effective_status(certificate: dict[str, Any], now: datetime) -> str:
    """The stored status, or ``expired`` once ``valid_until`` has passed (revoked stays revoked)."""
    status = certificate["status"]
    valid_until = certificate.get("valid_until")
    if status != REVOKED and valid_until is not None and now >= valid_until:
        return EXPIRED
    return status


def allowed_actions(status: str) -> list[str]:
    return list(TRANSITIONS.get(status, {}))


def plan_transition(certificate: dict[str, Any], action: str, reason: str | None,
                    now: datetime) -> dict[str, Any]:
    """The change ``action`` makes: old and new status, the stored status, the list bits.

    Raises Conflict (with the allowed actions) for a transition the current status
    does not allow, InvalidInput when a revocation or suspension has no reason.
    """
    current = effective_status(certificate, now)
    target = TRANSITIONS.get(current, {}).get(action)
    if target is None:
        raise Conflict(
            f"a {current} certificate cannot be {action}d",
            {"current_state": current, "allowed_actions": allowed_actions(current)},
        )
    if action in ACTIONS_NEEDING_REASON and not (reason or "").strip():
        raise InvalidInput(f"a reason is required to {action} a certificate",
                           {"reason": ["required to " + action]})
    return {
        "number": certificate["number"],
        "holder_id": certificate["holder_id"],
        "status_index": certificate["status_index"],
        "stored_status": certificate["status"],
        "old_status": current,
        "new_status": target,
        "reason": (reason or "").strip() or None,
        "changed_at": now,
        "bits": STATUS_BITS[action],
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
