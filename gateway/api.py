"""Declaring routes: access, request and response schemas in one place.

``route(...)`` wraps a handler so that authentication and authorisation,
JSON parsing and validation, serialisation, the request id header and error
answers happen identically for every route, and records the route for the
OpenAPI document.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from gateway.auth import Principal, principal_from_header
from gateway.http import api_http, json_response, problem, problem_from_exception
from gateway.idempotency import fingerprint
from services.context import REQUEST_ID_HEADER, current_request_id
from services.errors import DomainError, Forbidden, Unauthorized
from services.validation import load

IDEMPOTENCY_HEADER = "Idempotency-Key"
PUBLIC = "public"
AUTHENTICATED = "authenticated"
ADMIN = "alliance_admin"


@dataclass
class Route:
    method: str
    path: str
    name: str
    summary: str
    access: str
    tags: tuple[str, ...]
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    response: type[Schema] | None = None
    many: bool = False
    status: int = 200
    errors: tuple[int, ...] = ()
    content_type: str = "application/json"
    extra: dict[str, Any] = field(default_factory=dict)
    rate_limit: str | None = None

    @property
    def openapi_path(self) -> str:
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.path)

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.path)


ROUTES: list[Route] = []


@dataclass
class Call:
    """What a handler receives: the caller, the validated body and query, the raw request."""

    request: Request
    principal: Principal | None
    body: Any
    query: dict[str, Any]

    @property
    def caller(self) -> Principal:
        if self.principal is None:
            raise Unauthorized("this route needs a bearer token")
        return self.principal


def read_json(request: Request) -> Any:
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge as exc:
        return problem_from_exception(exc)
    if not raw:
        return {}  # e.g. an action without a reason: no body, whatever the content type
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        return problem(415, "send the body as application/json")
    try:
        return json.loads(raw)
    except RecursionError:
        return problem(400, "the body is nested too deeply")
    except (ValueError, UnicodeDecodeError) as exc:
        return problem(400, f"the body is not valid JSON: {exc}")


def route(
    method: str,
    path: str,
    *,
    summary: str,
    access: str,
    tags: tuple[str, ...] = (),
    body: type[Schema] | None = None,
    query: type[Schema] | None = None,
    response: type[Schema] | None = None,
    many: bool = False,
    status: int = 200,
    errors: tuple[int, ...] = (),
    content_type: str = "application/json",
    rate_limit: str | None = None,
    openapi: dict[str, Any] | None = None,
) -> Callable:
    """Declare an API route; the handler returns a JSON-able payload or a Response.

    ``rate_limit`` names a limit of gateway/rate_limits.py that callers from one address share.
    ``openapi`` adds to the route's OpenAPI operation what no schema describes (a file upload,
    a choice of response media types, a path parameter's values).
    """

    def decorator(handler: Callable) -> Callable:
        spec = Route(
            method,
            path,
            handler.__name__,
            summary,
            access,
            tags,
            body,
            query,
            response,
            many,
            status,
            (*errors, 429) if rate_limit else errors,
            content_type,
            extra=openapi or {},
            rate_limit=rate_limit,
        )
        ROUTES.append(spec)

        @functools.wraps(handler, assigned=("__name__", "__doc__", "__qualname__"))
        def endpoint(self, request: Request, **path_values: Any) -> Response:
            try:
                response_ = _serve(self, handler, spec, request, path_values)
            except (HTTPException, Exception) as exc:  # noqa: BLE001 - every error becomes a problem body
                response_ = problem_from_exception(exc)
            request_id = current_request_id.get()
            if request_id:
                response_.headers[REQUEST_ID_HEADER] = request_id
            return response_

        return api_http(method, path)(endpoint)

    return decorator


def _serve(service: Any, handler: Callable, spec: Route, request: Request, path_values: dict[str, Any]) -> Response:
    if spec.rate_limit is not None:
        refused = service.rate_limits.check(spec.rate_limit, request)
        if refused is not None:
            return refused
    principal = principal_from_header(
        request.headers.get("Authorization"), service.jwt_secret, service.token_max_lifetime, service.token_keys
    )
    if spec.access != PUBLIC and principal is None:
        raise Unauthorized("this route needs a bearer token")
    if spec.access == ADMIN and not principal.is_admin:
        raise Forbidden("this route needs the alliance_admin role")
    payload: Any = None
    if spec.body is not None:
        parsed = read_json(request)
        if isinstance(parsed, Response):
            return parsed
        load(spec.body, parsed)  # validate at the edge; the service loads the same JSON again
        payload = parsed
    query: dict[str, Any] = {}
    if spec.query is not None:
        query = load(spec.query, {k: v for k, v in request.args.items()})
    call = Call(request, principal, payload, query)
    key = request.headers.get(IDEMPOTENCY_HEADER)
    # Public POSTs are the sign-in routes: their answers hold tokens, which must never be stored.
    if key is None or spec.method != "POST" or spec.access == PUBLIC:
        return _respond(service, handler, spec, call, path_values)
    caller = principal.subject if principal else "anonymous"
    store = service.idempotency
    stored = store.begin(caller, key, fingerprint(spec.method, request.path, request.get_data(cache=True)))
    if stored is not None:
        response = Response(stored["body"], status=stored["status"], content_type=stored["content_type"])
        response.headers["Idempotent-Replayed"] = "true"
        return response
    try:
        response = _respond(service, handler, spec, call, path_values)
    except DomainError as exc:
        response = problem_from_exception(exc)
    except BaseException:
        store.abandon(caller, key)
        raise
    if response.status_code >= 500:
        store.abandon(caller, key)
    else:
        store.complete(caller, key, response.status_code, response.get_data(), response.content_type)
    return response


def _respond(service: Any, handler: Callable, spec: Route, call: Call, path_values: dict[str, Any]) -> Response:
    result = handler(service, call, **path_values)
    if isinstance(result, Response):
        return result
    return json_response(result, spec.status)
