"""The ``data`` of each event events_svc publishes (contracts in services/contracts/events.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from events_svc.domain import DEFAULT_TIME_ZONE, to_utc
from services.clock import rfc3339


def _time(value: datetime, field: str) -> str:
    return rfc3339(to_utc(value, field))


def event_published(event: Mapping[str, Any], reason: str | None = None) -> dict[str, Any]:
    """The event as published; ``reason``: what the organiser said on publishing it, if anything."""
    return {
        "event_id": event["_id"],
        "alliance_id": event["alliance_id"],
        "organiser_id": event["organiser_id"],
        "kind": event["kind"],
        "title": event["title"],
        "starts_at": _time(event["starts_at"], "starts_at"),
        "ends_at": _time(event["ends_at"], "ends_at"),
        "skill": event.get("skill"),
        "reason": reason,
    }


def event_updated(event: Mapping[str, Any], changed_fields: list[str], reason: str | None) -> dict[str, Any]:
    """The event as it is now after a correction or cancellation; ``sequence`` orders its versions."""
    closes_at = event.get("registration_closes_at")
    return {
        "event_id": event["_id"],
        "alliance_id": event["alliance_id"],
        "organiser_id": event["organiser_id"],
        "kind": event["kind"],
        "title": event["title"],
        "status": event["status"],
        "starts_at": _time(event["starts_at"], "starts_at"),
        "ends_at": _time(event["ends_at"], "ends_at"),
        "time_zone": event.get("time_zone") or DEFAULT_TIME_ZONE,
        "location": event.get("location"),
        "capacity": event.get("capacity"),
        "registration_closes_at": None if closes_at is None else _time(closes_at, "registration_closes_at"),
        "skill": event.get("skill"),
        "sequence": event.get("sequence", 0),
        "changed_fields": list(changed_fields),
        "reason": reason,
    }


def registration_changed(registration: Mapping[str, Any], change: str) -> dict[str, Any]:
    """``change`` is confirmed, waitlisted, cancelled or promoted; a cancellation may say why."""
    return {
        "registration_id": registration["_id"],
        "event_id": registration["event_id"],
        "organisation_id": registration["organisation_id"],
        "person_ids": list(registration["person_ids"]),
        "team_name": registration.get("team_name"),
        "change": change,
        "status": registration["status"],
        "waitlist_position": registration.get("waitlist_position"),
        "reason": registration.get("cancel_reason"),
    }


def results_published(
    event: Mapping[str, Any],
    results: list[dict[str, Any]],
    revision: int,
    changes: dict[str, dict[str, str]],
) -> dict[str, Any]:
    """Every row carries its registration's organisation and people, so awards need no lookup."""
    return {
        "event_id": event["_id"],
        "alliance_id": event["alliance_id"],
        "organiser_id": event["organiser_id"],
        "kind": event["kind"],
        "title": event["title"],
        "skill": event.get("skill"),
        "ends_at": _time(event["ends_at"], "ends_at"),
        "revision": revision,
        "results": [
            {
                "registration_id": row["registration_id"],
                "organisation_id": row["organisation_id"],
                "person_ids": list(row["person_ids"]),
                "team_name": row.get("team_name"),
                "score": row.get("score"),
                "rank": row.get("rank"),
                "award": row["award"],
            }
            for row in results
        ],
        "award_changes": changes,
    }
