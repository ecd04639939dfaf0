"""events_svc: alliance events, registrations, results and awards."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from events_svc import calendar, domain, eligibility, schemas
from events_svc.repository import EventsRepository
from services.base import DomainService
from services.config import public_base_url
from services.messaging import event_handler
from services.mongo import MongoDatabase
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
        return schemas.Event().dump(self.repository.create_event(fields))

    @rpc
    def list_events(self, filters: dict[str, Any], viewer: dict[str, Any]) -> dict[str, Any]:
        query = self._event_filter(schemas.EventQuery, filters)
        items, next_cursor = self.repository.list_events(
            query, domain.visibility(viewer), query["limit"], query["cursor"])
        return {"items": schemas.Event(many=True).dump(items), "next_cursor": next_cursor}

    @rpc
    def get_event(self, event_id: str, viewer: dict[str, Any]) -> dict[str, Any]:
        return schemas.Event().dump(self._visible_event(event_id, viewer))

    @rpc
    def change_event_status(self, event_id: str, action: str) -> dict[str, Any]:
        return schemas.Event().dump(self.repository.change_event_status(event_id, action))

    @rpc
    def event_calendar(self, event_id: str, viewer: dict[str, Any]) -> str:
        """The event as an iCalendar file."""
        event = self._visible_event(event_id, viewer)
        return calendar.event_to_ics({**event, "id": event["_id"]}, self._base_url()).decode()

    @rpc
    def events_calendar(self, filters: dict[str, Any], viewer: dict[str, Any]) -> str:
        """The events the viewer may see, filtered, as one iCalendar feed."""
        query = self._event_filter(schemas.CalendarQuery, filters)
        items, _ = self.repository.list_events(query, domain.visibility(viewer), query["limit"], None)
        events = [{**event, "id": event["_id"]} for event in items]
        return calendar.events_to_ics(events, self._base_url()).decode()

    # registrations

    @rpc
    def register(self, event_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        fields = load(schemas.RegistrationCreate, payload)
        event = self.repository.get_event(event_id)
        domain.check_team_size(event, fields["person_ids"])
        organisation_id = fields["organisation_id"]
        eligibility.check_active_member(
            event["alliance_id"], organisation_id,
            self.repository.membership_statuses(event["alliance_id"], organisation_id))
        eligibility.check_people_belong(
            organisation_id, fields["person_ids"], self.repository.people(fields["person_ids"]))
        registration = self.repository.register(event_id, fields, datetime.now(UTC))
        return schemas.Registration().dump(registration)

    @rpc
    def list_registrations(self, event_id: str, filters: dict[str, Any],
                           viewer: dict[str, Any]) -> dict[str, Any]:
        query = load(schemas.RegistrationQuery, filters)
        self._visible_event(event_id, viewer)
        limit, cursor = query.pop("limit"), query.pop("cursor")
        items, next_cursor = self.repository.list_registrations(event_id, query, limit, cursor)
        return {"items": schemas.Registration(many=True).dump(items), "next_cursor": next_cursor}

    @rpc
    def get_registration(self, event_id: str, registration_id: str) -> dict[str, Any]:
        return schemas.Registration().dump(
            self.repository.get_registration(event_id, registration_id))

    @rpc
    def cancel_registration(self, event_id: str, registration_id: str) -> dict[str, Any]:
        return schemas.Registration().dump(
            self.repository.cancel_registration(event_id, registration_id))

    # results

    @rpc
    def publish_results(self, event_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        rows = load(schemas.ResultsCreate, payload)["results"]
        return schemas.Results().dump(self.repository.publish_results(event_id, rows))

    @rpc
    def get_results(self, event_id: str, viewer: dict[str, Any]) -> dict[str, Any]:
        return schemas.Results().dump(self._visible_event(event_id, viewer))

    # read models of members_svc's data

    @event_handler("members", "membership_changed")
    def on_membership_changed(self, event: dict[str, Any]) -> None:
        occurred_at = datetime.fromisoformat(event["occurred_at"])
        self.repository.consume(
            event,
            lambda session: self.repository.record_membership(session, event["data"], occurred_at),
        )

    @event_handler("members", "person_registered")
    def on_person_registered(self, event: dict[str, Any]) -> None:
        self.repository.consume(
            event, lambda session: self.repository.record_person(session, event["data"]))

    def _visible_event(self, event_id: str, viewer: dict[str, Any]) -> dict[str, Any]:
        event = self.repository.get_event(event_id)
        domain.check_visible(event, viewer)
        return event

    def _event_filter(self, schema: type, filters: dict[str, Any]) -> dict[str, Any]:
        query = load(schema, filters)
        query["period_from"], query["period_to"] = domain.check_period(
            query["period_from"], query["period_to"])
        return query

    def _base_url(self) -> str:
        return public_base_url(self.config)
