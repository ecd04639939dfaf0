"""The envelope every published event travels in."""

from __future__ import annotations

import uuid
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from services.clock import rfc3339, utcnow


class EnvelopeSchema(Schema):
    """``{event_id, event_type, schema_version, occurred_at, producer, correlation_id, data}``."""

    class Meta:
        unknown = EXCLUDE  # newer producers may add envelope fields; old consumers ignore them

    event_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    event_type = fields.String(required=True)
    schema_version = fields.String(required=True, validate=validate.Regexp(r"^\d+\.\d+$"))
    occurred_at = fields.String(required=True)
    producer = fields.String(required=True)
    correlation_id = fields.String(required=True, allow_none=True)
    data = fields.Dict(required=True)


def make_envelope(
    producer: str,
    event_type: str,
    schema_version: str,
    data: dict[str, Any],
    correlation_id: str | None,
) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "schema_version": schema_version,
        "occurred_at": rfc3339(utcnow()),
        "producer": producer,
        "correlation_id": correlation_id,
        "data": data,
    }
