"""Loading input with marshmallow, turning its errors into InvalidInput."""

from __future__ import annotations

from enum import Enum
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, validate

from services.errors import InvalidInput
from services.identity import holds_national_id

# Deeper JSON than any request of this API needs; anything beyond is refused before a
# recursive encoder (BSON, the RPC transport) can overflow the stack on it.
MAX_DEPTH = 32
# JSON numbers that every client (and BSON's 64-bit integers) read exactly.
MAX_SAFE_INTEGER = 2**53 - 1


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
    check_values(payload)
    try:
        return instance.load(payload, **kwargs)
    except ValidationError as exc:
        raise InvalidInput("the request has invalid fields", exc.normalized_messages()) from None


def check_values(payload: Any) -> None:
    """Refuse what no schema can describe: deep nesting, unencodable text, unsafe integers.

    Walked without recursion, so a hostile document cannot exhaust the stack here either.
    """
    pending: list[tuple[str, Any, int]] = [("", payload, 0)]
    while pending:
        where, value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise InvalidInput(
                "the request is nested too deeply", {where or "_schema": [f"at most {MAX_DEPTH} levels"]}
            )
        if isinstance(value, str):
            _check_text(where, value)
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER:
            raise InvalidInput("a number is out of range", {where or "_schema": ["integer out of range"]})
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(where, str(key))
                pending.append((f"{where}.{key}" if where else str(key), item, depth + 1))
        elif isinstance(value, list | tuple):
            pending.extend(
                (f"{where}.{index}" if where else str(index), item, depth + 1) for index, item in enumerate(value)
            )


def _check_text(where: str, text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # The field is named; the text is not repeated, it may be anything.
        raise InvalidInput(
            "the request holds text that is not valid Unicode", {where or "_schema": ["not valid Unicode"]}
        ) from None
