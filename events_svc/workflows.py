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

from events_svc import domain, eligibility, published, results
from events_svc.domain import EventStatus, RegistrationStatus
from events_svc.repository import EventsRepository, Page, new_id
from services.clock import parse_rfc3339, utcnow
from services.errors import Conflict

# events


def create_event(repository: EventsRepository, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Store a new draft event from validated ``fields``."""
    event = domain.new_event(new_id(), fields, utcnow())
    repository.transaction(lambda session: repository.insert_event(session, event))
    return event


def change_event_status(repository: EventsRepository, event_id: str, action: str) -> dict[str, Any]:
    """Apply a lifecycle action; publishing announces the event."""

    def work(session: ClientSession) -> dict[str, Any]:
        event = repository.get_event(event_id, session)
        target = domain.next_event_status(event["status"], action)
        updated = repository.set_event_status(session, event_id, target.value, utcnow())
        if target is EventStatus.PUBLISHED:
            repository.emit(session, "event_published", published.event_published(updated))
        return updated

    return repository.transaction(work)


def visible_event(repository: EventsRepository, event_id: str, viewer: Mapping[str, Any]) -> dict[str, Any]:
    """The event, if ``viewer`` sees it; NotFound, as for an unknown id, if not."""
    event = repository.get_event(event_id)
    domain.check_visible(event, viewer)
    return event


def list_events(
    repository: EventsRepository, filters: Mapping[str, Any], viewer: Mapping[str, Any], limit: int, cursor: str | None
) -> Page:
    """One page of the events ``viewer`` sees that match ``filters`` (an EventFilter)."""
    period_from, period_to = domain.check_period(filters["period_from"], filters["period_to"])
    return repository.list_events(
        {**filters, "period_from": period_from, "period_to": period_to}, domain.visibility(viewer), limit, cursor
    )


# registrations


def register(repository: EventsRepository, event_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Take a place, or a place in the waitlist, for a team of an active member; announces which."""
    event = repository.get_event(event_id)
    person_ids, organisation_id = fields["person_ids"], fields["organisation_id"]
    domain.check_team_size(event, person_ids)
    eligibility.check_active_member(
        event["alliance_id"], organisation_id, repository.membership_statuses(event["alliance_id"], organisation_id)
    )
    eligibility.check_people_belong(organisation_id, person_ids, repository.people(person_ids))
    now = utcnow()

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
        return repository.transaction(work)
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

    return repository.transaction(work)


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
    """One page of the registrations of an event ``viewer`` sees, matching ``filters``."""
    visible_event(repository, event_id, viewer)
    return repository.list_registrations(event_id, filters, limit, cursor)


# results


def publish_results(
    repository: EventsRepository, event_id: str, rows: list[dict[str, Any]], by: str | None = None
) -> dict[str, Any]:
    """Replace the event's results with a new revision and announce it, with the awards it changes
    (``by``: who published them)."""

    def work(session: ClientSession) -> dict[str, Any]:
        event = repository.get_event(event_id, session)
        registrations = repository.registrations_by_id(session, event_id, [row["registration_id"] for row in rows])
        accepted = results.validate_results({**event, "id": event_id}, rows, registrations)
        standing = results.result_rows(accepted, registrations)
        changes = results.award_changes(event.get("results") or [], standing)
        updated = repository.save_results(session, event_id, standing, utcnow(), by)
        repository.emit(
            session,
            "results_published",
            published.results_published(updated, standing, updated["results_revision"], changes),
        )
        return updated

    return repository.transaction(work)


# read models of members_svc's data


def record_membership(repository: EventsRepository, envelope: dict[str, Any]) -> bool:
    """Keep a membership's latest status; an older change arriving late is ignored.

    False if the event was a re-delivery, already applied.
    """
    change, occurred_at = envelope["data"], parse_rfc3339(envelope["occurred_at"])

    def effect(session: ClientSession) -> None:
        recorded_at = repository.membership_as_of(session, change["membership_id"])
        if eligibility.membership_change_applies(recorded_at, occurred_at):
            repository.save_membership(session, eligibility.membership_record(change, occurred_at))

    return repository.consume(envelope, effect)


def record_person(repository: EventsRepository, envelope: dict[str, Any]) -> bool:
    """Keep which organisation a person belongs to; False for a re-delivery."""
    return repository.consume(
        envelope, lambda session: repository.save_person(session, eligibility.person_record(envelope["data"]))
    )
