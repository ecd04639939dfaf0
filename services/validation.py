"""Loading input with marshmallow, turning its errors into InvalidInput."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from services.errors import InvalidInput


def load(schema: type[Schema] | Schema, payload: Any, **kwargs: Any) -> Any:
    """``schema.load(payload)``; field errors become InvalidInput with the same messages."""
    instance = schema() if isinstance(schema, type) else schema
    if not isinstance(payload, dict) and not kwargs.get("many"):
        raise InvalidInput("the body must be a JSON object", {"_schema": ["expected a JSON object"]})
    try:
        return instance.load(payload, **kwargs)
    except ValidationError as exc:
        raise InvalidInput("the request has invalid fields", exc.normalized_messages()) from None
