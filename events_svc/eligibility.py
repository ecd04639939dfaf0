"""Who may register for an event: membership and people, checked against local read models.

The read models are fed by members_svc's events; the records they keep are built here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from events_svc.domain import to_utc
from services.errors import Conflict, Unprocessable

ACTIVE_MEMBERSHIP = "active"


def change_applies(recorded_at: datetime | None, occurred_at: datetime) -> bool:
    """Whether a change of a membership or person updates the local record.

    Events may arrive out of order, so a change older than the one recorded is
    ignored; on a tie the later arrival wins.
    """
    return recorded_at is None or to_utc(occurred_at, "occurred_at") >= to_utc(recorded_at, "recorded_at")


def membership_record(change: Mapping[str, Any], occurred_at: datetime) -> dict[str, Any]:
    """The local record of a membership after a ``membership_changed`` event's ``change``."""
    return {
        "_id": change["membership_id"],
        "alliance_id": change["alliance_id"],
        "organisation_id": change["organisation_id"],
        "role": change["role"],
        "status": change["new_status"],
        "as_of": occurred_at,
    }


def person_record(person: Mapping[str, Any], occurred_at: datetime | None = None) -> dict[str, Any]:
    """The local record of a person from a ``person_registered`` or ``person_updated`` event:
    whose person it is, and the name registrations show."""
    return {
        "_id": person["person_id"],
        "organisation_id": person["organisation_id"],
        "name": person["name"],
        "kind": person["kind"],
        "archived": bool(person.get("archived")),
        "as_of": occurred_at,
    }


def organisation_record(organisation: Mapping[str, Any], occurred_at: datetime) -> dict[str, Any]:
    """The local record of an organisation from ``organisation_registered`` or ``organisation_updated``:
    the name results and registrations show."""
    return {"_id": organisation["organisation_id"], "name": organisation["name"], "as_of": occurred_at}


def check_active_member(alliance_id: str, organisation_id: str, membership_statuses: list[str]) -> None:
    """Unprocessable naming ``organisation_id`` unless it holds an active membership of the alliance."""
    if ACTIVE_MEMBERSHIP in membership_statuses:
        return
    if membership_statuses:
        reason = (
            f"its membership of alliance {alliance_id} is {', '.join(sorted(set(membership_statuses)))}, not active"
        )
    else:
        reason = f"is not a member of alliance {alliance_id}"
    raise Unprocessable(
        f"organisation {organisation_id} may not register for this event",
        {"organisation_id": reason},
    )


def check_people_belong(
    organisation_id: str,
    person_ids: list[str],
    people_by_id: Mapping[str, Mapping[str, Any]],
) -> None:
    """Unprocessable naming ``person_ids`` unless every person is known, belongs to the organisation
    and is not archived."""
    unknown = [p for p in person_ids if p not in people_by_id]
    elsewhere = [
        p for p in person_ids if p in people_by_id and people_by_id[p].get("organisation_id") != organisation_id
    ]
    # An archived person has left the organisation: kept for their history, not registered again.
    archived = [p for p in person_ids if p in people_by_id and people_by_id[p].get("archived")]
    problems = []
    if unknown:
        problems.append(f"unknown people: {', '.join(unknown)}")
    if elsewhere:
        problems.append(f"not people of organisation {organisation_id}: {', '.join(elsewhere)}")
    if archived:
        problems.append(f"archived people: {', '.join(archived)}")
    if problems:
        raise Unprocessable(
            "some people cannot be registered by this organisation",
            {"person_ids": "; ".join(problems)},
        )


def check_people_not_registered(already_registered: list[str]) -> None:
    """Conflict naming ``person_ids`` when someone already holds a registration for the event."""
    if already_registered:
        raise Conflict(
            "a person is already registered for this event",
            {
                "field": "person_ids",
                "reason": "already registered for this event: " + ", ".join(sorted(already_registered)),
                "person_ids": sorted(already_registered),
            },
        )
