"""Domain errors shared by every service.

Each error is registered with nameko's remote-error registry, so an error
raised inside a service arrives at the RPC caller as the same type, with the
same ``message`` and ``details``. Details must be JSON-safe (strings, lists,
dicts): nameko stringifies anything else on the way.

Field details follow one convention (the README's "API conventions"): a
top-level field by its name, anything inside a list or an object by its JSON
Pointer from the request's root (``/people/3/national_id``), and always a list
of messages. :func:`field_errors` brings any marshmallow-style message tree
into that form; :func:`error_key` names one value.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from nameko.exceptions import registry

# The key of errors about a whole object rather than one of its fields (marshmallow's name).
WHOLE_OBJECT = "_schema"


class DomainError(Exception):
    """Base of every error a client may cause; ``status`` is its HTTP status."""

    status = 400

    def __init__(self, message: str, details: dict[str, Any] | None = None):
        super().__init__(message, details or {})
        self.message = message
        self.details = details or {}

    def __str__(self) -> str:
        return self.message

    @property
    def title(self) -> str:
        """The status's standard reason phrase, as RFC 9457 asks of an ``about:blank`` problem."""
        return reason_phrase(self.status)


class InvalidInput(DomainError):
    """The input is malformed; ``details`` maps field names to messages."""

    status = 400


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """A duplicate, or a transition the current state does not allow."""

    status = 409


class Unauthorized(DomainError):
    """No usable credentials: a missing, expired or refused token, or a sign-in that failed."""

    status = 401
    title = "Unauthorized"


class Forbidden(DomainError):
    status = 403


class Unprocessable(DomainError):
    status = 422


class ServiceUnavailable(DomainError):
    """A service, the broker or a database is not running."""

    status = 503


class ServiceTimeout(DomainError):
    """A service did not answer within its deadline."""

    status = 504


def reason_phrase(status: int) -> str:
    """The standard reason phrase of an HTTP status (``404`` → ``Not Found``)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def pointer(*parts: str | int) -> str:
    """The RFC 6901 JSON Pointer of a value inside a request: ``pointer("people", 3, "name")`` → ``/people/3/name``."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def field_errors(messages: Any) -> dict[str, list[str]]:
    """Messages keyed by field name or JSON Pointer, each a list of strings.

    Accepts what marshmallow's ``normalized_messages()`` gives (nested dicts keyed by
    field names and list indexes) and what services raise (a string or a list per field).
    A top-level field keeps its name; a nested one is named by its pointer; a nested
    ``_schema`` is the pointer of its object.
    """
    flat: dict[str, list[str]] = {}
    pending: list[tuple[tuple[str | int, ...], Any]] = [((), messages)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, Mapping):
            pending.extend(((*path, key), item) for key, item in reversed(list(value.items())))
            continue
        if isinstance(value, list | tuple) and any(isinstance(item, Mapping) for item in value):
            pending.extend(((*path, index), item) for index, item in reversed(list(enumerate(value))))
            continue
        texts = [str(item) for item in value] if isinstance(value, list | tuple) else [str(value)]
        flat.setdefault(error_key(*path), []).extend(texts)
    return flat


def error_key(*path: str | int) -> str:
    """The ``errors`` key of the value at ``path``: a top-level field's name, else its JSON Pointer.

    ``error_key("name")`` → ``name``; ``error_key("results", 0, "registration_id")`` →
    ``/results/0/registration_id``; the request as a whole is ``_schema``.
    """
    if not path:
        return WHOLE_OBJECT
    if str(path[-1]) == WHOLE_OBJECT:
        path = path[:-1]
        if not path:
            return WHOLE_OBJECT
    if len(path) == 1:
        return str(path[0])
    return pointer(*path)


def _register(exc_type: type[DomainError]) -> None:
    registry[f"{exc_type.__module__}.{exc_type.__name__}"] = exc_type


for _exc in (
    DomainError,
    InvalidInput,
    NotFound,
    Conflict,
    Unauthorized,
    Forbidden,
    Unprocessable,
    ServiceUnavailable,
    ServiceTimeout,
):
    _register(_exc)
