"""Events published by events_svc (exchange ``events.events``)."""

from marshmallow import Schema, fields


class EventPublished(Schema):
    event_id = fields.String(required=True)
    alliance_id = fields.String(required=True)
    organiser_id = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    starts_at = fields.String(required=True)
    ends_at = fields.String(required=True)
    skill = fields.String(allow_none=True)
    # 1.1: what the organiser said on publishing it, if anything.
    reason = fields.String(allow_none=True)


class RegistrationChanged(Schema):
    registration_id = fields.String(required=True)
    event_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    person_ids = fields.List(fields.String(), required=True)
    team_name = fields.String(allow_none=True)
    change = fields.String(required=True)  # confirmed / waitlisted / cancelled / promoted
    status = fields.String(required=True)
    waitlist_position = fields.Integer(allow_none=True)
    # 1.1: why a registration was cancelled, e.g. because its event was cancelled.
    reason = fields.String(allow_none=True)


class EventUpdated(Schema):
    """A published event was corrected or cancelled: the event as it is now.

    ``sequence`` grows with every version a calendar shows, so a subscriber keeps the highest;
    ``changed_fields`` names what changed (``status`` on a cancellation).
    """

    event_id = fields.String(required=True)
    alliance_id = fields.String(required=True)
    organiser_id = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    starts_at = fields.String(required=True)
    ends_at = fields.String(required=True)
    time_zone = fields.String(required=True)  # IANA, e.g. Asia/Shanghai
    location = fields.String(allow_none=True)
    capacity = fields.Integer(allow_none=True)
    registration_closes_at = fields.String(allow_none=True)
    skill = fields.String(allow_none=True)
    sequence = fields.Integer(required=True)
    changed_fields = fields.List(fields.String(), required=True)
    reason = fields.String(allow_none=True)


class ResultRow(Schema):
    registration_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    person_ids = fields.List(fields.String(), required=True)
    team_name = fields.String(allow_none=True)
    score = fields.Float(allow_none=True)
    rank = fields.Integer(allow_none=True)
    award = fields.String(required=True)


class ResultsPublished(Schema):
    event_id = fields.String(required=True)
    alliance_id = fields.String(required=True)
    organiser_id = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    skill = fields.String(allow_none=True)
    ends_at = fields.String(required=True)
    revision = fields.Integer(required=True)
    results = fields.List(fields.Nested(ResultRow), required=True)
    # Optional (an additive change): registrations whose award differs from the previous
    # revision, {registration_id: {"from": award, "to": award}}, so a consumer can
    # revoke or reissue certificates for a correction.
    award_changes = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.String()),
        load_default=None,
        allow_none=True,
    )
