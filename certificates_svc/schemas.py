"""What certificates_svc accepts and returns; the gateway validates with the same schemas."""

from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_dump, validate, validates_schema

from certificates_svc.access import DEFAULT_SHARE_DAYS, MAX_SHARE_DAYS, ShareLinkState
from certificates_svc.assessments import JobKind, JobStatus
from certificates_svc.lifecycle import ACTIONS, CertificateStatus
from certificates_svc.numbers import CERTIFICATE_KINDS, level_name
from services.pagination import PageQuery
from services.validation import StrictSchema, free_text

MAX_JOB_ITEMS = 20_000


class Evidence(StrictSchema):
    name = fields.String(required=True, validate=free_text(200, min_length=1))
    url = fields.Url(load_default=None)
    narrative = fields.String(load_default=None, validate=free_text(2000))


class CertificateCreate(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(CERTIFICATE_KINDS))
    holder_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    issuer_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    title = fields.String(required=True, validate=free_text(200, min_length=1))
    description = fields.String(load_default=None, validate=free_text(2000))
    occupation = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    work_type = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    level = fields.Integer(
        load_default=None,
        validate=validate.Range(1, 5),
        metadata={"description": "5 = 五级/初级工 … 1 = 一级/高级技师"},
    )
    valid_until = fields.AwareDateTime(load_default=None)
    evidence = fields.List(fields.Nested(Evidence), load_default=list, validate=validate.Length(max=20))

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


class LevelName(Schema):
    zh = fields.String(metadata={"description": "e.g. 四级/中级工"})
    en = fields.String(metadata={"description": "e.g. Level 4 / intermediate worker"})


class Certificate(Schema):
    number = fields.String()
    kind = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    holder_id = fields.String()
    holder_organisation_id = fields.String(allow_none=True)
    issuer_id = fields.String()
    issuer_name = fields.String(metadata={"description": "as it was when the certificate was issued"})
    issuer_did = fields.String(allow_none=True, metadata={"description": "the issuing organisation's own DID"})
    occupation = fields.String(allow_none=True)
    work_type = fields.String(allow_none=True)
    level = fields.Integer(allow_none=True)
    level_name = fields.Nested(
        LevelName, allow_none=True, metadata={"description": "the skill level's names; null without a level"}
    )
    evidence = fields.List(fields.Dict())
    issued_at = fields.DateTime()
    valid_until = fields.DateTime(allow_none=True)
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    status_changed_at = fields.DateTime(allow_none=True)
    issued_by = fields.String(allow_none=True, metadata={"description": "the account (or token) that issued it"})
    status_changed_by = fields.String(allow_none=True, metadata={"description": "who made the last status change"})
    credential_id = fields.String(attribute="credential.id")

    @pre_dump
    def name_the_level(self, certificate: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Name the level here, so that clients such as the printable certificate need no level table."""
        return {**certificate, "level_name": level_name(certificate.get("level"))}


class CertificateQuery(PageQuery):
    """A page of certificates; a filter left out matches every certificate."""

    holder_id = fields.String(validate=validate.Length(min=1, max=64))
    issuer_id = fields.String(validate=validate.Length(min=1, max=64))
    kind = fields.String(validate=validate.OneOf(CERTIFICATE_KINDS))
    status = fields.String(
        validate=validate.OneOf([s.value for s in CertificateStatus if s is not CertificateStatus.EXPIRED]),
        metadata={"description": "the stored status; expiry is worked out when answering, not stored"},
    )


class StatusChange(StrictSchema):
    reason = fields.String(
        load_default=None, validate=free_text(500), metadata={"description": "required to revoke or suspend"}
    )


class StatusAction(StrictSchema):
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))


class AssessmentResult(StrictSchema):
    person_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    passed = fields.Boolean(required=True)
    score = fields.Float(load_default=None, allow_nan=False, validate=validate.Range(0, 1000))


class AssessmentCreate(StrictSchema):
    issuer_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    occupation = fields.String(required=True, validate=validate.Length(min=1, max=100))
    work_type = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    level = fields.Integer(
        required=True, validate=validate.Range(1, 5), metadata={"description": "5 = 五级/初级工 … 1 = 一级/高级技师"}
    )
    assessed_on = fields.Date(required=True)
    title = fields.String(load_default=None, validate=free_text(200, min_length=1))
    external_ref = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "sending the same reference again issues nothing twice"},
    )
    results = fields.List(
        fields.Nested(AssessmentResult), required=True, validate=validate.Length(min=1, max=MAX_JOB_ITEMS)
    )


class BatchCreate(StrictSchema):
    issuer_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    external_ref = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    items = fields.List(
        fields.Nested(CertificateCreate), required=True, validate=validate.Length(min=1, max=MAX_JOB_ITEMS)
    )


class JobError(Schema):
    index = fields.Integer()
    holder_id = fields.String()
    error = fields.String()


class Job(Schema):
    id = fields.String(attribute="_id")
    kind = fields.String(metadata={"enum": [kind.value for kind in JobKind]})
    issuer_id = fields.String()
    status = fields.String(metadata={"enum": [status.value for status in JobStatus]})
    total = fields.Integer()
    done = fields.Integer(metadata={"description": "items finished without error"})
    failed = fields.Integer()
    issued = fields.Integer()
    already_issued = fields.Integer(metadata={"description": "issued by an earlier identical submission"})
    errors = fields.List(fields.Nested(JobError))
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    submitted_by = fields.String(allow_none=True, metadata={"description": "the account (or token) that submitted it"})


class VerifyQuery(StrictSchema):
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=100), metadata={"description": "the holder's full name"}
    )


class Issuer(Schema):
    id = fields.String()
    name = fields.String(metadata={"description": "the issuer's name when it issued the certificate"})
    did = fields.String(allow_none=True, metadata={"description": "the issuer's own DID, the credential's issuer"})


class Verification(Schema):
    valid = fields.Boolean()
    status = fields.String(metadata={"enum": [status.value for status in CertificateStatus]})
    number = fields.String()
    holder = fields.String(metadata={"description": "masked holder name"})
    kind = fields.String()
    title = fields.String()
    occupation = fields.String(allow_none=True)
    work_type = fields.String(allow_none=True)
    level = fields.Integer(allow_none=True)
    level_name = fields.String(allow_none=True)
    issuer = fields.Nested(Issuer)
    issued_at = fields.DateTime()
    valid_until = fields.DateTime(allow_none=True)
    credential_url = fields.String()


class AttainmentQuery(StrictSchema):
    organisation_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "an org_admin's own organisation by default; omitted by the alliance admin: all"},
    )
    year = fields.Integer(required=True, validate=validate.Range(2000, 2099))


class AttainmentGroup(Schema):
    occupation = fields.String()
    level = fields.Integer()
    assessed = fields.Integer()
    certified = fields.Integer()
    attainment_rate = fields.Float(allow_none=True)


class Attainment(Schema):
    organisation_id = fields.String(allow_none=True, metadata={"description": "null for alliance-wide figures"})
    year = fields.Integer()
    assessed = fields.Integer()
    certified = fields.Integer()
    attainment_rate = fields.Float(allow_none=True, metadata={"description": "certified ÷ assessed, 3 decimals"})
    by_occupation_and_level = fields.List(fields.Nested(AttainmentGroup))


class ShareLinkCreate(StrictSchema):
    expires_in_days = fields.Integer(
        load_default=DEFAULT_SHARE_DAYS,
        validate=validate.Range(1, MAX_SHARE_DAYS),
        metadata={"description": f"how long the link works (default {DEFAULT_SHARE_DAYS}, at most {MAX_SHARE_DAYS})"},
    )


class ShareLink(Schema):
    id = fields.String(attribute="_id")
    number = fields.String()
    state = fields.String(metadata={"enum": [state.value for state in ShareLinkState]})
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class ShareLinkCreated(ShareLink):
    token = fields.String(metadata={"description": "the link's secret, shown only this once"})
    url = fields.String(metadata={"description": "the page an employer opens"})


class SharedVerification(Schema):
    valid = fields.Boolean()
    status = fields.String(metadata={"enum": [status.value for status in CertificateStatus]})
    checked_at = fields.DateTime()


class SharedCertificate(Schema):
    """What a share link shows: the certificate with the holder's full name, its credential and current status."""

    holder_name = fields.String()
    certificate = fields.Nested(Certificate)
    verification = fields.Nested(SharedVerification)
    credential = fields.Dict(metadata={"description": "the signed OpenBadgeCredential"})
    expires_at = fields.DateTime(metadata={"description": "when the share link stops working"})


class DisclosedCertificate(Schema):
    """A certificate with its holder's full name, for those entitled to see it."""

    holder_name = fields.String()
    certificate = fields.Nested(Certificate)
