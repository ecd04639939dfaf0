"""Health, readiness and the API's own documents."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

import eventlet
import swagger_ui_bundle
from werkzeug.wrappers import Response

from gateway.api import PUBLIC, Call, route
from gateway.http import json_response
from gateway.openapi import openapi_document
from gateway.schemas import Health, Readiness
from services.errors import NotFound
from services.registry import DOMAIN_SERVICES

STATIC = Path(__file__).resolve().parent.parent / "static"
SWAGGER_UI = Path(swagger_ui_bundle.swagger_ui_path)
DOCS_ASSETS = {
    "swagger-ui.css": SWAGGER_UI / "swagger-ui.css",
    "swagger-ui-bundle.js": SWAGGER_UI / "swagger-ui-bundle.js",
    "docs.js": STATIC / "docs.js",
}

READY_DEADLINE_SECONDS = 2.0


class SystemRoutes:
    @route("GET", "/health", summary="The gateway process is alive", access=PUBLIC, tags=("system",), response=Health)
    def health(self, call: Call) -> dict[str, Any]:
        return {"status": "ok"}

    @route(
        "GET",
        "/ready",
        summary="Every service answers a ping within a deadline",
        access=PUBLIC,
        tags=("system",),
        response=Readiness,
        errors=(503,),
    )
    def ready(self, call: Call):
        pool = eventlet.GreenPool()
        results = dict(pool.imap(self._ping, DOMAIN_SERVICES))
        ready = all(r["status"] == "ok" for r in results.values())
        body = {"status": "ready" if ready else "not_ready", "services": results}
        return json_response(body, 200 if ready else 503)

    def _ping(self, service: str) -> tuple[str, dict[str, Any]]:
        try:
            with eventlet.Timeout(READY_DEADLINE_SECONDS):
                detail = getattr(self, f"{service}_rpc").ping()
            return service, {"status": "ok", **detail}
        except eventlet.Timeout:
            return service, {"status": "timeout"}
        except Exception as exc:  # noqa: BLE001 - readiness reports, it does not fail
            return service, {"status": "unavailable", "error": str(exc)}

    @route("GET", "/openapi.json", summary="This API's OpenAPI 3 document", access=PUBLIC, tags=("system",))
    def openapi(self, call: Call):
        return json_response(openapi_document())

    @route(
        "GET",
        "/docs",
        summary="Interactive API documentation",
        access=PUBLIC,
        tags=("system",),
        content_type="text/html",
    )
    def docs(self, call: Call) -> Response:
        return static_response(STATIC / "docs.html")

    @route(
        "GET",
        "/docs/assets/<string:name>",
        summary="Assets of the documentation page",
        access=PUBLIC,
        tags=("system",),
        errors=(404,),
        content_type="application/octet-stream",
    )
    def docs_asset(self, call: Call, name: str) -> Response:
        if name not in DOCS_ASSETS:
            raise NotFound(f"no documentation asset {name}")
        return static_response(DOCS_ASSETS[name])


def static_response(path: Path) -> Response:
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type.endswith("javascript"):
        content_type += "; charset=utf-8"
    response = Response(path.read_bytes(), content_type=content_type)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
