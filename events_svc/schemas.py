"""What events_svc accepts and returns; the gateway validates with the same schemas."""

from marshmallow import RAISE, Schema, fields, validate

from events_svc.domain import EventKind, EventStatus


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE
        ordered = True


class EventQuery(StrictSchema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(load_default=None)
    alliance_id = fields.String(load_default=None)
    kind = fields.String(load_default=None, validate=validate.OneOf([k.value for k in EventKind]))
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in EventStatus]))


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
    team_size_max = fields.Integer()
    skill = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()
