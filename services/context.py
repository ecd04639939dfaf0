"""The request id: accepted or made at the edge, carried through RPC and events.

nameko copies every key of ``worker_ctx.data`` into the headers of the RPC
calls and events a worker makes, and back into the worker that receives them,
so storing the id under ``request_id`` is enough to follow it everywhere.
"""

from __future__ import annotations

import contextvars
import uuid

from nameko.extensions import DependencyProvider

REQUEST_ID_KEY = "request_id"
REQUEST_ID_HEADER = "X-Request-ID"

current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_request_id", default=None)
current_event_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_event_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def clean_request_id(value: str | None) -> str:
    """A caller's id if it is a sane token, otherwise a fresh one."""
    if value and len(value) <= 128 and all(c.isalnum() or c in "-_.:" for c in value):
        return value
    return new_request_id()


def ensure_request_id(worker_ctx) -> str:
    """The worker's request id: inherited from the caller, taken from the HTTP header, or new."""
    request_id = worker_ctx.data.get(REQUEST_ID_KEY)
    if request_id is None:
        request = worker_ctx.args[0] if worker_ctx.args else None
        headers = getattr(request, "headers", None)
        request_id = clean_request_id(headers.get(REQUEST_ID_HEADER) if headers else None)
        worker_ctx.data[REQUEST_ID_KEY] = request_id
    return request_id


class RequestContext(DependencyProvider):
    """Makes the worker's request id current for logging and returns it."""

    def get_dependency(self, worker_ctx) -> str:
        return ensure_request_id(worker_ctx)

    def worker_setup(self, worker_ctx) -> None:
        current_request_id.set(ensure_request_id(worker_ctx))
        event = worker_ctx.args[0] if worker_ctx.args else None
        current_event_id.set(event.get("event_id") if isinstance(event, dict) else None)

    def worker_teardown(self, worker_ctx) -> None:
        current_request_id.set(None)
        current_event_id.set(None)
