"""Schema pieces every service's API shares, so that one convention holds in every answer.

- :class:`Timestamp`: every instant leaves as RFC 3339 in UTC with ``Z``, to the millisecond
  (``2026-05-01T08:00:00.000Z``), whether it was stored as a datetime or as such a string.
- :class:`ResponseSchema`: a nullable field is always present, ``null`` when there is no value,
  rather than sometimes missing.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from marshmallow import Schema, fields, missing

from services.clock import parse_rfc3339, rfc3339


class Timestamp(fields.DateTime):
    """An instant: written as RFC 3339 UTC with ``Z`` and milliseconds; read as an ISO 8601 date-time.

    Reading keeps the offset a client gave (an event's local time is the events service's to
    keep); ``require_offset`` refuses a time without one at the schema already.
    """

    default_error_messages = {"no_offset": "must include a time zone offset, e.g. +08:00 or Z"}

    def __init__(self, *, require_offset: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.require_offset = require_offset

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        moment = parse_rfc3339(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            # The database hands back instants in UTC; one without a zone was stored as UTC.
            moment = moment.replace(tzinfo=timezone.utc)
        return rfc3339(moment)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if self.require_offset and (moment.tzinfo is None or moment.utcoffset() is None):
            raise self.make_error("no_offset")
        return moment


class ResponseSchema(Schema):
    """A schema of what the API answers: every ``allow_none`` field is written, as null when absent."""

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        if field_obj.allow_none and field_obj.dump_default is missing:
            field_obj.dump_default = None
