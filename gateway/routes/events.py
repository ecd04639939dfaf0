"""Routes served by events_svc.

Who sees which event is events_svc's rule: its reads take the caller as a
``viewer`` and answer 404 for an event the viewer may not see. Who may act on
an event (its organiser's org_admin, the alliance admin) is checked here.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from events_svc import schemas
from gateway.api import AUTHENTICATED, PUBLIC, Call, route
from gateway.auth import REGISTER

CALENDAR = "text/calendar"


def _viewer(call: Call) -> dict[str, Any]:
    principal = call.principal
    if principal is None:
        return {"admin": False, "org": None}
    return {"admin": principal.is_admin, "org": principal.org}


def _calendar_response(ics: str) -> Response:
    response = Response(ics, status=200, content_type=f"{CALENDAR}; charset=utf-8")
    response.headers["Content-Disposition"] = 'inline; filename="events.ics"'
    return response


class EventsRoutes:
    def _visible_event(self, call: Call, event_id: str) -> dict[str, Any]:
        return self.events_rpc.get_event(event_id, _viewer(call))

    def _organised_event(self, call: Call, event_id: str) -> dict[str, Any]:
        """The event, if the caller is the alliance admin or its organiser's org_admin."""
        event = self._visible_event(call, event_id)
        call.caller.require_org(event["organiser_id"])
        return event

    # events

    @route(
        "POST",
        "/api/v1/events",
        summary="Create an event (starts as a draft)",
        access=AUTHENTICATED,
        tags=("events",),
        body=schemas.EventCreate,
        response=schemas.Event,
        status=201,
        errors=(400, 403, 415),
    )
    def create_event(self, call: Call) -> dict[str, Any]:
        call.caller.require_org(call.body["organiser_id"])
        return self.events_rpc.create_event(call.body)

    @route(
        "GET",
        "/api/v1/events",
        summary="List events (the public sees published ones)",
        access=PUBLIC,
        tags=("events",),
        query=schemas.EventQuery,
        response=schemas.Event,
        many=True,
        errors=(400,),
    )
    def list_events(self, call: Call) -> dict[str, Any]:
        return self.events_rpc.list_events(call.request.args.to_dict(), _viewer(call))

    @route(
        "GET",
        "/api/v1/events.ics",
        summary="The listed events as an iCalendar feed",
        access=PUBLIC,
        tags=("events",),
        query=schemas.CalendarQuery,
        errors=(400,),
        content_type=CALENDAR,
    )
    def events_calendar(self, call: Call) -> Response:
        return _calendar_response(self.events_rpc.events_calendar(call.request.args.to_dict(), _viewer(call)))

    @route(
        "GET",
        "/api/v1/events/<string:event_id>",
        summary="An event",
        access=PUBLIC,
        tags=("events",),
        response=schemas.Event,
        errors=(404,),
    )
    def get_event(self, call: Call, event_id: str) -> dict[str, Any]:
        return self._visible_event(call, event_id)

    @route(
        "GET",
        "/api/v1/events/<string:event_id>.ics",
        summary="An event as iCalendar",
        access=PUBLIC,
        tags=("events",),
        errors=(404,),
        content_type=CALENDAR,
    )
    def event_calendar(self, call: Call, event_id: str) -> Response:
        return _calendar_response(self.events_rpc.event_calendar(event_id, _viewer(call)))

    @route(
        "PATCH",
        "/api/v1/events/<string:event_id>",
        summary="Correct an event (times, place, capacity, sizes...): recorded in its history; "
        "once published announced as event_updated, with a reason",
        access=AUTHENTICATED,
        tags=("events",),
        body=schemas.EventUpdate,
        response=schemas.Event,
        errors=(400, 403, 404, 409, 415),
    )
    def correct_event(self, call: Call, event_id: str) -> dict[str, Any]:
        self._organised_event(call, event_id)
        return self.events_rpc.correct_event(event_id, call.body, call.caller.subject)

    @route(
        "POST",
        "/api/v1/events/<string:event_id>/<string:action>",
        summary="Publish, close, complete or cancel an event, with an optional reason (kept in its history)",
        access=AUTHENTICATED,
        tags=("events",),
        body=schemas.EventAction,
        response=schemas.Event,
        errors=(400, 403, 404, 409, 415),
    )
    def change_event_status(self, call: Call, event_id: str, action: str) -> dict[str, Any]:
        self._organised_event(call, event_id)
        return self.events_rpc.change_event_status(event_id, action, call.body, call.caller.subject)

    # registrations

    @route(
        "POST",
        "/api/v1/events/<string:event_id>/registrations",
        summary="Register a team or person (confirmed, or waitlisted past capacity)",
        access=AUTHENTICATED,
        tags=("registrations",),
        body=schemas.RegistrationCreate,
        response=schemas.Registration,
        status=201,
        errors=(400, 403, 404, 409, 415, 422),
    )
    def register(self, call: Call, event_id: str) -> dict[str, Any]:
        call.caller.require(REGISTER, call.body["organisation_id"])
        return self.events_rpc.register(event_id, call.body, _viewer(call))

    @route(
        "GET",
        "/api/v1/events/<string:event_id>/registrations",
        summary="An event's registrations (an org_admin sees its own organisation's)",
        access=AUTHENTICATED,
        tags=("registrations",),
        query=schemas.RegistrationQuery,
        response=schemas.Registration,
        many=True,
        errors=(400, 403, 404),
    )
    def list_registrations(self, call: Call, event_id: str) -> dict[str, Any]:
        event = self._visible_event(call, event_id)
        filters = call.request.args.to_dict()
        if not call.caller.can_act_for(event["organiser_id"]):
            call.caller.require(REGISTER, filters.setdefault("organisation_id", call.caller.org))
        return self.events_rpc.list_registrations(event_id, filters, _viewer(call))

    @route(
        "GET",
        "/api/v1/events/<string:event_id>/registrations/<string:registration_id>",
        summary="A registration, with its people's names (the organiser, the registrant's org_admin)",
        access=AUTHENTICATED,
        tags=("registrations",),
        response=schemas.Registration,
        errors=(403, 404),
    )
    def get_registration(self, call: Call, event_id: str, registration_id: str) -> dict[str, Any]:
        event = self._visible_event(call, event_id)
        registration = self.events_rpc.get_registration(event_id, registration_id)
        if not call.caller.can_act_for(event["organiser_id"]):
            call.caller.require(REGISTER, registration["organisation_id"])
        return registration

    @route(
        "DELETE",
        "/api/v1/events/<string:event_id>/registrations/<string:registration_id>",
        summary="Cancel a registration (the first waitlisted takes a freed place)",
        access=AUTHENTICATED,
        tags=("registrations",),
        response=schemas.Registration,
        errors=(403, 404, 409),
    )
    def cancel_registration(self, call: Call, event_id: str, registration_id: str) -> dict[str, Any]:
        registration = self.events_rpc.get_registration(event_id, registration_id)
        call.caller.require(REGISTER, registration["organisation_id"])
        return self.events_rpc.cancel_registration(event_id, registration_id)

    # results

    @route(
        "POST",
        "/api/v1/events/<string:event_id>/results",
        summary="Publish (or correct) the results of a closed or completed event",
        access=AUTHENTICATED,
        tags=("results",),
        body=schemas.ResultsCreate,
        response=schemas.Results,
        status=201,
        errors=(400, 403, 404, 409, 415),
    )
    def publish_results(self, call: Call, event_id: str) -> dict[str, Any]:
        self._organised_event(call, event_id)
        return self.events_rpc.publish_results(event_id, call.body, call.caller.subject)

    @route(
        "GET",
        "/api/v1/events/<string:event_id>/results",
        summary="An event's results (anyone, of a public event: masked names, no person ids; "
        "the organiser: ids and names)",
        access=PUBLIC,
        tags=("results",),
        response=schemas.Results,
        errors=(404,),
    )
    def get_results(self, call: Call, event_id: str) -> dict[str, Any]:
        event = self._visible_event(call, event_id)
        organiser = call.principal is not None and call.principal.can_act_for(event["organiser_id"])
        return self.events_rpc.get_results(event_id, _viewer(call), organiser)
