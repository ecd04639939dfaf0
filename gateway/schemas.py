"""Schemas that belong to the HTTP surface itself (paging, health, problems)."""

from marshmallow import INCLUDE, Schema, fields, validate

from services.fields import ResponseSchema
from services.validation import StrictSchema

# Where the single sign-on callback sends the browser: the web app at /, instead of a JSON answer.
RETURN_TO_APP = "app"


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


class SignInProvider(ResponseSchema):
    name = fields.String(metadata={"description": "what a sign-in screen calls it (OIDC_DISPLAY_NAME)"})
    issuer = fields.String(metadata={"description": "the OpenID Provider's issuer URL"})
    login_url = fields.String(
        metadata={
            "description": "where a browser starts signing in; with ?return_to=app it comes back to the web app",
            "format": "uri-reference",
        }
    )


class SignInMethods(ResponseSchema):
    password = fields.Boolean(metadata={"description": "POST /api/v1/auth/login takes a login and password"})
    oidc = fields.List(fields.Nested(SignInProvider), metadata={"description": "single sign-on providers, if any"})


class OidcLoginQuery(StrictSchema):
    return_to = fields.String(
        load_default=None,
        validate=validate.OneOf([RETURN_TO_APP]),
        metadata={
            "description": "app: the callback answers 303 to the web app, /#/signed-in?… with the tokens in the "
            "fragment, or /#/sign-in?sso_error=… with the problem's title and sso_detail=… its detail"
        },
    )
