"""What certificates_svc accepts and returns; the gateway validates with the same schemas."""

from typing import Any

from marshmallow import ValidationError, fields, pre_dump, validate, validates_schema

from certificates_svc.access import DEFAULT_SHARE_DAYS, MAX_SHARE_DAYS, ShareLinkState
from certificates_svc.assessments import JobKind, JobStatus
from certificates_svc.lifecycle import (
    ACTIONS,
    DEFAULT_REVOCATION_CATEGORY,
    REVOCATION_CATEGORIES,
    SUPERSEDED,
    CertificateStatus,
)
from certificates_svc.numbers import CERTIFICATE_KINDS, level_name
from services.fields import ResponseSchema, Timestamp
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
    valid_until = Timestamp(require_offset=True, load_default=None)
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


class LevelName(ResponseSchema):
    zh = fields.String(metadata={"description": "e.g. 四级/中级工"})
    en = fields.String(metadata={"description": "e.g. Level 4 / intermediate worker"})


class StatusHistoryEntry(ResponseSchema):
    from_status = fields.String(metadata={"description": "the status before, as answered then (may be expired)"})
    to_status = fields.String()
    at = Timestamp()
    by = fields.String(allow_none=True, metadata={"description": "the account (or token) that made the change"})
    reason = fields.String(allow_none=True)
    category = fields.String(allow_none=True, metadata={"enum": list(REVOCATION_CATEGORIES)})


class Certificate(ResponseSchema):
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
    issued_at = Timestamp()
    valid_until = Timestamp(allow_none=True)
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    status_category = fields.String(allow_none=True, metadata={"enum": list(REVOCATION_CATEGORIES)})
    status_changed_at = Timestamp(allow_none=True)
    superseded_by = fields.String(allow_none=True, metadata={"description": "the corrected certificate's number"})
    issued_by = fields.String(allow_none=True, metadata={"description": "the account (or token) that issued it"})
    status_changed_by = fields.String(allow_none=True, metadata={"description": "who made the last status change"})
    history = fields.List(
        fields.Nested(StatusHistoryEntry),
        metadata={"description": "each status change, oldest first (not in lists; none before the first change)"},
    )
    credential_id = fields.String(attribute="credential.id")

    @pre_dump
    def name_the_level(self, certificate: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Name the level here, so that clients such as the printable certificate need no level table."""
        return {**certificate, "level_name": level_name(certificate.get("level"))}


class CertificateListItem(Certificate):
    """A certificate as a list shows it: with its holder's full name for those who may print it."""

    holder_name = fields.String(
        allow_none=True,
        metadata={
            "description": "the holder's full name, for the alliance admin and the admins of the issuer or of the "
            "holder's organisation (who may print the certificate); null for every other caller"
        },
    )


class CertificateQuery(PageQuery):
    """A page of certificates, in the order they were issued in; a filter left out matches every certificate."""

    holder_id = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "the holder (person)"})
    issuer_id = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "the issuer"})
    holder_organisation_id = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the organisation the holder belonged to when the certificate was issued"},
    )
    organisation_id = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={
            "description": "issued by this organisation or held by its people; an org_admin's listing "
            "is this scope of its own organisation unless it names its own issuer_id or holder_organisation_id"
        },
    )
    kind = fields.String(validate=validate.OneOf(CERTIFICATE_KINDS))
    status = fields.String(
        validate=validate.OneOf([s.value for s in CertificateStatus if s is not CertificateStatus.EXPIRED]),
        metadata={"description": "the stored status; expiry is worked out when answering, not stored"},
    )
    event_id = fields.String(
        validate=validate.Length(min=1, max=64), metadata={"description": "awarded for the results of this event"}
    )
    occupation = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "exactly as issued"})
    level = fields.Integer(
        validate=validate.Range(1, 5), metadata={"description": "skill level, 5 = 五级/初级工 … 1 = 一级/高级技师"}
    )
    year = fields.Integer(
        validate=validate.Range(2000, 2099),
        metadata={"description": "year of issue, in the alliance's time zone (Asia/Shanghai)"},
    )
    q = fields.String(
        validate=validate.Length(min=1, max=40), metadata={"description": "the start of the certificate number"}
    )


class StatusChange(StrictSchema):
    reason = fields.String(
        load_default=None, validate=free_text(500), metadata={"description": "required to revoke or suspend"}
    )
    category = fields.String(
        load_default=None,
        validate=validate.OneOf(REVOCATION_CATEGORIES),
        metadata={
            "description": "why a certificate is revoked, as public verification shows it "
            f"(the reason itself stays private; default {DEFAULT_REVOCATION_CATEGORY})"
        },
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


class AssessmentProblems(ResponseSchema):
    """What submitting an assessment would refuse, by the result's index: field → messages."""

    problems = fields.Dict(keys=fields.String(), values=fields.Dict())


class BatchCreate(StrictSchema):
    issuer_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    external_ref = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    items = fields.List(
        fields.Nested(CertificateCreate), required=True, validate=validate.Length(min=1, max=MAX_JOB_ITEMS)
    )


class JobError(ResponseSchema):
    index = fields.Integer()
    pointer = fields.String(
        metadata={"description": "the item's JSON Pointer in the submitted request (`/results/3/person_id`)"}
    )
    holder_id = fields.String()
    error = fields.String()


class JobAssessment(ResponseSchema):
    """What an assessment job assesses: its request without the results."""

    occupation = fields.String()
    work_type = fields.String(allow_none=True)
    level = fields.Integer()
    assessed_on = fields.String(metadata={"format": "date"})
    title = fields.String(allow_none=True)
    external_ref = fields.String(allow_none=True)


class Job(ResponseSchema):
    id = fields.String(attribute="_id")
    kind = fields.String(metadata={"enum": [kind.value for kind in JobKind]})
    issuer_id = fields.String()
    status = fields.String(metadata={"enum": [status.value for status in JobStatus]})
    assessment = fields.Nested(
        JobAssessment, allow_none=True, metadata={"description": "an assessment's occupation, level and date"}
    )
    total = fields.Integer()
    passed = fields.Integer(
        allow_none=True, metadata={"description": "an assessment's candidates who passed, whether or not certified yet"}
    )
    done = fields.Integer(metadata={"description": "items finished without error"})
    failed = fields.Integer()
    issued = fields.Integer()
    already_issued = fields.Integer(metadata={"description": "issued by an earlier identical submission"})
    errors = fields.List(fields.Nested(JobError))
    created_at = Timestamp()
    finished_at = Timestamp(allow_none=True)
    submitted_by = fields.String(allow_none=True, metadata={"description": "the account (or token) that submitted it"})

    @pre_dump
    def describe_the_assessment(self, job: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """An assessment's own fields, kept with the job as its ``spec``; none for a batch."""
        return {**job, "assessment": job.get("spec") if job.get("kind") == JobKind.ASSESSMENT else None}


class JobSummary(Job):
    """A job in a list: its progress without the per-item errors (``GET /api/v1/jobs/{id}`` has them)."""

    class Meta:
        exclude = ("errors",)


class JobQuery(PageQuery):
    """A page of jobs, oldest first; a filter left out matches every job."""

    issuer_id = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the organisation the job issues for (an org_admin: only its own)"},
    )
    kind = fields.String(validate=validate.OneOf([kind.value for kind in JobKind]))
    status = fields.String(validate=validate.OneOf([status.value for status in JobStatus]))


class VerifyQuery(StrictSchema):
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=100), metadata={"description": "the holder's full name"}
    )


class Issuer(ResponseSchema):
    id = fields.String()
    name = fields.String(metadata={"description": "the issuer's name when it issued the certificate"})
    did = fields.String(allow_none=True, metadata={"description": "the issuer's own DID, the credential's issuer"})


# A revoked certificate that a corrected one replaced answers "superseded".
VERIFICATION_STATUSES = [*(status.value for status in CertificateStatus), SUPERSEDED]


class Verification(ResponseSchema):
    valid = fields.Boolean()
    status = fields.String(metadata={"enum": VERIFICATION_STATUSES})
    status_changed_at = Timestamp(
        allow_none=True, metadata={"description": "when it was suspended, revoked or superseded"}
    )
    reason_category = fields.String(
        allow_none=True, metadata={"enum": list(REVOCATION_CATEGORIES), "description": "why it was revoked"}
    )
    public_reason = fields.String(
        allow_none=True, metadata={"description": "a superseded certificate's reason, e.g. the results corrected"}
    )
    replaced_by = fields.String(allow_none=True, metadata={"description": "the number of the certificate replacing it"})
    number = fields.String()
    holder = fields.String(metadata={"description": "masked holder name"})
    kind = fields.String()
    title = fields.String()
    occupation = fields.String(allow_none=True)
    work_type = fields.String(allow_none=True)
    level = fields.Integer(allow_none=True)
    level_name = fields.String(allow_none=True)
    issuer = fields.Nested(Issuer)
    issued_at = Timestamp()
    valid_until = Timestamp(allow_none=True)
    credential_url = fields.String()


class AttainmentQuery(StrictSchema):
    organisation_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the caller's own organisation by default; omitted by the alliance admin: all"},
    )
    year = fields.Integer(required=True, validate=validate.Range(2000, 2099))


class AttainmentGroup(ResponseSchema):
    occupation = fields.String()
    level = fields.Integer()
    assessed = fields.Integer()
    certified = fields.Integer()
    attainment_rate = fields.Float(allow_none=True)


class OrganisationAttainment(ResponseSchema):
    organisation_id = fields.String(allow_none=True, metadata={"description": "the holders' organisation"})
    assessed = fields.Integer()
    certified = fields.Integer()
    attainment_rate = fields.Float(allow_none=True)


class Attainment(ResponseSchema):
    organisation_id = fields.String(allow_none=True, metadata={"description": "null for alliance-wide figures"})
    year = fields.Integer()
    assessed = fields.Integer()
    certified = fields.Integer()
    attainment_rate = fields.Float(allow_none=True, metadata={"description": "certified ÷ assessed, 3 decimals"})
    by_occupation_and_level = fields.List(fields.Nested(AttainmentGroup))
    by_organisation = fields.List(
        fields.Nested(OrganisationAttainment),
        metadata={"description": "alliance-wide figures only: each organisation's share, by organisation id"},
    )


class ShareLinkCreate(StrictSchema):
    expires_in_days = fields.Integer(
        load_default=DEFAULT_SHARE_DAYS,
        validate=validate.Range(1, MAX_SHARE_DAYS),
        metadata={"description": f"how long the link works (default {DEFAULT_SHARE_DAYS}, at most {MAX_SHARE_DAYS})"},
    )


class ShareLink(ResponseSchema):
    id = fields.String(attribute="_id")
    number = fields.String()
    state = fields.String(metadata={"enum": [state.value for state in ShareLinkState]})
    created_by = fields.String(allow_none=True)
    created_at = Timestamp()
    expires_at = Timestamp()
    revoked_at = Timestamp(allow_none=True)


class ShareLinkCreated(ShareLink):
    token = fields.String(metadata={"description": "the link's secret, shown only this once"})
    url = fields.String(metadata={"description": "the page an employer opens"})


class SharedVerification(ResponseSchema):
    valid = fields.Boolean()
    status = fields.String(metadata={"enum": VERIFICATION_STATUSES})
    status_changed_at = Timestamp(allow_none=True)
    reason_category = fields.String(allow_none=True, metadata={"enum": list(REVOCATION_CATEGORIES)})
    public_reason = fields.String(allow_none=True)
    replaced_by = fields.String(allow_none=True)
    checked_at = Timestamp()


class SharedCertificate(ResponseSchema):
    """What a share link shows: the certificate with the holder's full name, its credential and current status."""

    holder_name = fields.String()
    # An employer sees the current status, not the reasons of earlier suspensions.
    certificate = fields.Nested(Certificate, exclude=("history",))
    verification = fields.Nested(SharedVerification)
    credential = fields.Dict(metadata={"description": "the signed OpenBadgeCredential"})
    expires_at = Timestamp(metadata={"description": "when the share link stops working"})


class DisclosedCertificate(ResponseSchema):
    """A certificate with its holder's full name, for those entitled to see it."""

    holder_name = fields.String()
    certificate = fields.Nested(Certificate)
