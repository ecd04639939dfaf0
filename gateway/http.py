"""The gateway's HTTP entrypoint: every error leaves as RFC 9457 problem+json.

nameko's http entrypoint answers an exception from a handler with a 500, and
its web server answers unknown routes and methods with HTML. Both are
replaced here, once, for every route: domain errors map to their status,
werkzeug's HTTP errors keep theirs, an RPC past its deadline is a 504, a
service that is not running a 503, and only a genuine bug is a 500.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any

from nameko.exceptions import RemoteError, UnknownService
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from pymongo.errors import ConnectionFailure, ExecutionTimeout, NetworkTimeout, ServerSelectionTimeoutError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Request, Response

from services.clock import rfc3339
from services.context import REQUEST_ID_HEADER, clean_request_id, current_request_id
from services.errors import DomainError, field_errors, reason_phrase

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
MAX_BODY_BYTES = 1024 * 1024


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None, content_type: str = "application/json"
) -> Response:
    body = json.dumps(payload, ensure_ascii=False, default=_json_value)
    response = Response(body, status=status, content_type=f"{content_type}; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _json_value(value: Any) -> Any:
    """What JSON cannot hold: an instant in the one timestamp format, anything else as text."""
    if isinstance(value, datetime):
        return rfc3339(value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc))
    return str(value)


def problem(status: int, detail: str, **extra: Any) -> Response:
    """An RFC 9457 answer: ``type`` is ``about:blank``, so ``title`` is the status's reason phrase."""
    body = {"type": "about:blank", "title": reason_phrase(status), "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    response = json_response(body, status, content_type=PROBLEM_JSON)
    request_id = current_request_id.get()
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


# Problem members a client can act on; every other detail is about a field and goes under "errors".
EXTENSION_MEMBERS = (
    "current_state",
    "allowed_actions",
    "reason",
    "membership_id",
    "registration_id",
    "missing_rules",
)


def problem_from_exception(exc: BaseException) -> Response:
    """The one table from exceptions to HTTP answers."""
    if isinstance(exc, DomainError):
        field_level = exc.status in (400, 422)  # every detail of invalid input names a field
        members = {k: v for k, v in exc.details.items() if k in EXTENSION_MEMBERS and not field_level}
        errors = field_errors({k: v for k, v in exc.details.items() if k not in members})
        return problem(exc.status, exc.message, errors=errors or None, **members)
    if isinstance(exc, HTTPException):
        response = problem(exc.code or 500, exc.description or exc.name)
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response
    if isinstance(exc, UnknownService):
        return problem(503, f"service {exc} is not running")
    if isinstance(exc, DATABASE_OUTAGES) or (isinstance(exc, RemoteError) and exc.exc_type in DATABASE_OUTAGE_NAMES):
        return problem(503, "a database is not available; try again shortly")
    log.error("unhandled error in the gateway", exc_info=(type(exc), exc, exc.__traceback__))
    return problem(500, "an unexpected error occurred")


DATABASE_OUTAGES = (ConnectionFailure, ExecutionTimeout, NetworkTimeout, ServerSelectionTimeoutError)
DATABASE_OUTAGE_NAMES = frozenset(
    {
        "ConnectionFailure",
        "AutoReconnect",
        "NetworkTimeout",
        "ServerSelectionTimeoutError",
        "ExecutionTimeout",
        "NotPrimaryError",
        "WaitQueueTimeoutError",
    }
)


# Sent with every answer, pages and API alike. The pages load scripts and styles only from
# this origin and run no inline code, so a script injected into a page cannot run, and no
# other site may frame the dashboard that holds a token.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    """``response`` with the security headers, keeping any a route chose itself."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


class ApiRequest(Request):
    max_content_length = MAX_BODY_BYTES


class ApiWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        request = ApiRequest(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
            request.path_values = values
            response = provider.handle_request(request)
        except HTTPException as exc:
            response = problem_from_exception(exc)
        if REQUEST_ID_HEADER not in response.headers:  # answered before any worker ran
            response.headers[REQUEST_ID_HEADER] = clean_request_id(request.headers.get(REQUEST_ID_HEADER))
        cors = self.server.cors_headers(request)
        for name, value in cors.items():
            response.headers[name] = value
        add_security_headers(response)
        return response(environ, start_response)


class ApiWebServer(WebServer):
    def setup(self) -> None:
        super().setup()
        origins = self.container.config.get("CORS_ALLOWED_ORIGINS") or ""
        self.allowed_origins = {o.strip() for o in str(origins).split(",") if o.strip()}

    def get_wsgi_app(self):
        app = ApiWsgiApp(self)
        hops = int(self.container.config.get("TRUSTED_PROXY_HOPS") or 0)
        # Only behind that many trusted proxies does X-Forwarded-For name the client.
        return ProxyFix(app, x_for=hops, x_proto=0, x_host=0, x_port=0, x_prefix=0) if hops > 0 else app

    def cors_headers(self, request: Request) -> dict[str, str]:
        origin = request.headers.get("Origin")
        if not origin or not (origin in self.allowed_origins or "*" in self.allowed_origins):
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key, X-Request-ID",
            "Access-Control-Allow-Methods": "GET, POST, PATCH, DELETE, OPTIONS",
            "Access-Control-Expose-Headers": "X-Request-ID",
            "Vary": "Origin",
        }


class ApiHttpHandler(HttpRequestHandler):
    server = ApiWebServer()

    def response_from_exception(self, exc: BaseException) -> Response:
        return problem_from_exception(exc)


api_http = ApiHttpHandler.decorator
