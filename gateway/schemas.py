"""Schemas that belong to the HTTP surface itself (paging, health, problems)."""

from marshmallow import INCLUDE, Schema, fields

from services.fields import ResponseSchema


class Problem(Schema):
    """RFC 9457 problem details; extension members may be added.

    ``type`` is ``about:blank`` and ``title`` the status's reason phrase; ``errors`` maps a
    top-level field's name, or the JSON Pointer of a nested value, to a list of messages.
    """

    class Meta:
        unknown = INCLUDE

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "a field's name, or a nested value's JSON Pointer (`/people/3/name`) → messages"},
    )
    current_state = fields.String(metadata={"description": "on 409 for a transition: the state now"})
    allowed_actions = fields.List(fields.String(), metadata={"description": "on 409: what this state allows"})
    reason = fields.String(metadata={"description": "on 409: why the state refuses this"})
    membership_id = fields.String(metadata={"description": "on 409 for a duplicate membership"})
    registration_id = fields.String(metadata={"description": "on 409 for a duplicate registration"})
    missing_rules = fields.List(
        fields.String(), metadata={"description": "on 403 for an issuance: the rules, any one of which would allow it"}
    )


class Health(ResponseSchema):
    status = fields.String()


class Readiness(ResponseSchema):
    status = fields.String()
    services = fields.Dict()
