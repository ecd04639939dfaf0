"""Schemas that belong to the HTTP surface itself (paging, health, problems)."""

from marshmallow import RAISE, Schema, fields, validate

from services.pagination import DEFAULT_LIMIT, MAX_LIMIT


class PageQuery(Schema):
    class Meta:
        unknown = RAISE

    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(load_default=None)


class Problem(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(metadata={"description": "field name → messages"})


class Health(Schema):
    status = fields.String()


class Readiness(Schema):
    status = fields.String()
    services = fields.Dict()
