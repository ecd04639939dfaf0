"""The only module that touches events_svc's collections.

``seats`` holds one counter document per event: how many registrations are
confirmed and how many wait. Every change to an event's registrations (and
every status change of the event) writes that document inside its
transaction, so concurrent changes to one event are serialised by the
database, and a place is taken by a conditional update that cannot
overbook. ``entries`` holds one document per (event, person) with a unique
id, so nobody is registered twice even by two concurrent requests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from events_svc import domain, eligibility, published, results
from events_svc.domain import EventStatus, RegistrationStatus, Visibility
from services.clock import utcnow
from services.errors import Conflict, NotFound
from services.mongo import Repository
from services.pagination import paginate

EVENTS = "events"
SEATS = "seats"
REGISTRATIONS = "registrations"
ENTRIES = "entries"
MEMBERSHIPS = "memberships"
PEOPLE = "people"

WAITLISTED = RegistrationStatus.WAITLISTED.value
CONFIRMED = RegistrationStatus.CONFIRMED.value
CANCELLED = RegistrationStatus.CANCELLED.value


def new_id() -> str:
    return str(ObjectId())


def entry_id(event_id: str, person_id: str) -> str:
    return f"{event_id}:{person_id}"


class EventsRepository(Repository):
    INDEXES = [
        (EVENTS, [("status", 1), ("starts_at", 1)], {}),
        (EVENTS, [("alliance_id", 1), ("kind", 1)], {}),
        (EVENTS, [("organiser_id", 1)], {}),
        (REGISTRATIONS, [("event_id", 1), ("status", 1), ("waitlist_position", 1)], {}),
        (REGISTRATIONS, [("event_id", 1), ("organisation_id", 1)], {}),
        (MEMBERSHIPS, [("alliance_id", 1), ("organisation_id", 1)], {}),
    ]

    # events

    def create_event(self, fields: dict[str, Any]) -> dict[str, Any]:
        now = utcnow()
        event = {"_id": new_id(), **fields, "status": EventStatus.DRAFT.value,
                 "results_revision": 0, "created_at": now, "updated_at": now}

        def work(session: ClientSession) -> None:
            self.db[EVENTS].insert_one(event, session=session)
            self.db[SEATS].insert_one(
                {"_id": event["_id"], "status": event["status"], "confirmed": 0, "waitlisted": 0},
                session=session,
            )

        self.transaction(work)
        return event

    def get_event(self, event_id: str, session: ClientSession | None = None) -> dict[str, Any]:
        event = self.db[EVENTS].find_one({"_id": event_id}, session=session)
        if event is None:
            raise NotFound(f"event {event_id} not found")
        return event

    def list_events(self, filters: dict[str, Any], visibility: Visibility,
                    limit: int | None, cursor: str | None):
        return paginate(self.db[EVENTS], self._event_query(filters, visibility), limit, cursor)

    def _event_query(self, filters: dict[str, Any], visibility: Visibility) -> dict[str, Any]:
        """The events matching ``filters`` that ``visibility`` admits."""
        clauses: list[dict[str, Any]] = [
            {key: filters[key]} for key in ("alliance_id", "kind", "status")
            if filters.get(key) is not None
        ]
        if filters.get("period_from") is not None:
            clauses.append({"ends_at": {"$gte": filters["period_from"]}})
        if filters.get("period_to") is not None:
            clauses.append({"starts_at": {"$lt": filters["period_to"]}})
        if visibility.statuses is not None:
            public = {"status": {"$in": [status.value for status in visibility.statuses]}}
            organiser = visibility.organiser_id
            clauses.append({"$or": [public, {"organiser_id": organiser}]} if organiser else public)
        return {"$and": clauses} if clauses else {}

    def change_event_status(self, event_id: str, action: str) -> dict[str, Any]:
        """Apply a lifecycle action; publishing announces the event."""

        def work(session: ClientSession) -> dict[str, Any]:
            event = self.get_event(event_id, session)
            target = domain.next_event_status(event["status"], action).value
            self.db[SEATS].update_one({"_id": event_id}, {"$set": {"status": target}},
                                      session=session)
            updated = self.db[EVENTS].find_one_and_update(
                {"_id": event_id},
                {"$set": {"status": target, "updated_at": utcnow()}},
                session=session,
                return_document=ReturnDocument.AFTER,
            )
            if target == EventStatus.PUBLISHED.value:
                self.emit(session, "event_published", published.event_published(updated))
            return updated

        return self.transaction(work)

    # registrations

    def register(self, event_id: str, fields: dict[str, Any], now: datetime) -> dict[str, Any]:
        """Take a place, or a place in the waitlist, for a team; announces which."""

        def work(session: ClientSession) -> dict[str, Any]:
            event = self.get_event(event_id, session)
            domain.check_registration_open(event, now)
            ids = [entry_id(event_id, p) for p in fields["person_ids"]]
            taken = self.db[ENTRIES].find({"_id": {"$in": ids}}, {"person_id": 1}, session=session)
            eligibility.check_people_not_registered([entry["person_id"] for entry in taken])
            status, position = self._take_place(session, event)
            registration = {
                "_id": new_id(), "event_id": event_id, **fields, "status": status,
                "waitlist_position": position, "created_at": now, "updated_at": now,
            }
            self.db[REGISTRATIONS].insert_one(registration, session=session)
            self.db[ENTRIES].insert_many(
                [{"_id": entry_id(event_id, p), "person_id": p, "registration_id": registration["_id"]}
                 for p in fields["person_ids"]],
                session=session,
            )
            self.emit(session, "registration_changed",
                      published.registration_changed(registration, status))
            return registration

        try:
            return self.transaction(work)
        except DuplicateKeyError:
            raise Conflict(
                "a person is already registered for this event",
                {"field": "person_ids", "reason": "registered at the same moment by another request"},
            ) from None

    def _take_place(self, session: ClientSession, event: dict[str, Any]) -> tuple[str, int | None]:
        """A confirmed place while any is left, else the next waitlist position (atomically)."""
        capacity = event.get("capacity")
        place_filter: dict[str, Any] = {"_id": event["_id"]}
        if capacity is not None:
            place_filter["confirmed"] = {"$lt": capacity}
        if self.db[SEATS].find_one_and_update(place_filter, {"$inc": {"confirmed": 1}},
                                              session=session) is not None:
            return CONFIRMED, None
        seats = self.db[SEATS].find_one_and_update(
            {"_id": event["_id"]}, {"$inc": {"waitlisted": 1}},
            session=session, return_document=ReturnDocument.AFTER,
        )
        return WAITLISTED, seats["waitlisted"]

    def get_registration(self, event_id: str, registration_id: str,
                         session: ClientSession | None = None) -> dict[str, Any]:
        registration = self.db[REGISTRATIONS].find_one(
            {"_id": registration_id, "event_id": event_id}, session=session)
        if registration is None:
            raise NotFound(f"registration {registration_id} of event {event_id} not found")
        return registration

    def list_registrations(self, event_id: str, filters: dict[str, Any],
                           limit: int | None, cursor: str | None):
        query = {"event_id": event_id, **{k: v for k, v in filters.items() if v is not None}}
        return paginate(self.db[REGISTRATIONS], query, limit, cursor)

    def cancel_registration(self, event_id: str, registration_id: str) -> dict[str, Any]:
        """Cancel a registration; a freed place goes to the first on the waitlist."""

        def work(session: ClientSession) -> dict[str, Any]:
            event = self.get_event(event_id, session)
            registration = self.get_registration(event_id, registration_id, session)
            domain.check_registration_cancellable(event, registration)
            now = utcnow()
            cancelled = self.db[REGISTRATIONS].find_one_and_update(
                {"_id": registration_id},
                {"$set": {"status": CANCELLED, "waitlist_position": None, "updated_at": now,
                          "cancelled_at": now}},
                session=session, return_document=ReturnDocument.AFTER,
            )
            self.db[ENTRIES].delete_many({"registration_id": registration_id}, session=session)
            self.emit(session, "registration_changed",
                      published.registration_changed(cancelled, CANCELLED))
            if registration["status"] == WAITLISTED:
                self._leave_waitlist(session, event_id, registration["waitlist_position"])
            else:
                self._free_place(session, event_id, now)
            return cancelled

        return self.transaction(work)

    def _leave_waitlist(self, session: ClientSession, event_id: str, position: int) -> None:
        """Everyone behind ``position`` moves up one."""
        self.db[SEATS].update_one({"_id": event_id}, {"$inc": {"waitlisted": -1}}, session=session)
        self.db[REGISTRATIONS].update_many(
            {"event_id": event_id, "status": WAITLISTED, "waitlist_position": {"$gt": position}},
            {"$inc": {"waitlist_position": -1}},
            session=session,
        )

    def _free_place(self, session: ClientSession, event_id: str, now: datetime) -> None:
        """Give a freed place to the first waitlisted registration, or count it free."""
        waiting = list(self.db[REGISTRATIONS].find(
            {"event_id": event_id, "status": WAITLISTED}, session=session))
        promoted = domain.pick_promotion(waiting)
        if promoted is None:
            self.db[SEATS].update_one({"_id": event_id}, {"$inc": {"confirmed": -1}},
                                      session=session)
            return
        confirmed = self.db[REGISTRATIONS].find_one_and_update(
            {"_id": promoted["_id"]},
            {"$set": {"status": CONFIRMED, "waitlist_position": None, "updated_at": now}},
            session=session, return_document=ReturnDocument.AFTER,
        )
        self._leave_waitlist(session, event_id, promoted["waitlist_position"])
        self.emit(session, "registration_changed",
                  published.registration_changed(confirmed, "promoted"))

    # results

    def publish_results(self, event_id: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """Replace the event's results with a new revision and announce it."""

        def work(session: ClientSession) -> dict[str, Any]:
            event = self.get_event(event_id, session)
            wanted = [row["registration_id"] for row in rows]
            registrations = {
                r["_id"]: r for r in self.db[REGISTRATIONS].find(
                    {"_id": {"$in": wanted}, "event_id": event_id}, session=session)
            }
            accepted = results.validate_results({**event, "id": event_id}, rows, registrations)
            standing = results.result_rows(accepted, registrations)
            changes = results.award_changes(event.get("results") or [], standing)
            updated = self.db[EVENTS].find_one_and_update(
                {"_id": event_id},
                {"$set": {"results": standing, "results_published_at": utcnow()},
                 "$inc": {"results_revision": 1}},
                session=session, return_document=ReturnDocument.AFTER,
            )
            self.emit(session, "results_published", published.results_published(
                updated, standing, updated["results_revision"], changes))
            return updated

        return self.transaction(work)

    # read models fed by members_svc

    def record_membership(self, session: ClientSession, change: dict[str, Any],
                          occurred_at: datetime) -> None:
        """Keep the membership's latest status; an older change arriving late is ignored."""
        memberships = self.db[MEMBERSHIPS]
        recorded = memberships.find_one({"_id": change["membership_id"]}, {"as_of": 1},
                                        session=session)
        if recorded is not None and not eligibility.membership_change_applies(
                recorded.get("as_of"), occurred_at):
            return
        memberships.replace_one(
            {"_id": change["membership_id"]},
            {"alliance_id": change["alliance_id"], "organisation_id": change["organisation_id"],
             "role": change["role"], "status": change["new_status"], "as_of": occurred_at},
            upsert=True, session=session,
        )

    def membership_statuses(self, alliance_id: str, organisation_id: str) -> list[str]:
        return [m["status"] for m in self.db[MEMBERSHIPS].find(
            {"alliance_id": alliance_id, "organisation_id": organisation_id}, {"status": 1})]

    def record_person(self, session: ClientSession, person: dict[str, Any]) -> None:
        self.db[PEOPLE].replace_one(
            {"_id": person["person_id"]},
            {"organisation_id": person["organisation_id"], "name": person["name"],
             "kind": person["kind"]},
            upsert=True, session=session,
        )

    def people(self, person_ids: list[str]) -> dict[str, dict[str, Any]]:
        return {p["_id"]: p for p in self.db[PEOPLE].find({"_id": {"$in": person_ids}})}
