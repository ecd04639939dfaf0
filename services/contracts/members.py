"""Events published by members_svc (exchange ``members.events``)."""

from marshmallow import Schema, fields


class OrganisationRegistered(Schema):
    organisation_id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    region = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    code = fields.String(allow_none=True)
    accredited_evaluator = fields.Boolean(required=True)
    evaluator = fields.Dict(allow_none=True)  # {type: Y|S, code, province, site}


class OrganisationUpdated(OrganisationRegistered):
    """An organisation's details changed; the payload is its full current state."""


class MembershipChanged(Schema):
    membership_id = fields.String(required=True)
    alliance_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    role = fields.String(required=True)
    old_status = fields.String(required=True, allow_none=True)
    new_status = fields.String(required=True)
    reason = fields.String(allow_none=True)
    # Given when the role changed (1.1); ``role`` is then the new one and the statuses are equal.
    old_role = fields.String(allow_none=True)


class PersonRegistered(Schema):
    """A person joined an organisation; carries nothing of the national ID number.

    Version 2.0 dropped 1.0's ``identity_hash`` and ``identity_salt``: a salted
    SHA-256 of an ID number published with its salt gives the number back to
    whoever tries the few hundred thousand plausible ones. ``subject_id`` is the
    random ``urn:uuid:`` that names the person in their credentials.
    """

    person_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    student_number = fields.String(allow_none=True)
    subject_id = fields.String(required=True)


class PersonUpdated(PersonRegistered):
    """A person's details were corrected, or the person was archived; the holder record as it
    is now. ``changed_fields`` names what changed (``national_id`` when it was re-entered), never
    the values."""

    changed_fields = fields.List(fields.String(), required=True)
    archived = fields.Boolean(required=True)
