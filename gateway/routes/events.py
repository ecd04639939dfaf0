"""Routes served by events_svc."""

from __future__ import annotations

from typing import Any

from events_svc import schemas
from gateway.api import PUBLIC, Call, route


class EventsRoutes:
    @route("GET", "/api/v1/events", summary="List events (the public sees published ones)",
           access=PUBLIC, tags=("events",), query=schemas.EventQuery, response=schemas.Event,
           many=True)
    def list_events(self, call: Call) -> dict[str, Any]:
        public_only = call.principal is None or not call.principal.is_admin
        filters = {k: v for k, v in call.query.items() if v is not None}
        return self.events_rpc.list_events(filters, public_only)
