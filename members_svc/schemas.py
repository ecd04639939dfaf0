"""What members_svc accepts and returns; the gateway validates with the same schemas."""

from marshmallow import ValidationError, fields, validate, validates_schema

from members_svc.accounts import AccountRole
from members_svc.domain import (
    MembershipRole,
    MembershipStatus,
    OrganisationKind,
    PersonKind,
    ResearcherPosition,
    allowed_membership_actions,
)
from services.fields import ResponseSchema, Timestamp
from services.pagination import PageQuery
from services.validation import StrictSchema, free_text, no_national_id, one_of


class AllianceCreate(StrictSchema):
    name = fields.String(required=True, validate=free_text(200, min_length=1))
    region = fields.String(load_default=None, validate=free_text(100))
    description = fields.String(load_default=None, validate=free_text(2000))


class AllianceUpdate(StrictSchema):
    """A correction: only the fields given change; ``reason`` goes into the alliance's history."""

    name = fields.String(validate=free_text(200, min_length=1))
    region = fields.String(allow_none=True, validate=free_text(100))
    description = fields.String(allow_none=True, validate=free_text(2000))
    reason = fields.String(allow_none=True, validate=free_text(1000), metadata={"description": "why, for the history"})


class AllianceQuery(PageQuery):
    """A page of alliances; alliances have no filters."""


class FieldChange(ResponseSchema):
    field = fields.String()
    old = fields.Raw(allow_none=True, data_key="from")
    new = fields.Raw(allow_none=True, data_key="to")


class AllianceHistoryEntry(ResponseSchema):
    changes = fields.List(fields.Nested(FieldChange))
    at = Timestamp()
    by = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class Alliance(ResponseSchema):
    id = fields.String(attribute="_id")
    name = fields.String()
    region = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    lead_organisation_id = fields.String(
        allow_none=True,
        metadata={"description": "organisation of the active (or suspended) lead membership"},
    )
    history = fields.List(
        fields.Nested(AllianceHistoryEntry), dump_default=list, metadata={"description": "corrections, oldest first"}
    )
    created_at = Timestamp()
    updated_at = Timestamp(allow_none=True)


class EvaluatorProfile(StrictSchema):
    """How an accredited evaluation organisation numbers skill-level certificates."""

    type = fields.String(
        required=True,
        validate=validate.OneOf(["Y", "S"]),
        metadata={"description": "Y = employer, S = social evaluation organisation"},
    )
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{4}$"))
    province = fields.String(required=True, validate=validate.Regexp(r"^\d{2}$"))
    site = fields.String(
        required=True, validate=validate.Regexp(r"^\d{6}$"), metadata={"description": "assessment site serial"}
    )


class OrganisationCreate(StrictSchema):
    name = fields.String(required=True, validate=free_text(200, min_length=1))
    kind = fields.String(required=True, validate=one_of(OrganisationKind))
    region = fields.String(load_default=None, validate=free_text(100))
    district = fields.String(load_default=None, validate=free_text(100))
    code = fields.String(
        load_default=None,
        validate=[validate.Regexp(r"^[0-9A-Z]{4,18}$"), no_national_id],
        metadata={"description": "unified social credit or school code"},
    )
    accredited_evaluator = fields.Boolean(load_default=False, metadata={"description": "alliance_admin only"})
    evaluator = fields.Nested(EvaluatorProfile, load_default=None, allow_none=True)


class OrganisationUpdate(StrictSchema):
    name = fields.String(validate=free_text(200, min_length=1))
    region = fields.String(allow_none=True, validate=free_text(100))
    district = fields.String(allow_none=True, validate=free_text(100))
    code = fields.String(allow_none=True, validate=[validate.Regexp(r"^[0-9A-Z]{4,18}$"), no_national_id])
    accredited_evaluator = fields.Boolean()
    evaluator = fields.Nested(EvaluatorProfile, allow_none=True)


class OrganisationQuery(PageQuery):
    name = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "part of the name, any case"},
    )
    kind = fields.String(load_default=None, validate=one_of(OrganisationKind))
    region = fields.String(load_default=None, validate=validate.Length(min=1, max=100))


class Organisation(ResponseSchema):
    id = fields.String(attribute="_id")
    name = fields.String()
    kind = fields.String()
    region = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    code = fields.String(allow_none=True)
    accredited_evaluator = fields.Boolean()
    evaluator = fields.Dict(allow_none=True)
    created_at = Timestamp()


class PersonCreate(StrictSchema):
    name = fields.String(required=True, validate=free_text(100, min_length=1))
    kind = fields.String(required=True, validate=one_of(PersonKind))
    national_id = fields.String(
        load_default=None, load_only=True, metadata={"description": "GB 11643 ID number; write-only"}
    )
    student_number = fields.String(
        load_default=None,
        validate=free_text(40, min_length=1),
        metadata={"description": "the school's own number; an ID number, even after a 'G', is refused"},
    )
    position = fields.String(load_default=None, validate=one_of(ResearcherPosition))
    major = fields.String(
        load_default=None, allow_none=True, validate=free_text(60, min_length=1), metadata={"description": "专业"}
    )
    class_name = fields.String(
        load_default=None,
        allow_none=True,
        validate=free_text(60, min_length=1),
        metadata={"description": "班级, as the school names it (2024级数控1班)"},
    )


class PersonUpdate(StrictSchema):
    """A correction: only the fields given change; ``reason`` goes into the person's history."""

    name = fields.String(validate=free_text(100, min_length=1))
    kind = fields.String(validate=one_of(PersonKind))
    national_id = fields.String(
        allow_none=True,
        load_only=True,
        metadata={"description": "GB 11643 ID number re-entered; replaces the stored one; null removes it"},
    )
    student_number = fields.String(allow_none=True, validate=free_text(40, min_length=1))
    position = fields.String(allow_none=True, validate=one_of(ResearcherPosition))
    major = fields.String(allow_none=True, validate=free_text(60, min_length=1))
    class_name = fields.String(allow_none=True, validate=free_text(60, min_length=1))
    reason = fields.String(allow_none=True, validate=free_text(1000), metadata={"description": "why, for the history"})


class PeopleQuery(PageQuery):
    """A page of an organisation's people (the organisation is the context, not a filter), oldest first."""

    name = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "part of the name, compared after Unicode NFC, spacing and case are normalised"},
    )
    name_match = fields.String(
        load_default="contains",
        validate=validate.OneOf(["contains", "prefix"]),
        metadata={"description": "how ``name`` matches: anywhere in the name (default) or at its start"},
    )
    student_number = fields.String(validate=validate.Length(min=1, max=40), metadata={"description": "exactly"})
    major = fields.String(validate=validate.Length(min=1, max=60), metadata={"description": "exactly"})
    class_name = fields.String(validate=validate.Length(min=1, max=60), metadata={"description": "exactly"})
    kind = fields.String(validate=one_of(PersonKind))
    status = fields.String(
        load_default="active",
        validate=validate.OneOf(["active", "archived"]),
        metadata={"description": "active people (default) or archived ones"},
    )


class PeopleBatchCreate(StrictSchema):
    """A whole cohort at once: every person is registered, or none is."""

    people = fields.List(fields.Nested(PersonCreate), required=True, validate=validate.Length(min=1, max=5000))


class PeopleCheck(StrictSchema):
    """A cohort to check without registering anyone: each person is checked on their own."""

    people = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=5000))


class PeopleProblems(ResponseSchema):
    """What registering a cohort would refuse, by the person's index: field → messages."""

    problems = fields.Dict(keys=fields.String(), values=fields.Dict())


class PeopleImportCreate(StrictSchema):
    """A checked roster to register in the background: all or none, or row by row."""

    mode = fields.String(required=True, validate=validate.OneOf(["all_or_nothing", "row_level"]))
    people = fields.List(fields.Nested(PersonCreate), required=True, validate=validate.Length(min=1, max=5000))
    rows = fields.List(
        fields.Integer(validate=validate.Range(min=1)),
        load_default=None,
        metadata={"description": "each person's row in the spreadsheet, for the errors (default 1, 2, …)"},
    )

    @validates_schema
    def a_row_for_each_person(self, data: dict, **kwargs) -> None:
        if data.get("rows") is not None and len(data["rows"]) != len(data.get("people") or []):
            raise ValidationError({"rows": ["give one row number for each person"]})


class PeopleImportError(ResponseSchema):
    row = fields.Integer(allow_none=True, metadata={"description": "null: the whole import"})
    field = fields.String(allow_none=True)
    messages = fields.List(fields.String())


class PeopleImport(ResponseSchema):
    """A roster import and its progress."""

    id = fields.String(attribute="_id")
    organisation_id = fields.String()
    mode = fields.String(metadata={"enum": ["all_or_nothing", "row_level"]})
    status = fields.String(metadata={"enum": ["queued", "running", "done", "failed"]})
    total = fields.Integer()
    registered = fields.Integer()
    failed = fields.Integer()
    errors = fields.List(fields.Nested(PeopleImportError))
    created_at = Timestamp()
    finished_at = Timestamp(allow_none=True)


class PeopleRegistered(ResponseSchema):
    """The people of a cohort, as registered."""

    items = fields.List(fields.Nested(lambda: Person()), required=True)


class PortfolioEntry(ResponseSchema):
    number = fields.String()
    kind = fields.String()
    title = fields.String()
    issuer_id = fields.String()
    occupation = fields.String(allow_none=True)
    level = fields.Integer(allow_none=True)
    issued_at = Timestamp()
    valid_until = Timestamp(allow_none=True)
    status = fields.String()
    status_reason = fields.String(allow_none=True)


class PersonHistoryEntry(ResponseSchema):
    changed_fields = fields.List(fields.String(), metadata={"description": "names only, never values"})
    at = Timestamp()
    by = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class Person(ResponseSchema):
    id = fields.String(attribute="_id")
    organisation_id = fields.String()
    name = fields.String()
    kind = fields.String()
    student_number = fields.String(allow_none=True)
    position = fields.String(allow_none=True)
    major = fields.String(allow_none=True, metadata={"description": "专业"})
    class_name = fields.String(allow_none=True, metadata={"description": "班级"})
    national_id_masked = fields.String(allow_none=True)
    certificates = fields.List(fields.Nested(PortfolioEntry), dump_default=list)
    archived = fields.Boolean(dump_default=False, metadata={"description": "hidden from lists, kept for history"})
    history = fields.List(
        fields.Nested(PersonHistoryEntry), dump_default=list, metadata={"description": "corrections, oldest first"}
    )
    created_at = Timestamp()
    updated_at = Timestamp(allow_none=True)


class MembershipCreate(StrictSchema):
    organisation_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    role = fields.String(required=True, validate=one_of(MembershipRole))


class MembershipAction(StrictSchema):
    reason = fields.String(load_default=None, allow_none=True, validate=free_text(1000))


class MembershipRoleChange(StrictSchema):
    role = fields.String(required=True, validate=one_of(MembershipRole))
    reason = fields.String(load_default=None, allow_none=True, validate=free_text(1000))


class MembershipQuery(PageQuery):
    status = fields.String(load_default=None, validate=one_of(MembershipStatus))
    role = fields.String(load_default=None, validate=one_of(MembershipRole))
    organisation_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))


class HistoryEntry(ResponseSchema):
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    at = Timestamp()
    by = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    from_role = fields.String(allow_none=True, metadata={"description": "on a change of role"})
    to_role = fields.String(allow_none=True, metadata={"description": "on a change of role"})


class Membership(ResponseSchema):
    id = fields.String(attribute="_id")
    alliance_id = fields.String()
    organisation_id = fields.String()
    role = fields.String()
    status = fields.String()
    allowed_actions = fields.Method(
        "_allowed_actions",
        metadata={"description": "actions its status accepts", "type": "array", "items": {"type": "string"}},
    )
    history = fields.List(fields.Nested(HistoryEntry), metadata={"description": "oldest first"})
    created_at = Timestamp()
    updated_at = Timestamp()

    def _allowed_actions(self, membership: dict) -> list[str]:
        return allowed_membership_actions(membership["status"])


# accounts


class RoleGrant(StrictSchema):
    role = fields.String(required=True, validate=one_of(AccountRole))
    organisation_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the organisation the role is for; none for alliance_admin"},
    )


class AccountCreate(StrictSchema):
    login = fields.String(
        required=True,
        validate=validate.Regexp(r"^[^\s]{3,120}$", error="3 to 120 characters without spaces"),
        metadata={"description": "sign-in name or e-mail address, unique (compared case-insensitively)"},
    )
    person_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))
    roles = fields.List(fields.Nested(RoleGrant), required=True, validate=validate.Length(min=1, max=50))
    password = fields.String(
        load_default=None,
        load_only=True,
        validate=validate.Length(max=256),
        metadata={"description": "optional: without one, the account signs in after a reset link or by SSO"},
    )


class AccountRolesChange(StrictSchema):
    roles = fields.List(fields.Nested(RoleGrant), required=True, validate=validate.Length(max=50))


class AccountStatusChange(StrictSchema):
    disabled = fields.Boolean(required=True, metadata={"description": "a disabled account cannot sign in"})


class AccountQuery(PageQuery):
    organisation_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))


class OidcLinkCreate(StrictSchema):
    issuer = fields.String(required=True, validate=validate.Length(min=1, max=500))
    subject = fields.String(
        required=True, validate=validate.Length(min=1, max=255), metadata={"description": "the provider's `sub`"}
    )


class AccountHistoryEntry(ResponseSchema):
    at = Timestamp()
    by = fields.String(allow_none=True, metadata={"description": "the acting account or operator"})
    change = fields.String()
    roles = fields.List(fields.Dict())
    disabled = fields.Boolean()


class Account(ResponseSchema):
    id = fields.String(attribute="_id")
    login = fields.String()
    person_id = fields.String(allow_none=True)
    roles = fields.List(fields.Nested(RoleGrant))
    disabled = fields.Boolean()
    locked_until = Timestamp(allow_none=True)
    has_password = fields.Function(lambda account: bool(account.get("password_hash")))
    created_at = Timestamp()
    updated_at = Timestamp()
    history = fields.List(fields.Nested(AccountHistoryEntry))


class SignIn(StrictSchema):
    login = fields.String(required=True, validate=validate.Length(min=1, max=120))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class RefreshRequest(StrictSchema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PasswordChange(StrictSchema):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class PasswordReset(StrictSchema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class ResetLink(ResponseSchema):
    token = fields.String(metadata={"description": "shown once; the link's one-time secret"})
    url = fields.String()
    expires_at = Timestamp()


class Tokens(ResponseSchema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer(metadata={"description": "seconds the access token lives"})
    refresh_token = fields.String(metadata={"description": "one use: each refresh answers a new one"})
    refresh_expires_at = Timestamp()
    account = fields.Nested(Account)


class Me(ResponseSchema):
    account = fields.Nested(Account)
    person = fields.Nested(Person, allow_none=True)
    roles = fields.List(fields.Nested(RoleGrant))
