"""Events published by certificates_svc (exchange ``certificates.events``)."""

from marshmallow import Schema, fields


class CertificateIssued(Schema):
    """Everything a subscriber needs to record a certificate."""

    number = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    holder_id = fields.String(required=True)
    holder_organisation_id = fields.String(allow_none=True)
    issuer_id = fields.String(required=True)
    occupation = fields.String(allow_none=True)
    work_type = fields.String(allow_none=True)
    level = fields.Integer(allow_none=True)
    issued_at = fields.String(required=True)
    valid_until = fields.String(allow_none=True)
    credential_id = fields.String(required=True)
    status = fields.String(required=True)


class CertificateStatusChanged(Schema):
    number = fields.String(required=True)
    holder_id = fields.String(required=True)
    old_status = fields.String(required=True)
    new_status = fields.String(required=True)  # active / suspended / revoked / expired
    reason = fields.String(allow_none=True)
    changed_at = fields.String(required=True)


class BatchCompleted(Schema):
    job_id = fields.String(required=True)
    issuer_id = fields.String(required=True)
    total = fields.Integer(required=True)
    issued = fields.Integer(required=True)
    failed = fields.Integer(required=True)
