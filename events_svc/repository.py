"""The only module that touches events_svc's collections."""

from __future__ import annotations

from typing import Any

from services.errors import NotFound
from services.mongo import Repository
from services.pagination import paginate

EVENTS = "events"


class EventsRepository(Repository):
    INDEXES = [
        (EVENTS, [("status", 1), ("starts_at", 1)], {}),
        (EVENTS, [("alliance_id", 1), ("kind", 1)], {}),
    ]

    def get_event(self, event_id: str) -> dict[str, Any]:
        event = self.db[EVENTS].find_one({"_id": event_id})
        if event is None:
            raise NotFound(f"event {event_id} not found")
        return event

    def list_events(self, query: dict[str, Any], limit: int | None, cursor: str | None):
        return paginate(self.db[EVENTS], query, limit, cursor)
