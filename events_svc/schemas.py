"""What events_svc accepts and returns; the gateway validates with the same schemas."""

from marshmallow import Schema, fields, validate

from events_svc.domain import EventKind, EventStatus, RegistrationStatus
from events_svc.results import Award
from services.pagination import MAX_LIMIT, PageQuery
from services.validation import StrictSchema, free_text, one_of


class EventFilter(StrictSchema):
    alliance_id = fields.String(load_default=None)
    kind = fields.String(load_default=None, validate=one_of(EventKind))
    status = fields.String(load_default=None, validate=one_of(EventStatus))
    period_from = fields.DateTime(
        data_key="from",
        load_default=None,
        metadata={"description": "only events still running at or after this time (RFC 3339)"},
    )
    period_to = fields.DateTime(
        data_key="to", load_default=None, metadata={"description": "only events starting before this time (RFC 3339)"}
    )


# PageQuery first among the bases keeps the filters first in the field order, as the OpenAPI
# document has always listed them.
class EventQuery(PageQuery, EventFilter):
    """A page of events: the filters, ``limit`` and ``cursor``."""


class CalendarQuery(EventFilter):
    """The events of a calendar feed: one page, the oldest first, so no cursor."""

    limit = fields.Integer(
        load_default=MAX_LIMIT,
        validate=validate.Range(1, MAX_LIMIT),
        metadata={"description": "at most this many events, oldest first"},
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
    starts_at = fields.DateTime(required=True, metadata={"description": "RFC 3339 with offset"})
    ends_at = fields.DateTime(required=True, metadata={"description": "RFC 3339 with offset"})
    location = fields.String(load_default=None, allow_none=True, validate=free_text(300))
    capacity = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, MAX_CAPACITY),
        metadata={"description": "registrations (a team is one); none: no limit"},
    )
    registration_closes_at = fields.DateTime(
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


class Event(Schema):
    id = fields.String(attribute="_id")
    alliance_id = fields.String()
    organiser_id = fields.String()
    kind = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    location = fields.String(allow_none=True)
    capacity = fields.Integer(allow_none=True)
    registration_closes_at = fields.DateTime(allow_none=True)
    team_size_min = fields.Integer()
    team_size_max = fields.Integer(allow_none=True)
    skill = fields.String(allow_none=True)
    status = fields.String()
    results_revision = fields.Integer(dump_default=0)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


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


class Registration(Schema):
    id = fields.String(attribute="_id")
    event_id = fields.String()
    organisation_id = fields.String()
    person_ids = fields.List(fields.String())
    team_name = fields.String(allow_none=True)
    status = fields.String()
    waitlist_position = fields.Integer(
        allow_none=True, metadata={"description": "1 is next in line; only while waitlisted"}
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ResultRowCreate(StrictSchema):
    registration_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    score = fields.Float(load_default=None, allow_none=True, allow_nan=False)
    rank = fields.Integer(strict=True, load_default=None, allow_none=True, validate=validate.Range(1, MAX_CAPACITY))
    award = fields.String(load_default=Award.NONE.value, validate=one_of(Award))


class ResultsCreate(StrictSchema):
    results = fields.List(fields.Nested(ResultRowCreate), required=True, validate=validate.Length(min=1, max=5000))


class ResultRow(Schema):
    registration_id = fields.String()
    organisation_id = fields.String()
    person_ids = fields.List(fields.String())
    team_name = fields.String(allow_none=True)
    score = fields.Float(allow_none=True)
    rank = fields.Integer(allow_none=True)
    award = fields.String()


class Results(Schema):
    event_id = fields.String(attribute="_id")
    revision = fields.Integer(attribute="results_revision", dump_default=0)
    published_at = fields.DateTime(attribute="results_published_at", allow_none=True)
    published_by = fields.String(
        attribute="results_published_by", allow_none=True, metadata={"description": "who published this revision"}
    )
    results = fields.List(fields.Nested(ResultRow), dump_default=list)
