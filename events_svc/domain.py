"""Event and registration rules, free of I/O: lifecycles, who sees an event, times and sizes, places."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.errors import Conflict, InvalidInput, NotFound
from services.lifecycle import Lifecycle


class EventKind(str, Enum):
    SKILLS_COMPETITION = "skills_competition"
    TEACHING_COMPETITION = "teaching_competition"
    ACTIVITY_WEEK = "activity_week"
    ACTIVITY_MONTH = "activity_month"
    TEACHER_TRAINING = "teacher_training"
    TEACHING_RESEARCH = "teaching_research"
    ENTERPRISE_VISIT = "enterprise_visit"
    CAREER_EXPERIENCE = "career_experience"
    OPEN_DAY = "open_day"
    COMMUNITY_SERVICE = "community_service"
    LECTURE = "lecture"


class EventStatus(str, Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class RegistrationStatus(str, Enum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


# action -> (statuses it may start from, status it leads to)
EVENT_ACTIONS: dict[str, tuple[frozenset[EventStatus], EventStatus]] = {
    "publish": (frozenset({EventStatus.DRAFT}), EventStatus.PUBLISHED),
    "close": (frozenset({EventStatus.PUBLISHED}), EventStatus.CLOSED),
    "complete": (frozenset({EventStatus.CLOSED}), EventStatus.COMPLETED),
    "cancel": (
        frozenset({EventStatus.DRAFT, EventStatus.PUBLISHED, EventStatus.CLOSED}),
        EventStatus.CANCELLED,
    ),
}


EVENT_LIFECYCLE = Lifecycle("event", EventStatus, EVENT_ACTIONS)


def allowed_event_actions(status: str) -> list[str]:
    """Actions an event in ``status`` accepts, in lifecycle order."""
    return EVENT_LIFECYCLE.allowed(status)


def next_event_status(status: str, action: str) -> EventStatus:
    """Status an event reaches by ``action``; Conflict if its state forbids it."""
    return EVENT_LIFECYCLE.next(status, action)


# Nobody asks to be promoted: a cancellation that frees a place promotes the first one waiting.
REGISTRATION_ACTIONS: dict[str, tuple[frozenset[RegistrationStatus], RegistrationStatus]] = {
    "promote": (frozenset({RegistrationStatus.WAITLISTED}), RegistrationStatus.CONFIRMED),
    "cancel": (
        frozenset({RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED}),
        RegistrationStatus.CANCELLED,
    ),
}

REGISTRATION_LIFECYCLE = Lifecycle("registration", RegistrationStatus, REGISTRATION_ACTIONS)


# visibility

PUBLIC_STATUSES = frozenset({EventStatus.PUBLISHED, EventStatus.CLOSED, EventStatus.COMPLETED})


@dataclass(frozen=True)
class Visibility:
    """The events a viewer sees: every one (``statuses`` None), or those in ``statuses``, the
    cancelled ones that were once published (the public was told of them), and its own."""

    statuses: frozenset[EventStatus] | None
    organiser_id: str | None = None

    def admits(self, event: Mapping[str, Any]) -> bool:
        """Whether an event is among those this viewer sees."""
        if self.statuses is None:
            return True
        status = EVENT_LIFECYCLE.state(event["status"])
        if status in self.statuses or (status is EventStatus.CANCELLED and event.get("was_published")):
            return True
        return self.organiser_id is not None and event.get("organiser_id") == self.organiser_id


def visibility(viewer: Mapping[str, Any]) -> Visibility:
    """What a viewer ``{"admin": bool, "org": organisation id or None}`` sees.

    The public sees published, closed and completed events, and a cancelled one that had been
    published; a draft, or an event cancelled as a draft, only the alliance admin and the
    org_admin of its organiser.
    """
    if viewer.get("admin"):
        return Visibility(statuses=None)
    return Visibility(statuses=PUBLIC_STATUSES, organiser_id=viewer.get("org") or None)


def check_visible(event: Mapping[str, Any], viewer: Mapping[str, Any]) -> None:
    """NotFound, as for an unknown id, unless ``viewer`` sees ``event``: a hidden event does not exist."""
    if not visibility(viewer).admits(event):
        raise NotFound(f"event {event['_id']} not found")


def as_seen_by(event: dict[str, Any], viewer: Mapping[str, Any]) -> dict[str, Any]:
    """The event as ``viewer`` reads it: who made each correction only for the alliance admin
    and its organiser (an account name is nobody else's business); what changed and why for all."""
    if viewer.get("admin") or (viewer.get("org") and viewer.get("org") == event.get("organiser_id")):
        return event
    return {**event, "history": [{**line, "by": None} for line in event.get("history") or []]}


# events and their time zone

DEFAULT_TIME_ZONE = "Asia/Shanghai"


def is_time_zone(name: Any) -> bool:
    """Whether ``name`` is an IANA time zone the system's zone database knows (``Asia/Shanghai``)."""
    if not isinstance(name, str) or not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def event_zone(event: Mapping[str, Any]) -> ZoneInfo:
    """The event's own time zone; events stored before it was kept are in the default one."""
    return ZoneInfo(event.get("time_zone") or DEFAULT_TIME_ZONE)


def local_time(moment: datetime | None, event: Mapping[str, Any]) -> str | None:
    """``moment`` as a wall-clock time of the event's zone with its offset (``2026-05-12T09:00:00+08:00``)."""
    if moment is None:
        return None
    return to_utc(moment).astimezone(event_zone(event)).isoformat(timespec="seconds")


def to_utc(dt: datetime, field: str = "datetime") -> datetime:
    """``dt`` as the same instant in UTC; InvalidInput naming ``field`` if it has no time zone."""
    if not isinstance(dt, datetime):
        raise InvalidInput(f"{field} is not a date-time", {field: "must be a date-time"})
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise InvalidInput(
            f"{field} has no time zone",
            {field: "must include a time zone offset, e.g. +08:00 or Z"},
        )
    return dt.astimezone(UTC)


def check_period(start: datetime | None, end: datetime | None) -> tuple[datetime | None, datetime | None]:
    """A listing period ``[from, to)`` in UTC; InvalidInput naming the bound that is wrong."""
    start = to_utc(start, "from") if start is not None else None
    end = to_utc(end, "to") if end is not None else None
    if start is not None and end is not None and end <= start:
        raise InvalidInput("the period is empty", {"to": "must be after from"})
    return start, end


_EVENT_TIME_FIELDS = ("starts_at", "ends_at", "registration_closes_at")
# The years an event of the alliance can take place in; outside them a time is a typing error
# (and before 1900 a time zone's local time has no whole-minute offset to write it with).
EVENT_YEARS = range(2000, 2201)


def is_whole_number(value: Any) -> bool:
    """An int that is not a bool (JSON true is not a count)."""
    return isinstance(value, int) and not isinstance(value, bool)


def validate_event_times_and_sizes(ev: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``ev`` with its times in UTC; InvalidInput naming every field that breaks a rule.

    Only the fields present are checked, so a merged partial update validates too.
    """
    errors: dict[str, str] = {}
    event = dict(ev)
    for field in _EVENT_TIME_FIELDS:
        if event.get(field) is not None:
            try:
                event[field] = to_utc(event[field], field)
            except InvalidInput as exc:
                errors.update(exc.details)
                continue
            if event[field].year not in EVENT_YEARS:
                errors[field] = f"must fall in the years {EVENT_YEARS.start} to {EVENT_YEARS.stop - 1}"

    starts_at, ends_at = event.get("starts_at"), event.get("ends_at")
    closes_at = event.get("registration_closes_at")
    if "starts_at" not in errors and starts_at is not None:
        if "ends_at" not in errors and ends_at is not None and ends_at < starts_at:
            errors["ends_at"] = "must not be before starts_at"
        if "registration_closes_at" not in errors and closes_at is not None and closes_at > starts_at:
            errors["registration_closes_at"] = "must not be after starts_at"

    size_min, size_max = event.get("team_size_min"), event.get("team_size_max")
    if size_min is not None and (not is_whole_number(size_min) or size_min < 1):
        errors["team_size_min"] = "must be a whole number of at least 1"
    if size_max is not None:
        if not is_whole_number(size_max) or size_max < 1:
            errors["team_size_max"] = "must be a whole number of at least 1"
        elif "team_size_min" not in errors and size_min is not None and size_max < size_min:
            errors["team_size_max"] = "must not be less than team_size_min"

    capacity = event.get("capacity")
    if capacity is not None and (not is_whole_number(capacity) or capacity < 1):
        errors["capacity"] = "must be a whole number of at least 1, or omitted for no limit"

    if errors:
        raise InvalidInput("the event's times or sizes are inconsistent", errors)
    return event


def new_event(event_id: str, fields: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """A new event: a draft, with no results, corrections or calendar revisions yet."""
    return {
        "_id": event_id,
        "time_zone": DEFAULT_TIME_ZONE,
        **fields,
        "status": EventStatus.DRAFT.value,
        "was_published": False,
        "results_revision": 0,
        "sequence": 0,
        "history": [],
        "created_at": now,
        "updated_at": now,
    }


def places_left(event: Mapping[str, Any], confirmed: int) -> int | None:
    """Places still free with ``confirmed`` registrations taken; None for an event without a limit."""
    capacity = event.get("capacity")
    return None if capacity is None else max(capacity - confirmed, 0)


# registrations


def check_registration_open(event: Mapping[str, Any], now: datetime) -> None:
    """Conflict unless the event is published and ``now`` is before registration closes.

    Without ``registration_closes_at``, registration closes when the event starts.
    """
    status = EVENT_LIFECYCLE.state(event["status"])
    if status is not EventStatus.PUBLISHED:
        raise Conflict(
            f"registration is not open: the event is {status.value}",
            {
                "current_state": status.value,
                "reason": "registration is open only while the event is published",
            },
        )
    closes_at = event.get("registration_closes_at") or event.get("starts_at")
    if closes_at is not None and to_utc(now, "now") >= to_utc(closes_at, "registration_closes_at"):
        raise Conflict(
            "registration has closed",
            {
                "current_state": status.value,
                "reason": f"registration closed at {to_utc(closes_at).isoformat()}",
            },
        )


def check_team_size(event: Mapping[str, Any], person_ids: list[str]) -> None:
    """InvalidInput on ``person_ids`` unless it names distinct people within the event's team size."""
    if not isinstance(person_ids, list) or not all(isinstance(p, str) and p for p in person_ids):
        raise InvalidInput(
            "person_ids must be a list of ids",
            {"person_ids": "must be a list of non-empty ids"},
        )
    seen: set[str] = set()
    for person_id in person_ids:
        if person_id in seen:
            raise InvalidInput(
                "a person is listed twice",
                {"person_ids": f"person {person_id} is listed more than once"},
            )
        seen.add(person_id)
    size_min = event.get("team_size_min") or 1
    size_max = event.get("team_size_max")
    if len(person_ids) < size_min or (size_max is not None and len(person_ids) > size_max):
        limit = f"between {size_min} and {size_max}" if size_max is not None else f"at least {size_min}"
        raise InvalidInput(
            "the team size does not fit the event",
            {"person_ids": f"a team needs {limit} people; got {len(person_ids)}"},
        )


def new_registration(
    registration_id: str,
    event_id: str,
    fields: Mapping[str, Any],
    status: RegistrationStatus,
    waitlist_position: int | None,
    now: datetime,
) -> dict[str, Any]:
    """A registration that took a place (``confirmed``) or the given place in the waitlist."""
    return {
        "_id": registration_id,
        "event_id": event_id,
        **fields,
        "status": status.value,
        "waitlist_position": waitlist_position,
        "created_at": now,
        "updated_at": now,
    }


def check_registration_cancellable(event: Mapping[str, Any], registration: Mapping[str, Any]) -> None:
    """Conflict unless the registration is live and its event has not finished or been cancelled."""
    current = REGISTRATION_LIFECYCLE.state(registration["status"])
    if "cancel" not in REGISTRATION_LIFECYCLE.allowed(current.value):
        raise Conflict(
            f"the registration is already {current.value}",
            {"current_state": current.value},
        )
    status = EVENT_LIFECYCLE.state(event["status"])
    if status not in {EventStatus.PUBLISHED, EventStatus.CLOSED}:
        raise Conflict(
            f"registrations of an event that is {status.value} cannot be cancelled",
            {
                "current_state": status.value,
                "reason": "registrations can be cancelled while the event is published or closed",
            },
        )


EVENT_CANCELLED_REASON = "the event was cancelled"


def cancellation(registration: Mapping[str, Any], now: datetime, reason: str | None = None) -> dict[str, Any]:
    """The fields a cancellation changes: the registration also leaves any waitlist."""
    status = REGISTRATION_LIFECYCLE.next(registration["status"], "cancel")
    return {
        "status": status.value,
        "waitlist_position": None,
        "updated_at": now,
        "cancelled_at": now,
        "cancel_reason": reason,
    }


def promotion(registration: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The fields a promotion from the waitlist to a confirmed place changes."""
    status = REGISTRATION_LIFECYCLE.next(registration["status"], "promote")
    return {"status": status.value, "waitlist_position": None, "updated_at": now}


def pick_promotion(waitlisted: list[dict]) -> dict | None:
    """The waitlisted registration to confirm next: lowest position, then earliest created."""
    candidates = [r for r in waitlisted if r.get("status") == RegistrationStatus.WAITLISTED.value]
    if not candidates:
        return None

    def queue_order(registration: dict) -> tuple:
        position = registration.get("waitlist_position")
        created_at = registration.get("created_at")
        return (
            math.inf if position is None else position,
            created_at is None,
            created_at,
        )

    return min(candidates, key=queue_order)
