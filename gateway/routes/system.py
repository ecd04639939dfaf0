"""Health, readiness and the API's own documents."""

from __future__ import annotations

from typing import Any

import eventlet

from gateway.api import PUBLIC, Call, route
from gateway.http import json_response
from gateway.schemas import Health, Readiness

READY_DEADLINE_SECONDS = 2.0
DOMAIN_SERVICES = ("members", "events", "certificates")


class SystemRoutes:
    @route("GET", "/health", summary="The gateway process is alive", access=PUBLIC,
           tags=("system",), response=Health)
    def health(self, call: Call) -> dict[str, Any]:
        return {"status": "ok"}

    @route("GET", "/ready", summary="Every service answers a ping within a deadline",
           access=PUBLIC, tags=("system",), response=Readiness, errors=(503,))
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
