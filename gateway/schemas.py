"""Schemas that belong to the HTTP surface itself (paging, health, problems)."""

from marshmallow import INCLUDE, Schema, fields


class Problem(Schema):
    """RFC 9457 problem details; extension members may be added."""

    class Meta:
        unknown = INCLUDE

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(metadata={"description": "field name → messages"})
    current_state = fields.String(metadata={"description": "on 409 for a transition: the state now"})
    allowed_actions = fields.List(fields.String(), metadata={"description": "on 409: what this state allows"})
    reason = fields.String(metadata={"description": "on 409: why the state refuses this"})
    membership_id = fields.String(metadata={"description": "on 409 for a duplicate membership"})
    registration_id = fields.String(metadata={"description": "on 409 for a duplicate registration"})


class Health(Schema):
    status = fields.String()


class Readiness(Schema):
    status = fields.String()
    services = fields.Dict()
