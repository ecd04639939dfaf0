"""The README's API conventions as checks over real answers: timestamps and problem bodies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

#: Property names that hold an instant (``created_at``, ``valid_until``); ``*_local`` ones hold local times.
TIMESTAMP_NAME = re.compile(r"(?:^at|_at|_until)$")
#: RFC 3339 in UTC with ``Z``: milliseconds in API answers and events, whole seconds inside credentials.
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
#: An ``errors`` key: a top-level field's name, ``_schema``, or a JSON Pointer into the request.
ERROR_KEY = re.compile(r"^(?:[A-Za-z_][\w-]*|(?:/[^/]*)+)$")


def timestamps(body: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every (pointer, value) in ``body`` whose property name says it is an instant."""
    if isinstance(body, dict):
        for key, value in body.items():
            here = f"{where}/{key}"
            if isinstance(value, str) and TIMESTAMP_NAME.search(key) and not key.endswith("_local"):
                yield here, value
            else:
                yield from timestamps(value, here)
    elif isinstance(body, list):
        for index, value in enumerate(body):
            yield from timestamps(value, f"{where}/{index}")


def timestamp_violations(body: Any) -> list[tuple[str, str]]:
    """The instants in ``body`` not written as RFC 3339 UTC with ``Z``."""
    return [(where, value) for where, value in timestamps(body) if not TIMESTAMP.match(value)]


def problem_violations(status: int, content_type: str, body: Any) -> list[str]:
    """How an error answer departs from the problem convention; empty when it keeps it."""
    found = []
    if not content_type.startswith("application/problem+json"):
        found.append(f"content type {content_type}")
    if not isinstance(body, dict):
        return [*found, "body is not an object"]
    if body.get("type") != "about:blank":
        found.append(f"type {body.get('type')!r}")
    if body.get("title") != HTTPStatus(status).phrase:
        found.append(f"title {body.get('title')!r} is not {HTTPStatus(status).phrase!r}")
    if body.get("status") != status:
        found.append(f"status {body.get('status')!r}")
    if not isinstance(body.get("detail"), str):
        found.append("no detail")
    errors = body.get("errors", {})
    if not isinstance(errors, dict):
        return [*found, f"errors is {type(errors).__name__}"]
    for key, messages in errors.items():
        if not ERROR_KEY.match(key):
            found.append(f"errors key {key!r} is neither a field name nor a JSON Pointer")
        if not (isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages)):
            found.append(f"errors[{key!r}] is not a list of messages: {messages!r}")
    return found
