"""What members_svc accepts and returns; the gateway validates with the same schemas."""

from marshmallow import RAISE, Schema, fields, validate

from members_svc.domain import OrganisationKind, PersonKind, ResearcherPosition


def _choices(enum) -> validate.OneOf:
    return validate.OneOf([member.value for member in enum])


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE
        ordered = True


class EvaluatorProfile(StrictSchema):
    """How an accredited evaluation organisation numbers skill-level certificates."""

    type = fields.String(required=True, validate=validate.OneOf(["Y", "S"]),
                         metadata={"description": "Y = employer, S = social evaluation organisation"})
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{4}$"))
    province = fields.String(required=True, validate=validate.Regexp(r"^\d{2}$"))
    site = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"),
                         metadata={"description": "assessment site serial"})


class OrganisationCreate(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=_choices(OrganisationKind))
    region = fields.String(load_default=None, validate=validate.Length(max=100))
    district = fields.String(load_default=None, validate=validate.Length(max=100))
    code = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9A-Z]{4,18}$"),
                         metadata={"description": "unified social credit or school code"})
    accredited_evaluator = fields.Boolean(load_default=False,
                                          metadata={"description": "alliance_admin only"})
    evaluator = fields.Nested(EvaluatorProfile, load_default=None, allow_none=True)


class OrganisationUpdate(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    region = fields.String(allow_none=True, validate=validate.Length(max=100))
    district = fields.String(allow_none=True, validate=validate.Length(max=100))
    code = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9A-Z]{4,18}$"))
    accredited_evaluator = fields.Boolean()
    evaluator = fields.Nested(EvaluatorProfile, allow_none=True)


class Organisation(Schema):
    id = fields.String(attribute="_id")
    name = fields.String()
    kind = fields.String()
    region = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    code = fields.String(allow_none=True)
    accredited_evaluator = fields.Boolean()
    evaluator = fields.Dict(allow_none=True)
    created_at = fields.DateTime()


class PersonCreate(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=_choices(PersonKind))
    national_id = fields.String(load_default=None, load_only=True,
                                metadata={"description": "GB 11643 ID number; write-only"})
    student_number = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    position = fields.String(load_default=None, validate=_choices(ResearcherPosition))


class PortfolioEntry(Schema):
    number = fields.String()
    kind = fields.String()
    title = fields.String()
    issuer_id = fields.String()
    occupation = fields.String(allow_none=True)
    level = fields.Integer(allow_none=True)
    issued_at = fields.String()
    valid_until = fields.String(allow_none=True)
    status = fields.String()
    status_reason = fields.String(allow_none=True)


class Person(Schema):
    id = fields.String(attribute="_id")
    organisation_id = fields.String()
    name = fields.String()
    kind = fields.String()
    student_number = fields.String(allow_none=True)
    position = fields.String(allow_none=True)
    national_id_masked = fields.String(allow_none=True)
    certificates = fields.List(fields.Nested(PortfolioEntry), dump_default=list)
    created_at = fields.DateTime()
