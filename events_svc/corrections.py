"""Corrections of an event, free of I/O: what may change, what changed (old → new), and its history line."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from events_svc.domain import EVENT_LIFECYCLE, EventStatus, to_utc, validate_event_times_and_sizes
from services.clock import rfc3339
from services.errors import Conflict, InvalidInput

# The fields a correction may change. The alliance, organiser and kind say what the event is:
# getting them wrong makes another event, not a correction of this one.
CORRECTABLE_FIELDS = (
    "title",
    "description",
    "starts_at",
    "ends_at",
    "location",
    "capacity",
    "registration_closes_at",
    "team_size_min",
    "team_size_max",
    "skill",
    "time_zone",
)

CORRECTABLE_STATUSES = frozenset({EventStatus.DRAFT, EventStatus.PUBLISHED, EventStatus.CLOSED})


def _plain(value: Any) -> Any:
    """A value as the history keeps it: times as RFC 3339 in UTC, so every value is plain JSON."""
    return rfc3339(to_utc(value)) if isinstance(value, datetime) else value


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, datetime) and isinstance(new, datetime):
        return to_utc(old) == to_utc(new)
    return old == new


def event_corrections(current: Mapping[str, Any], requested: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict]]:
    """The stored fields a correction changes, and one ``{field, from, to}`` line per field changed.

    The event as corrected must satisfy the rules of a new one. Conflict once the event is
    completed or cancelled; a published event needs a ``reason`` (the public already saw it).
    """
    status = EVENT_LIFECYCLE.state(current["status"])
    if status not in CORRECTABLE_STATUSES:
        raise Conflict(
            f"an event that is {status.value} cannot be corrected",
            {"current_state": status.value, "reason": "events are corrected while draft, published or closed"},
        )
    if current.get("was_published") and not (requested.get("reason") or "").strip():
        raise InvalidInput(
            "a published event is corrected with a reason",
            {"reason": "required once the event has been published: registrants are told why"},
        )
    given = {field: requested[field] for field in CORRECTABLE_FIELDS if field in requested}
    merged = validate_event_times_and_sizes({**current, **given})
    changes = {field: merged[field] for field in given if not _same(current.get(field), merged[field])}
    lines = [{"field": field, "from": _plain(current.get(field)), "to": _plain(changes[field])} for field in changes]
    return changes, lines


def check_capacity(capacity: int | None, confirmed: int) -> None:
    """Conflict if a new ``capacity`` leaves fewer places than registrations already confirmed."""
    if capacity is not None and capacity < confirmed:
        raise Conflict(
            f"capacity {capacity} is below the {confirmed} registrations already confirmed",
            {
                "capacity": f"must be at least {confirmed}, the registrations already confirmed",
                "reason": "cancel registrations first to lower the capacity further",
            },
        )


def check_teams_fit(event: Mapping[str, Any], team_sizes: list[int]) -> None:
    """Conflict if the (corrected) team sizes leave out teams already registered: they would hold
    places no new team of their size could take."""
    size_min, size_max = event.get("team_size_min") or 1, event.get("team_size_max")
    misfits = [size for size in team_sizes if size < size_min or (size_max is not None and size > size_max)]
    if misfits:
        field = "team_size_min" if any(size < size_min for size in misfits) else "team_size_max"
        raise Conflict(
            f"{len(misfits)} registered team(s) would not fit the new team size",
            {field: f"registered teams have {sorted(set(team_sizes))} people", "reason": "cancel those first"},
        )


def correction_entry(changes: list[dict], at: datetime, by: str | None, reason: str | None) -> dict[str, Any]:
    """One line of an event's history: what changed (old → new), when, by whom and why."""
    return {"changes": changes, "at": at, "by": by, "reason": reason}


def status_entry(old_status: str, new_status: str, at: datetime, by: str | None, reason: str | None) -> dict[str, Any]:
    """The history line of a lifecycle action: the status from → to, when, by whom and why."""
    return correction_entry([{"field": "status", "from": old_status, "to": new_status}], at, by, reason)


def calendar_visible(changed_fields: list[str]) -> bool:
    """Whether a change is one a calendar shows, so subscribed calendars must take the new version."""
    return bool({"title", "description", "starts_at", "ends_at", "location", "time_zone"} & set(changed_fields))
