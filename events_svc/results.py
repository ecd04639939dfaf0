"""Results and awards rules, free of I/O: which results an event accepts, and what a revision changes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from events_svc.domain import EVENT_LIFECYCLE, EventStatus, RegistrationStatus, is_whole_number, to_utc
from services.clock import rfc3339
from services.errors import Conflict, InvalidInput, error_key


class Award(str, Enum):
    FIRST_PRIZE = "first_prize"
    SECOND_PRIZE = "second_prize"
    THIRD_PRIZE = "third_prize"
    EXCELLENCE = "excellence"
    PARTICIPATION = "participation"
    NONE = "none"


RESULT_STATUSES = frozenset({EventStatus.CLOSED, EventStatus.COMPLETED})


def validate_results(
    event: Mapping[str, Any],
    rows: list[dict],
    registrations_by_id: Mapping[str, Mapping[str, Any]],
    now: datetime,
) -> list[dict]:
    """The result rows with ``award`` defaulted to 'none'; Conflict unless results may be recorded:
    the event is closed or completed and has started by ``now``.

    Each row must name a distinct confirmed registration of this event; bad
    rows raise InvalidInput keyed by JSON Pointers such as ``/results/2/registration_id``.
    """
    status = EVENT_LIFECYCLE.state(event["status"])
    if status not in RESULT_STATUSES:
        raise Conflict(
            f"results cannot be recorded for an event that is {status.value}",
            {
                "current_state": status.value,
                "reason": "results are recorded once the event is closed or completed",
            },
        )
    starts_at = event.get("starts_at")
    if starts_at is not None and to_utc(now, "now") < to_utc(starts_at, "starts_at"):
        raise Conflict(
            "results cannot be recorded before the event starts",
            {
                "starts_at": rfc3339(to_utc(starts_at)),
                "reason": "results are recorded once the event has started; correct its dates if it was held earlier",
            },
        )
    errors: dict[str, list[str]] = {}
    seen: dict[str, int] = {}
    normalised: list[dict] = []
    for index, row in enumerate(rows):
        registration_id = row.get("registration_id")
        registration = registrations_by_id.get(registration_id) if isinstance(registration_id, str) else None
        if not registration_id:
            errors[error_key("results", index, "registration_id")] = ["required"]
        elif registration_id in seen:
            errors[error_key("results", index, "registration_id")] = [
                f"already given at {error_key('results', seen[registration_id], 'registration_id')}"
            ]
        elif registration is None or registration.get("event_id", event.get("id")) != event.get("id"):
            errors[error_key("results", index, "registration_id")] = ["not a registration of this event"]
        elif registration.get("status") != RegistrationStatus.CONFIRMED.value:
            errors[error_key("results", index, "registration_id")] = [
                f"registration is {registration.get('status')}, not confirmed"
            ]
        if isinstance(registration_id, str) and registration_id not in seen:
            seen[registration_id] = index

        award = row.get("award", Award.NONE.value)
        if award not in {a.value for a in Award}:
            errors[error_key("results", index, "award")] = [f"must be one of {[a.value for a in Award]}"]
        rank = row.get("rank")
        if rank is not None and (not is_whole_number(rank) or rank < 1):
            errors[error_key("results", index, "rank")] = ["must be a whole number of at least 1"]
        score = row.get("score")
        if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
            errors[error_key("results", index, "score")] = ["must be a number"]
        normalised.append({**row, "award": award})

    if errors:
        raise InvalidInput("some results are invalid", errors)
    return normalised


def result_rows(accepted: list[dict], registrations_by_id: Mapping[str, Mapping[str, Any]]) -> list[dict]:
    """Accepted rows with their registration's organisation, people and team, so awards need no lookup."""
    return [
        {
            **row,
            "organisation_id": registrations_by_id[row["registration_id"]]["organisation_id"],
            "person_ids": registrations_by_id[row["registration_id"]]["person_ids"],
            "team_name": registrations_by_id[row["registration_id"]].get("team_name"),
        }
        for row in accepted
    ]


def award_changes(old_rows: list[dict], new_rows: list[dict]) -> dict[str, dict[str, str]]:
    """Registrations whose award differs between two result sets: ``{id: {"from": ..., "to": ...}}``.

    A registration missing from one set counts as award 'none' there.
    """

    def awards(rows: list[dict]) -> dict[str, str]:
        return {row["registration_id"]: row.get("award", Award.NONE.value) for row in rows}

    old, new = awards(old_rows), awards(new_rows)
    changes: dict[str, dict[str, str]] = {}
    for registration_id in [*old, *(r for r in new if r not in old)]:
        before = old.get(registration_id, Award.NONE.value)
        after = new.get(registration_id, Award.NONE.value)
        if before != after:
            changes[registration_id] = {"from": before, "to": after}
    return changes


def readable_rows(
    rows: list[dict], names: Mapping[str, str], mask: Callable[[str], str] | None
) -> list[dict[str, Any]]:
    """Result rows with the team's names; with ``mask`` (for the public) the names masked and no
    person ids, so nothing read there names a student, many of whom are minors."""
    readable = []
    for row in rows:
        team = [names.get(person_id) for person_id in row["person_ids"]]
        if mask is None:
            readable.append({**row, "names": team})
        else:
            masked = [mask(name) if name else None for name in team]
            readable.append({**row, "person_ids": None, "names": masked})
    return readable
