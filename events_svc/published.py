"""The ``data`` of each event events_svc publishes (contracts in services/contracts/events.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from events_svc.domain import to_utc
from services.clock import rfc3339


def _time(value: datetime, field: str) -> str:
    return rfc3339(to_utc(value, field))


def event_published(event: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "event_id": event["_id"],
        "alliance_id": event["alliance_id"],
        "organiser_id": event["organiser_id"],
        "kind": event["kind"],
        "title": event["title"],
        "starts_at": _time(event["starts_at"], "starts_at"),
        "ends_at": _time(event["ends_at"], "ends_at"),
        "skill": event.get("skill"),
    }


def registration_changed(registration: Mapping[str, Any], change: str) -> dict[str, Any]:
    """``change`` is confirmed, waitlisted, cancelled or promoted."""
    return {
        "registration_id": registration["_id"],
        "event_id": registration["event_id"],
        "organisation_id": registration["organisation_id"],
        "person_ids": list(registration["person_ids"]),
        "team_name": registration.get("team_name"),
        "change": change,
        "status": registration["status"],
        "waitlist_position": registration.get("waitlist_position"),
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
