"""Use cases of events_svc: each loads through the repository, applies the rules, writes and announces.

A use case that writes runs as one transaction (a closure pymongo retries on
transient errors), and records its events in the outbox inside it. The reads
that apply a rule (who sees which event) are here too, so every rule is one
hop from the entrypoint that needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from events_svc import corrections, domain, eligibility, published, results
from events_svc.domain import EventStatus, RegistrationStatus
from events_svc.repository import EventsRepository, Page, new_id
from services.clock import parse_rfc3339, utcnow
from services.errors import Conflict, NotFound
from services.identity import mask_name

# events


def create_event(repository: EventsRepository, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Store a new draft event from validated ``fields``."""
    event = domain.new_event(new_id(), fields, utcnow())
    repository.transaction(lambda session: repository.insert_event(session, event))
    return event


def change_event_status(
    repository: EventsRepository, event_id: str, action: str, by: str | None = None, reason: str | None = None
) -> dict[str, Any]:
    """Apply a lifecycle action, with a history line saying who and why; publishing announces the
    event, cancelling cancels its registrations (and announces it, once published), each with the reason."""

    def work(session: ClientSession) -> dict[str, Any]:
        event = repository.get_event(event_id, session)
        target = domain.next_event_status(event["status"], action)
        now = utcnow()
        cancelled = target is EventStatus.CANCELLED
        line = corrections.status_entry(event["status"], target.value, now, by, reason)
        updated = repository.set_event_status(session, event_id, target.value, now, line, new_version=cancelled)
        if target is EventStatus.PUBLISHED:
            repository.emit(session, "event_published", published.event_published(updated, reason))
        if cancelled:
            _cancel_registrations(repository, session, event_id, now)
            if updated.get("was_published"):
                repository.emit(session, "event_updated", published.event_updated(updated, ["status"], reason))
        return updated

    return _with_seats(repository, [repository.transaction(work)])[0]


def _cancel_registrations(repository: EventsRepository, session: ClientSession, event_id: str, now: datetime) -> None:
    """Every live registration of a cancelled event is cancelled too, each announced with the reason."""
    for registration in repository.live_registrations(session, event_id):
        changes = domain.cancellation(registration, now, domain.EVENT_CANCELLED_REASON)
        cancelled = repository.update_registration(session, registration["_id"], changes)
        repository.release_entries(session, registration["_id"])
        repository.emit(
            session,
            "registration_changed",
            published.registration_changed(cancelled, RegistrationStatus.CANCELLED.value),
        )
    repository.empty_seats(session, event_id)


def correct_event(
    repository: EventsRepository, event_id: str, requested: Mapping[str, Any], by: str | None
) -> dict[str, Any]:
    """Apply the fields that differ, with a history line and, once published, ``event_updated``;
    a raised capacity confirms those waiting, a capacity below those confirmed is a Conflict."""

    def work(session: ClientSession) -> dict[str, Any]:
        current = repository.get_event(event_id, session)
        changes, lines = corrections.event_corrections(current, requested)
        if not lines:
            return current
        if "capacity" in changes:
            corrections.check_capacity(changes["capacity"], repository.seats(session, event_id)["confirmed"])
        if {"team_size_min", "team_size_max"} & set(changes):
            teams = [len(r["person_ids"]) for r in repository.live_registrations(session, event_id)]
            corrections.check_teams_fit({**current, **changes}, teams)
        now = utcnow()
        changed = [line["field"] for line in lines]
        reason = requested.get("reason")
        entry = corrections.correction_entry(lines, now, by, reason)
        updated = repository.correct_event(
            session, event_id, {**changes, "updated_at": now}, entry, corrections.calendar_visible(changed)
        )
        if "capacity" in changes:
            _fill_places(repository, session, updated, now)
        if updated.get("was_published"):
            repository.emit(session, "event_updated", published.event_updated(updated, changed, reason))
        return updated

    return _with_seats(repository, [repository.transaction(work)])[0]


def _fill_places(repository: EventsRepository, session: ClientSession, event: Mapping[str, Any], now: datetime) -> None:
    """Those waiting take the places a larger capacity opened, first in line first."""
    while (promoted := domain.pick_promotion(repository.waitlisted(session, event["_id"]))) is not None:
        if not repository.take_place(session, event["_id"], event.get("capacity")):
            return
        confirmed = repository.update_registration(session, promoted["_id"], domain.promotion(promoted, now))
        repository.close_waitlist_gap(session, event["_id"], promoted["waitlist_position"])
        repository.emit(session, "registration_changed", published.registration_changed(confirmed, "promoted"))


def _with_seats(repository: EventsRepository, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events with how many registrations hold a place and how many wait."""
    counts = repository.seat_counts([event["_id"] for event in events])
    return [
        {
            **event,
            "confirmed_count": counts.get(event["_id"], {}).get("confirmed", 0),
            "waitlisted_count": counts.get(event["_id"], {}).get("waitlisted", 0),
        }
        for event in events
    ]


def visible_event(repository: EventsRepository, event_id: str, viewer: Mapping[str, Any]) -> dict[str, Any]:
    """The event with its counts, if ``viewer`` sees it; NotFound, as for an unknown id, if not."""
    event = repository.get_event(event_id)
    domain.check_visible(event, viewer)
    return domain.as_seen_by(_with_seats(repository, [event])[0], viewer)


def list_events(
    repository: EventsRepository, filters: Mapping[str, Any], viewer: Mapping[str, Any], limit: int, cursor: str | None
) -> Page:
    """One page of the events ``viewer`` sees that match ``filters`` (an EventFilter), with their counts."""
    period_from, period_to = domain.check_period(filters["period_from"], filters["period_to"])
    items, next_cursor = repository.list_events(
        {**filters, "period_from": period_from, "period_to": period_to}, domain.visibility(viewer), limit, cursor
    )
    return [domain.as_seen_by(event, viewer) for event in _with_seats(repository, items)], next_cursor


# registrations


def register(
    repository: EventsRepository, event_id: str, fields: Mapping[str, Any], viewer: Mapping[str, Any]
) -> dict[str, Any]:
    """Take a place, or a place in the waitlist, for a team of an active member; announces which.

    An event the viewer does not see exists only for the alliance's active members, who are
    told that its registration is not open (a draft) rather than that it does not exist.
    """
    event = repository.get_event(event_id)
    person_ids, organisation_id = fields["person_ids"], fields["organisation_id"]
    statuses = repository.membership_statuses(event["alliance_id"], organisation_id)
    if not domain.visibility(viewer).admits(event) and eligibility.ACTIVE_MEMBERSHIP not in statuses:
        raise NotFound(f"event {event_id} not found")
    domain.check_team_size(event, person_ids)
    eligibility.check_active_member(event["alliance_id"], organisation_id, statuses)
    now = utcnow()
    domain.check_registration_open(event, now)
    eligibility.check_people_belong(organisation_id, person_ids, repository.people(person_ids))

    def work(session: ClientSession) -> dict[str, Any]:
        event = repository.get_event(event_id, session)
        domain.check_registration_open(event, now)
        eligibility.check_people_not_registered(repository.registered_people(session, event_id, person_ids))
        if repository.take_place(session, event_id, event.get("capacity")):
            status, position = RegistrationStatus.CONFIRMED, None
        else:
            status, position = RegistrationStatus.WAITLISTED, repository.join_waitlist(session, event_id)
        registration = domain.new_registration(new_id(), event_id, fields, status, position, now)
        repository.insert_registration(session, registration)
        repository.emit(session, "registration_changed", published.registration_changed(registration, status.value))
        return registration

    try:
        return with_people(repository, [repository.transaction(work)])[0]
    except DuplicateKeyError:
        raise Conflict(
            "a person is already registered for this event",
            {"field": "person_ids", "reason": "registered at the same moment by another request"},
        ) from None


def cancel_registration(repository: EventsRepository, event_id: str, registration_id: str) -> dict[str, Any]:
    """Cancel a registration; a freed place goes to the first on the waitlist."""

    def work(session: ClientSession) -> dict[str, Any]:
        event = repository.get_event(event_id, session)
        registration = repository.get_registration(event_id, registration_id, session)
        domain.check_registration_cancellable(event, registration)
        now = utcnow()
        cancelled = repository.update_registration(session, registration_id, domain.cancellation(registration, now))
        repository.release_entries(session, registration_id)
        repository.emit(
            session,
            "registration_changed",
            published.registration_changed(cancelled, RegistrationStatus.CANCELLED.value),
        )
        if registration["status"] == RegistrationStatus.WAITLISTED.value:
            repository.close_waitlist_gap(session, event_id, registration["waitlist_position"])
        else:
            _give_freed_place(repository, session, event_id, now)
        return cancelled

    return with_people(repository, [repository.transaction(work)])[0]


def _give_freed_place(repository: EventsRepository, session: ClientSession, event_id: str, now: datetime) -> None:
    """The first waitlisted registration takes a freed place; with nobody waiting, it stays free."""
    promoted = domain.pick_promotion(repository.waitlisted(session, event_id))
    if promoted is None:
        repository.release_place(session, event_id)
        return
    confirmed = repository.update_registration(session, promoted["_id"], domain.promotion(promoted, now))
    repository.close_waitlist_gap(session, event_id, promoted["waitlist_position"])
    repository.emit(session, "registration_changed", published.registration_changed(confirmed, "promoted"))


def list_registrations(
    repository: EventsRepository,
    event_id: str,
    filters: Mapping[str, Any],
    viewer: Mapping[str, Any],
    limit: int,
    cursor: str | None,
) -> Page:
    """One page of the registrations of an event ``viewer`` sees, matching ``filters``, with names."""
    visible_event(repository, event_id, viewer)
    items, next_cursor = repository.list_registrations(event_id, filters, limit, cursor)
    return with_people(repository, items), next_cursor


def registration(repository: EventsRepository, event_id: str, registration_id: str) -> dict[str, Any]:
    """One registration of the event, with its people's names."""
    return with_people(repository, [repository.get_registration(event_id, registration_id)])[0]


def with_people(repository: EventsRepository, registrations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The registrations with each person's id and name and the organisation's name, as
    members_svc last announced them."""
    names = repository.person_names([p for r in registrations for p in r.get("person_ids", [])])
    schools = repository.organisation_names([r["organisation_id"] for r in registrations])
    return [
        {
            **r,
            "organisation_name": schools.get(r["organisation_id"]),
            "people": [{"id": p, "name": names.get(p)} for p in r.get("person_ids", [])],
        }
        for r in registrations
    ]


# results


def publish_results(
    repository: EventsRepository, event_id: str, rows: list[dict[str, Any]], by: str | None = None
) -> dict[str, Any]:
    """Replace the event's results with a new revision and announce it, with the awards it changes
    (``by``: who published them)."""

    def work(session: ClientSession) -> dict[str, Any]:
        event = repository.get_event(event_id, session)
        registrations = repository.registrations_by_id(session, event_id, [row["registration_id"] for row in rows])
        now = utcnow()
        accepted = results.validate_results({**event, "id": event_id}, rows, registrations, now)
        standing = results.result_rows(accepted, registrations)
        changes = results.award_changes(event.get("results") or [], standing)
        updated = repository.save_results(session, event_id, standing, now, by)
        repository.emit(
            session,
            "results_published",
            published.results_published(updated, standing, updated["results_revision"], changes),
        )
        return updated

    return _readable_results(repository, repository.transaction(work), full=True)


def event_results(repository: EventsRepository, event_id: str, viewer: Mapping[str, Any], full: bool) -> dict[str, Any]:
    """The results of an event ``viewer`` sees; ``full`` (its organiser) with ids and names,
    anyone else without ids and with masked names."""
    return _readable_results(repository, visible_event(repository, event_id, viewer), full)


def _readable_results(repository: EventsRepository, event: dict[str, Any], full: bool) -> dict[str, Any]:
    rows = event.get("results") or []
    names = repository.person_names([p for row in rows for p in row["person_ids"]])
    schools = repository.organisation_names([row["organisation_id"] for row in rows])
    readable = results.readable_rows(rows, names, None if full else mask_name)
    return {**event, "results": [{**row, "organisation_name": schools.get(row["organisation_id"])} for row in readable]}


# read models of members_svc's data


def record_membership(repository: EventsRepository, envelope: dict[str, Any]) -> bool:
    """Keep a membership's latest status; an older change arriving late is ignored.

    False if the event was a re-delivery, already applied.
    """
    change, occurred_at = envelope["data"], parse_rfc3339(envelope["occurred_at"])

    def effect(session: ClientSession) -> None:
        recorded_at = repository.membership_as_of(session, change["membership_id"])
        if eligibility.change_applies(recorded_at, occurred_at):
            repository.save_membership(session, eligibility.membership_record(change, occurred_at))

    return repository.consume(envelope, effect)


def record_organisation(repository: EventsRepository, envelope: dict[str, Any]) -> bool:
    """Keep an organisation's name, from ``organisation_registered`` or ``organisation_updated``;
    an older change arriving late is ignored. False for a re-delivery."""
    organisation, occurred_at = envelope["data"], parse_rfc3339(envelope["occurred_at"])

    def effect(session: ClientSession) -> None:
        recorded_at = repository.organisation_as_of(session, organisation["organisation_id"])
        if eligibility.change_applies(recorded_at, occurred_at):
            repository.save_organisation(session, eligibility.organisation_record(organisation, occurred_at))

    return repository.consume(envelope, effect)


def record_people(repository: EventsRepository, envelopes: list[dict[str, Any]]) -> int:
    """Keep which organisation each person belongs to and their name, from a batch of ``person_registered``
    or ``person_updated`` events, each once, with one read and one bulk write; an older change arriving
    late is ignored. How many events were new (0 for a batch of re-deliveries)."""

    def effect(session: ClientSession, fresh: list[dict[str, Any]]) -> None:
        recorded = repository.people_as_of(session, [envelope["data"]["person_id"] for envelope in fresh])
        known = set(recorded)
        changed: dict[str, dict[str, Any]] = {}
        for envelope in fresh:
            person, occurred_at = envelope["data"], parse_rfc3339(envelope["occurred_at"])
            if eligibility.change_applies(recorded.get(person["person_id"]), occurred_at):
                changed[person["person_id"]] = eligibility.person_record(person, occurred_at)
                recorded[person["person_id"]] = occurred_at
        repository.save_people(session, list(changed.values()), known)

    return len(repository.consume_batch(envelopes, effect))
