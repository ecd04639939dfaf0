"""Loading input with marshmallow, turning its errors into InvalidInput."""

from __future__ import annotations

from enum import Enum
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, validate

from services.errors import InvalidInput


class StrictSchema(Schema):
    """A request schema: unknown fields are refused, fields keep their declared order."""

    class Meta:
        unknown = RAISE
        ordered = True


def one_of(enum: type[Enum]) -> validate.OneOf:
    """A validator accepting the values of ``enum``."""
    return validate.OneOf([member.value for member in enum])


def load(schema: type[Schema] | Schema, payload: Any, **kwargs: Any) -> Any:
    """``schema.load(payload)``; field errors become InvalidInput with the same messages."""
    instance = schema() if isinstance(schema, type) else schema
    if not isinstance(payload, dict) and not kwargs.get("many"):
        raise InvalidInput("the body must be a JSON object", {"_schema": ["expected a JSON object"]})
    try:
        return instance.load(payload, **kwargs)
    except ValidationError as exc:
        raise InvalidInput("the request has invalid fields", exc.normalized_messages()) from None
