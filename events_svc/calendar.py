"""iCalendar (RFC 5545) export of alliance events, for calendar subscriptions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from icalendar import Calendar, Event

from events_svc.domain import EventStatus, event_zone, to_utc
from services.clock import utcnow

PRODID = "-//Vocational Alliance Platform//Events//EN"


def _event_url(base_url: str, event_id: str) -> str:
    return f"{base_url.rstrip('/')}/api/v1/events/{event_id}"


def _vevent(event: Mapping[str, Any], base_url: str, stamp: datetime) -> Event:
    vevent = Event()
    vevent.add("uid", f"{event['_id']}@alliance")
    # DTSTAMP follows the event's last change so an unchanged event exports identically.
    vevent.add("dtstamp", to_utc(event.get("updated_at") or stamp, "updated_at"))
    # SEQUENCE grows with each correction a calendar shows, so subscribed calendars replace
    # their copy of a rescheduled event instead of keeping the old one.
    vevent.add("sequence", event.get("sequence", 0))
    # In the event's own zone (TZID, with its VTIMEZONE), as people there read the times.
    zone = event_zone(event)
    vevent.add("dtstart", to_utc(event["starts_at"], "starts_at").astimezone(zone))
    vevent.add("dtend", to_utc(event["ends_at"], "ends_at").astimezone(zone))
    vevent.add("summary", event["title"])
    if event.get("location"):
        vevent.add("location", event["location"])
    if event.get("description"):
        vevent.add("description", event["description"])
    vevent.add("url", _event_url(base_url, event["_id"]))
    vevent.add("categories", [event["kind"]])
    cancelled = event.get("status") == EventStatus.CANCELLED.value
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return vevent


def _calendar(events: Iterable[Mapping[str, Any]], base_url: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    stamp = utcnow()
    for event in events:
        calendar.add_component(_vevent(event, base_url, stamp))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def event_to_ics(event: Mapping[str, Any], base_url: str) -> bytes:
    """One stored event as an iCalendar file; ``base_url`` is the gateway's public address."""
    return _calendar([event], base_url)


def events_to_ics(events: list[dict], base_url: str) -> bytes:
    """Several stored events as one iCalendar feed; ``base_url`` is the gateway's public address."""
    return _calendar(events, base_url)
