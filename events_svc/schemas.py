"""What events_svc accepts and returns; the gateway validates with the same schemas."""

from marshmallow import ValidationError, fields, validate

from events_svc import domain
from events_svc.domain import DEFAULT_TIME_ZONE, EventKind, EventStatus, RegistrationStatus
from events_svc.results import Award
from services.fields import ResponseSchema, Timestamp
from services.pagination import MAX_LIMIT, PageQuery
from services.validation import StrictSchema, free_text, one_of


def _time_zone(name: str) -> None:
    if not domain.is_time_zone(name):
        raise ValidationError("must be an IANA time zone, e.g. Asia/Shanghai")


TIME_ZONE_FIELD = {
    "validate": _time_zone,
    "metadata": {"description": f"IANA time zone the event takes place in; default {DEFAULT_TIME_ZONE}"},
}


def _local(field: str) -> fields.Method:
    """A stored time as the wall-clock time of the event's zone, for people to read."""
    return fields.Method(
        f"_{field}_local",
        allow_none=field == "registration_closes_at",
        metadata={
            "type": "string",
            "format": "date-time",
            "description": f"{field} in the event's time zone, with its offset",
        },
    )


class EventFilter(StrictSchema):
    alliance_id = fields.String(load_default=None)
    organiser_id = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the organising organisation"},
    )
    kind = fields.String(load_default=None, validate=one_of(EventKind))
    status = fields.String(load_default=None, validate=one_of(EventStatus))
    period_from = Timestamp(
        data_key="from",
        load_default=None,
        metadata={"description": "only events still running at or after this time (RFC 3339)"},
    )
    period_to = Timestamp(
        data_key="to", load_default=None, metadata={"description": "only events starting before this time (RFC 3339)"}
    )


# PageQuery first among the bases keeps the filters first in the field order, as the OpenAPI
# document has always listed them.
class EventQuery(PageQuery, EventFilter):
    """A page of events in the order they start: the filters, ``limit`` and ``cursor``."""


class CalendarQuery(EventFilter):
    """The events of a calendar feed: one page, in the order they start, so no cursor."""

    limit = fields.Integer(
        load_default=MAX_LIMIT,
        validate=validate.Range(1, MAX_LIMIT),
        metadata={"description": "at most this many events, the earliest start first"},
    )


# Bounds no real event reaches; they keep every number storable and comparable.
MAX_CAPACITY = 100_000
MAX_TEAM_SIZE = 100


class EventCreate(StrictSchema):
    alliance_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    organiser_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    kind = fields.String(required=True, validate=one_of(EventKind))
    title = fields.String(required=True, validate=free_text(200, min_length=1))
    description = fields.String(load_default=None, allow_none=True, validate=free_text(5000))
    starts_at = Timestamp(required=True, metadata={"description": "RFC 3339 with offset"})
    ends_at = Timestamp(required=True, metadata={"description": "RFC 3339 with offset"})
    location = fields.String(load_default=None, allow_none=True, validate=free_text(300))
    capacity = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, MAX_CAPACITY),
        metadata={"description": "registrations (a team is one); none: no limit"},
    )
    registration_closes_at = Timestamp(
        load_default=None, allow_none=True, metadata={"description": "RFC 3339; defaults to the start of the event"}
    )
    team_size_min = fields.Integer(strict=True, load_default=1, validate=validate.Range(1, MAX_TEAM_SIZE))
    team_size_max = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, MAX_TEAM_SIZE),
        metadata={"description": "none: no upper limit"},
    )
    skill = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    time_zone = fields.String(load_default=DEFAULT_TIME_ZONE, **TIME_ZONE_FIELD)


class EventUpdate(StrictSchema):
    """A correction: only the fields given change, checked as a new event is; ``reason`` goes
    into the event's history and is required once the event has been published."""

    title = fields.String(validate=free_text(200, min_length=1))
    description = fields.String(allow_none=True, validate=free_text(5000))
    starts_at = Timestamp(metadata={"description": "RFC 3339 with offset"})
    ends_at = Timestamp(metadata={"description": "RFC 3339 with offset"})
    location = fields.String(allow_none=True, validate=free_text(300))
    capacity = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(1, MAX_CAPACITY),
        metadata={"description": "raising it confirms waitlisted registrations; not below those confirmed"},
    )
    registration_closes_at = Timestamp(allow_none=True, metadata={"description": "RFC 3339 with offset"})
    team_size_min = fields.Integer(strict=True, validate=validate.Range(1, MAX_TEAM_SIZE))
    team_size_max = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, MAX_TEAM_SIZE))
    skill = fields.String(allow_none=True, validate=validate.Length(max=200))
    time_zone = fields.String(**TIME_ZONE_FIELD)
    reason = fields.String(allow_none=True, validate=free_text(1000), metadata={"description": "why, for the history"})


class EventAction(StrictSchema):
    """A lifecycle action (publish, close, complete, cancel): ``reason`` goes into the event's history
    and the message the action sends."""

    reason = fields.String(
        load_default=None, allow_none=True, validate=free_text(1000), metadata={"description": "why, for the history"}
    )


class EventHistoryEntry(ResponseSchema):
    changes = fields.Method("_changes", metadata={"type": "array", "items": {"type": "object"}})
    at = Timestamp()
    by = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)

    def _changes(self, entry: dict) -> list[dict]:
        return [{"field": c["field"], "from": c["from"], "to": c["to"]} for c in entry["changes"]]


class Event(ResponseSchema):
    id = fields.String(attribute="_id")
    alliance_id = fields.String()
    organiser_id = fields.String()
    kind = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    starts_at = Timestamp()
    ends_at = Timestamp()
    time_zone = fields.String(dump_default=DEFAULT_TIME_ZONE)
    starts_at_local = _local("starts_at")
    ends_at_local = _local("ends_at")
    location = fields.String(allow_none=True)
    capacity = fields.Integer(allow_none=True)
    confirmed_count = fields.Integer(dump_default=0, metadata={"description": "registrations holding a place"})
    waitlisted_count = fields.Integer(dump_default=0)
    places_left = fields.Method(
        "_places_left", allow_none=True, metadata={"type": "integer", "description": "null: no limit"}
    )
    registration_closes_at = Timestamp(allow_none=True)
    registration_closes_at_local = _local("registration_closes_at")
    team_size_min = fields.Integer()
    team_size_max = fields.Integer(allow_none=True)
    skill = fields.String(allow_none=True)
    status = fields.String()
    was_published = fields.Boolean(
        dump_default=False, metadata={"description": "once published: the public still sees it if cancelled"}
    )
    sequence = fields.Integer(dump_default=0, metadata={"description": "its calendar revision (iCalendar SEQUENCE)"})
    results_revision = fields.Integer(dump_default=0)
    history = fields.List(
        fields.Nested(EventHistoryEntry),
        dump_default=list,
        metadata={"description": "corrections and status changes, oldest first"},
    )
    created_at = Timestamp()
    updated_at = Timestamp()

    def _starts_at_local(self, event: dict) -> str | None:
        return domain.local_time(event.get("starts_at"), event)

    def _ends_at_local(self, event: dict) -> str | None:
        return domain.local_time(event.get("ends_at"), event)

    def _registration_closes_at_local(self, event: dict) -> str | None:
        return domain.local_time(event.get("registration_closes_at"), event)

    def _places_left(self, event: dict) -> int | None:
        return domain.places_left(event, event.get("confirmed_count", 0))


class RegistrationCreate(StrictSchema):
    organisation_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    person_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)), required=True, validate=validate.Length(min=1, max=200)
    )
    team_name = fields.String(load_default=None, allow_none=True, validate=free_text(100))


class RegistrationQuery(PageQuery):
    """A page of an event's registrations: the filters, ``limit`` and ``cursor``."""

    organisation_id = fields.String(load_default=None)
    status = fields.String(load_default=None, validate=one_of(RegistrationStatus))


class Registrant(ResponseSchema):
    id = fields.String()
    name = fields.String(allow_none=True, metadata={"description": "as members_svc last announced it"})


class Registration(ResponseSchema):
    id = fields.String(attribute="_id")
    event_id = fields.String()
    organisation_id = fields.String()
    organisation_name = fields.String(allow_none=True, metadata={"description": "as members_svc last announced it"})
    person_ids = fields.List(fields.String())
    people = fields.List(fields.Nested(Registrant), dump_default=list, metadata={"description": "in person_ids order"})
    team_name = fields.String(allow_none=True)
    status = fields.String()
    waitlist_position = fields.Integer(
        allow_none=True, metadata={"description": "1 is next in line; only while waitlisted"}
    )
    cancel_reason = fields.String(allow_none=True, metadata={"description": "why it was cancelled, if said"})
    created_at = Timestamp()
    updated_at = Timestamp()


class ResultRowCreate(StrictSchema):
    registration_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    score = fields.Float(load_default=None, allow_none=True, allow_nan=False)
    rank = fields.Integer(strict=True, load_default=None, allow_none=True, validate=validate.Range(1, MAX_CAPACITY))
    award = fields.String(load_default=Award.NONE.value, validate=one_of(Award))


class ResultsCreate(StrictSchema):
    results = fields.List(fields.Nested(ResultRowCreate), required=True, validate=validate.Length(min=1, max=5000))


class ResultRow(ResponseSchema):
    registration_id = fields.String()
    organisation_id = fields.String()
    organisation_name = fields.String(allow_none=True, metadata={"description": "as members_svc last announced it"})
    person_ids = fields.List(
        fields.String(), allow_none=True, metadata={"description": "null for a reader who is not the organiser"}
    )
    names = fields.List(
        fields.String(allow_none=True),
        dump_default=list,
        metadata={"description": "the team's names; masked (张*丰) for a reader who is not the organiser"},
    )
    team_name = fields.String(allow_none=True)
    score = fields.Float(allow_none=True)
    rank = fields.Integer(allow_none=True)
    award = fields.String()


class Results(ResponseSchema):
    """An event's results; the public reads them once published, without ids and with masked names."""

    event_id = fields.String(attribute="_id")
    revision = fields.Integer(attribute="results_revision", dump_default=0)
    published_at = Timestamp(attribute="results_published_at", allow_none=True)
    published_by = fields.String(
        attribute="results_published_by", allow_none=True, metadata={"description": "who published this revision"}
    )
    results = fields.List(fields.Nested(ResultRow), dump_default=list)
