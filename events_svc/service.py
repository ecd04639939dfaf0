"""events_svc: alliance events, registrations, results and awards."""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc

from events_svc import domain, schemas
from events_svc.repository import EventsRepository
from services.context import RequestContext
from services.mongo import MongoDatabase
from services.validation import load


class EventsService:
    name = "events"

    repository: EventsRepository = MongoDatabase(EventsRepository)
    request_id = RequestContext()

    @rpc
    def ping(self) -> dict[str, Any]:
        return {"service": self.name, "database": self.repository.ping()}

    @rpc
    def list_events(self, filters: dict[str, Any], public_only: bool = True) -> dict[str, Any]:
        query_args = load(schemas.EventQuery, filters)
        query: dict[str, Any] = {
            key: query_args[key]
            for key in ("alliance_id", "kind", "status")
            if query_args.get(key) is not None
        }
        if public_only:
            public = [status.value for status in domain.PUBLIC_STATUSES]
            query["status"] = query["status"] if query.get("status") in public else {"$in": public}
        items, next_cursor = self.repository.list_events(query, query_args["limit"], query_args["cursor"])
        return {"items": schemas.Event(many=True).dump(items), "next_cursor": next_cursor}

    @rpc
    def get_event(self, event_id: str) -> dict[str, Any]:
        return schemas.Event().dump(self.repository.get_event(event_id))
