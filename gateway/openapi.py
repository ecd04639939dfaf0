"""The OpenAPI 3 document, generated from the routes and the schemas that validate them."""

from __future__ import annotations

import functools
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from gateway.api import PUBLIC, ROUTES, Route
from gateway.schemas import Problem

ERROR_TEXT = {
    400: "Invalid input (field-level messages under `errors`)",
    401: "Missing, malformed, expired or wrongly signed token",
    403: "The token does not allow this",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict: a duplicate, or a transition the current state does not allow",
    413: "Request body too large",
    415: "The body must be application/json",
    422: "Unprocessable (e.g. an Idempotency-Key reused with another body)",
    429: "Too many requests from this address; retry after the `Retry-After` seconds",
    503: "A service, the broker or a database is not available",
    504: "A service did not answer in time",
}
COMMON_ERRORS = (405, 503, 504)


@functools.cache
def page_schema(item: type[Schema]) -> type[Schema]:
    """``{"items": [...], "next_cursor": ...}`` of ``item``; one class per item, however many routes list it."""
    return type(
        f"{item.__name__}Page",
        (Schema,),
        {
            "items": fields.List(fields.Nested(item), required=True),
            "next_cursor": fields.String(
                allow_none=True, required=True, metadata={"description": "pass as `cursor` for the next page"}
            ),
        },
    )


def _schema_name_resolver(schema: Any) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__
    module = cls.__module__.split(".")[0]
    prefixes = {"members_svc": "Members", "events_svc": "Events", "certificates_svc": "Certificates"}
    prefix = prefixes.get(module, "")
    named = f"{prefix}{name}" if prefix and not name.startswith(prefix) else name
    # A schema nested without some of its fields is a schema of its own: named for what it leaves out
    # (beyond what its class leaves out).
    left_out = [] if isinstance(schema, type) else sorted(set(schema.exclude or ()) - set(cls.opts.exclude or ()))
    return named + "".join(f"Without{part.title().replace('_', '')}" for part in left_out)


def operation(route: Route) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": route.name,
        "summary": route.summary,
        "tags": list(route.tags),
        "parameters": [
            {"in": "path", "name": name, "required": True, "schema": {"type": "string"}} for name in route.path_params
        ],
        "responses": {},
    }
    if route.query is not None:
        op["parameters"].append({"in": "query", "schema": route.query})
    if route.access == PUBLIC:
        op["security"] = []
    else:
        op["security"] = [{"bearerAuth": []}]
        op["description"] = f"Requires a bearer token ({route.access})."
    if route.method in ("POST", "PATCH", "PUT"):
        op["parameters"].append(
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                "description": "Replays the stored response for the same key and body within 24 h",
            }
        )
    if route.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": route.body}}}
    success: dict[str, Any] = {"description": "Success"}
    if route.status == 204:
        pass  # No Content: nothing to describe
    elif route.response is not None:
        schema = page_schema(route.response) if route.many else route.response
        success["content"] = {route.content_type: {"schema": schema}}
    elif route.content_type.endswith("json"):
        success["content"] = {route.content_type: {"schema": {"type": "object"}}}
    else:
        success["content"] = {route.content_type: {"schema": {"type": "string"}}}
    op["responses"][str(route.status)] = success
    errors = set(route.errors) | set(COMMON_ERRORS)
    if route.access != PUBLIC:
        errors |= {401, 403}
    if route.body is not None:
        errors |= {400, 413, 415}
    if route.method in ("POST", "PATCH", "PUT"):
        errors |= {400}  # an Idempotency-Key of no or too many characters
    if route.method == "POST":
        errors |= {422}  # an Idempotency-Key reused with another body
    if route.query is not None or route.path_params:
        errors |= {400} if route.query is not None else set()
    for status in sorted(errors):
        op["responses"][str(status)] = {
            "description": ERROR_TEXT.get(status, "Error"),
            "content": {"application/problem+json": {"schema": Problem}},
        }
    _add_extra(op, route.extra)
    return op


def _add_extra(op: dict[str, Any], extra: dict[str, Any]) -> None:
    """Merge a route's own additions: a parameter replaces the one of the same name, a response
    the one of the same status, anything else is set as given."""
    for key, value in extra.items():
        if key == "parameters":
            names = {(parameter["in"], parameter["name"]) for parameter in value}
            kept = [p for p in op["parameters"] if (p.get("in"), p.get("name")) not in names]
            op["parameters"] = kept + list(value)
        elif key == "responses":
            op["responses"].update(value)
        else:
            op[key] = value


@functools.lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    spec = APISpec(
        title="Vocational Alliance Platform API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name_resolver)],
        info={"description": "Alliances, organisations, people, events and verifiable certificates."},
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.openapi_path, {})[route.method.lower()] = operation(route)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
