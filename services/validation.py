"""Loading input with marshmallow, turning its errors into InvalidInput."""

from __future__ import annotations

import unicodedata
from enum import Enum
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, validate

from services.errors import InvalidInput, error_key, field_errors
from services.identity import holds_national_id

# Deeper JSON than any request of this API needs; anything beyond is refused before a
# recursive encoder (BSON, the RPC transport) can overflow the stack on it.
MAX_DEPTH = 32
# JSON numbers that every client (and BSON's 64-bit integers) read exactly.
MAX_SAFE_INTEGER = 2**53 - 1
# Unicode categories that print nothing: format (zero-width space, joiners) and control characters.
INVISIBLE = frozenset({"Cf", "Cc"})


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


def not_blank(value: str) -> None:
    """Refuse text of spaces and invisible characters alone (a name, a title): it shows as nothing."""
    if isinstance(value, str) and all(char.isspace() or unicodedata.category(char) in INVISIBLE for char in value):
        raise ValidationError("must contain a visible character")


def free_text(max_length: int, min_length: int = 0) -> list:
    """The validators of a free-text field that may identify someone: a length, and no ID number in it.

    A field that needs text (``min_length`` of 1 or more) also needs a visible character.
    """
    validators = [validate.Length(min=min_length, max=max_length), no_national_id]
    return [*validators, not_blank] if min_length > 0 else validators


def load(schema: type[Schema] | Schema, payload: Any, **kwargs: Any) -> Any:
    """``schema.load(payload)``; field errors become InvalidInput with the same messages."""
    instance = schema() if isinstance(schema, type) else schema
    if not isinstance(payload, dict) and not kwargs.get("many"):
        raise InvalidInput("the body must be a JSON object", {"_schema": ["expected a JSON object"]})
    check_values(payload)
    try:
        return instance.load(payload, **kwargs)
    except ValidationError as exc:
        raise InvalidInput("the request has invalid fields", field_errors(exc.normalized_messages())) from None


def check_values(payload: Any) -> None:
    """Refuse what no schema can describe: deep nesting, unencodable text, unsafe integers.

    Walked without recursion, so a hostile document cannot exhaust the stack here either.
    """
    pending: list[tuple[tuple[str | int, ...], Any]] = [((), payload)]
    while pending:
        path, value = pending.pop()
        if len(path) > MAX_DEPTH:
            raise InvalidInput("the request is nested too deeply", {error_key(*path): [f"at most {MAX_DEPTH} levels"]})
        if isinstance(value, str):
            _check_text(path, value)
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER:
            raise InvalidInput("a number is out of range", {error_key(*path): ["integer out of range"]})
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(path, str(key))
                pending.append(((*path, key), item))
        elif isinstance(value, list | tuple):
            pending.extend(((*path, index), item) for index, item in enumerate(value))


def _check_text(path: tuple[str | int, ...], text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # The field is named; the text is not repeated, it may be anything.
        raise InvalidInput(
            "the request holds text that is not valid Unicode", {error_key(*path): ["not valid Unicode"]}
        ) from None
