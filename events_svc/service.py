"""events_svc: alliance events, registrations, results and awards."""

from __future__ import annotations

from typing import Any

from events_svc import calendar, domain, schemas, workflows
from events_svc.repository import EventsRepository
from services.base import DomainService
from services.batching import batch_event_handler
from services.config import public_base_url
from services.messaging import event_handler
from services.mongo import MongoDatabase
from services.pagination import page
from services.rpc import rpc
from services.validation import load


class EventsService(DomainService):
    """RPC ``viewer`` arguments are ``{"admin": bool, "org": organisation id or None}``.

    A viewer who may not see an event gets NotFound for it, as for an unknown id.
    """

    name = "events"

    repository: EventsRepository = MongoDatabase(EventsRepository)

    # events

    @rpc
    def create_event(self, payload: dict[str, Any]) -> dict[str, Any]:
        fields = domain.validate_event_times_and_sizes(load(schemas.EventCreate, payload))
        return schemas.Event().dump(workflows.create_event(self.repository, fields))

    @rpc
    def list_events(self, query: dict[str, Any], viewer: dict[str, Any]) -> dict[str, Any]:
        """A page of the events the viewer sees; ``query`` is an EventQuery."""
        query = load(schemas.EventQuery, query)
        items, next_cursor = workflows.list_events(self.repository, query, viewer, query["limit"], query["cursor"])
        return page(schemas.Event(many=True).dump(items), next_cursor)

    @rpc
    def get_event(self, event_id: str, viewer: dict[str, Any]) -> dict[str, Any]:
        return schemas.Event().dump(workflows.visible_event(self.repository, event_id, viewer))

    @rpc
    def correct_event(self, event_id: str, payload: dict[str, Any], by: str | None) -> dict[str, Any]:
        """Correct an event, recorded in its history and, once published, announced as ``event_updated``."""
        requested = load(schemas.EventUpdate, payload)
        return schemas.Event().dump(workflows.correct_event(self.repository, event_id, requested, by))

    @rpc
    def change_event_status(
        self, event_id: str, action: str, payload: dict[str, Any] | None = None, by: str | None = None
    ) -> dict[str, Any]:
        """Apply a lifecycle action; ``payload`` is an EventAction (an optional reason)."""
        reason = load(schemas.EventAction, payload or {})["reason"]
        return schemas.Event().dump(workflows.change_event_status(self.repository, event_id, action, by, reason))

    @rpc
    def event_calendar(self, event_id: str, viewer: dict[str, Any]) -> str:
        """The event as an iCalendar file."""
        event = workflows.visible_event(self.repository, event_id, viewer)
        return calendar.event_to_ics(event, public_base_url(self.config)).decode()

    @rpc
    def events_calendar(self, query: dict[str, Any], viewer: dict[str, Any]) -> str:
        """The events the viewer sees, as one iCalendar feed; ``query`` is a CalendarQuery."""
        query = load(schemas.CalendarQuery, query)
        events, _ = workflows.list_events(self.repository, query, viewer, query["limit"], None)
        return calendar.events_to_ics(events, public_base_url(self.config)).decode()

    # registrations

    @rpc
    def register(self, event_id: str, payload: dict[str, Any], viewer: dict[str, Any]) -> dict[str, Any]:
        fields = load(schemas.RegistrationCreate, payload)
        return schemas.Registration().dump(workflows.register(self.repository, event_id, fields, viewer))

    @rpc
    def list_registrations(self, event_id: str, query: dict[str, Any], viewer: dict[str, Any]) -> dict[str, Any]:
        """A page of the registrations of an event the viewer sees; ``query`` is a RegistrationQuery."""
        query = load(schemas.RegistrationQuery, query)
        items, next_cursor = workflows.list_registrations(
            self.repository, event_id, query, viewer, query["limit"], query["cursor"]
        )
        return page(schemas.Registration(many=True).dump(items), next_cursor)

    @rpc
    def get_registration(self, event_id: str, registration_id: str) -> dict[str, Any]:
        return schemas.Registration().dump(workflows.registration(self.repository, event_id, registration_id))

    @rpc
    def cancel_registration(self, event_id: str, registration_id: str) -> dict[str, Any]:
        return schemas.Registration().dump(workflows.cancel_registration(self.repository, event_id, registration_id))

    # results

    @rpc
    def publish_results(self, event_id: str, payload: dict[str, Any], by: str | None = None) -> dict[str, Any]:
        rows = load(schemas.ResultsCreate, payload)["results"]
        return schemas.Results().dump(workflows.publish_results(self.repository, event_id, rows, by))

    @rpc
    def get_results(self, event_id: str, viewer: dict[str, Any], full: bool = False) -> dict[str, Any]:
        """``full``: the organiser's view, with person ids and names; otherwise masked names only."""
        return schemas.Results().dump(workflows.event_results(self.repository, event_id, viewer, full))

    # read models of members_svc's data

    @event_handler("members", "membership_changed")
    def on_membership_changed(self, event: dict[str, Any]) -> None:
        workflows.record_membership(self.repository, event)

    @event_handler("members", "organisation_registered")
    def on_organisation_registered(self, event: dict[str, Any]) -> None:
        workflows.record_organisation(self.repository, event)

    @event_handler("members", "organisation_updated")
    def on_organisation_updated(self, event: dict[str, Any]) -> None:
        workflows.record_organisation(self.repository, event)

    @batch_event_handler("members", "person_registered")
    def on_person_registered(self, events: list[dict[str, Any]]) -> None:
        workflows.record_people(self.repository, events)

    @batch_event_handler("members", "person_updated")
    def on_person_updated(self, events: list[dict[str, Any]]) -> None:
        workflows.record_people(self.repository, events)
