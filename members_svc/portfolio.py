"""A person's certificate portfolio: what certificates_svc's events say the person holds, free of I/O."""

from __future__ import annotations

from datetime import datetime

from services.clock import parse_rfc3339
from services.errors import InvalidInput

CERTIFICATE_ISSUED = "certificate_issued"
CERTIFICATE_STATUS_CHANGED = "certificate_status_changed"


def _instant(value: datetime | str) -> datetime:
    if isinstance(value, datetime):
        return value
    try:
        return parse_rfc3339(value)
    except ValueError:
        raise InvalidInput(
            "unreadable status change time",
            {"changed_at": "must be an RFC 3339 date-time"},
        ) from None


def apply_certificate_event(portfolio: list[dict], event_type: str, data: dict) -> list[dict]:
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
    index = next((i for i, entry in enumerate(entries) if entry.get("number") == number), None)
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
            raise InvalidInput("certificate status change without a status", {"new_status": "required"})
        entry = dict(existing) if existing is not None else {"number": number}
        changed_at = data.get("changed_at")
        previous_at = entry.get("status_changed_at")
        if changed_at is not None and previous_at is not None and _instant(changed_at) < _instant(previous_at):
            return entries
        entry["status"] = data["new_status"]
        entry["status_reason"] = data.get("reason")
        entry["status_changed_at"] = changed_at
    else:
        raise InvalidInput(
            f"not a certificate event: {event_type!r}",
            {"event_type": f"must be {CERTIFICATE_ISSUED!r} or {CERTIFICATE_STATUS_CHANGED!r}"},
        )

    if index is None:
        entries.append(entry)
    else:
        entries[index] = entry
    return entries
