"""Loading input with marshmallow, turning its errors into InvalidInput."""

from __future__ import annotations

from enum import Enum
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, validate

from services.errors import InvalidInput
from services.identity import holds_national_id


class StrictSchema(Schema):
    """A request schema: unknown fields are refused, fields keep their declared order."""

    class Meta:
        unknown = RAISE
        ordered = True


def one_of(enum: type[Enum]) -> validate.OneOf:
    """A validator accepting the values of ``enum``."""
    return validate.OneOf([member.value for member in enum])


def no_national_id(value: str) -> None:
    """Refuse free text that carries an ID number; the message does not repeat the value."""
    if isinstance(value, str) and holds_national_id(value):
        raise ValidationError("must not contain an ID number")


def free_text(max_length: int, min_length: int = 0) -> list:
    """The validators of a free-text field that may identify someone: a length, and no ID number in it."""
    return [validate.Length(min=min_length, max=max_length), no_national_id]


def load(schema: type[Schema] | Schema, payload: Any, **kwargs: Any) -> Any:
    """``schema.load(payload)``; field errors become InvalidInput with the same messages."""
    instance = schema() if isinstance(schema, type) else schema
    if not isinstance(payload, dict) and not kwargs.get("many"):
        raise InvalidInput("the body must be a JSON object", {"_schema": ["expected a JSON object"]})
    try:
        return instance.load(payload, **kwargs)
    except ValidationError as exc:
        raise InvalidInput("the request has invalid fields", exc.normalized_messages()) from None
