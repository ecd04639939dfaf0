"""What certificates_svc accepts and returns; the gateway validates with the same schemas."""

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from certificates_svc.numbers import CERTIFICATE_KINDS


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE
        ordered = True


class Evidence(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    url = fields.Url(load_default=None)
    narrative = fields.String(load_default=None, validate=validate.Length(max=2000))


class CertificateCreate(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(CERTIFICATE_KINDS))
    holder_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    issuer_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default=None, validate=validate.Length(max=2000))
    occupation = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    work_type = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    level = fields.Integer(load_default=None, validate=validate.Range(1, 5),
                           metadata={"description": "5 = 五级/初级工 … 1 = 一级/高级技师"})
    valid_until = fields.AwareDateTime(load_default=None)
    evidence = fields.List(fields.Nested(Evidence), load_default=list,
                           validate=validate.Length(max=20))

    @validates_schema
    def skill_level_needs_level_and_occupation(self, data, **kwargs) -> None:
        if data.get("kind") == "skill_level":
            errors = {}
            if data.get("level") is None:
                errors["level"] = ["required for a skill_level certificate"]
            if not data.get("occupation"):
                errors["occupation"] = ["required for a skill_level certificate"]
            if errors:
                raise ValidationError(errors)


class Certificate(Schema):
    number = fields.String()
    kind = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    holder_id = fields.String()
    holder_organisation_id = fields.String(allow_none=True)
    issuer_id = fields.String()
    issuer_name = fields.String()
    occupation = fields.String(allow_none=True)
    work_type = fields.String(allow_none=True)
    level = fields.Integer(allow_none=True)
    evidence = fields.List(fields.Dict())
    issued_at = fields.DateTime()
    valid_until = fields.DateTime(allow_none=True)
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    credential_id = fields.String()
