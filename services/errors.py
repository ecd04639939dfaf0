"""Domain errors shared by every service.

Each error is registered with nameko's remote-error registry, so an error
raised inside a service arrives at the RPC caller as the same type, with the
same ``message`` and ``details``. Details must be JSON-safe (strings, lists,
dicts): nameko stringifies anything else on the way.
"""

from __future__ import annotations

from typing import Any

from nameko.exceptions import registry


class DomainError(Exception):
    """Base of every error a client may cause; ``status`` is its HTTP status."""

    status = 400
    title = "Bad request"

    def __init__(self, message: str, details: dict[str, Any] | None = None):
        super().__init__(message, details or {})
        self.message = message
        self.details = details or {}

    def __str__(self) -> str:
        return self.message


class InvalidInput(DomainError):
    """The input is malformed; ``details`` maps field names to messages."""

    status = 400
    title = "Invalid input"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    """A duplicate, or a transition the current state does not allow."""

    status = 409
    title = "Conflict"


class Unauthorized(DomainError):
    """No usable credentials: a missing, expired or refused token, or a sign-in that failed."""

    status = 401
    title = "Unauthorized"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class Unprocessable(DomainError):
    status = 422
    title = "Unprocessable request"


class ServiceUnavailable(DomainError):
    """A service, the broker or a database is not running."""

    status = 503
    title = "Service unavailable"


class ServiceTimeout(DomainError):
    """A service did not answer within its deadline."""

    status = 504
    title = "Gateway timeout"


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
