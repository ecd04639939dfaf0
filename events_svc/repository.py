"""The only module that touches events_svc's collections: queries, inserts, updates, indexes.

``seats`` holds one counter document per event: how many registrations are
confirmed and how many wait. Every change to an event's registrations (and
every status change of the event) writes that document inside its
transaction, so concurrent changes to one event are serialised by the
database, and a place is taken by a conditional update that cannot
overbook. ``entries`` holds one document per (event, person) with a unique
id, so nobody is registered twice even by two concurrent requests.

Methods that take a ``session`` run inside the caller's transaction
(see ``events_svc.workflows``); the decisions are made there.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.client_session import ClientSession

from events_svc.domain import EventStatus, RegistrationStatus, Visibility
from services.errors import NotFound
from services.mongo import Repository
from services.pagination import paginate, paginate_by_date

EVENTS = "events"
SEATS = "seats"
REGISTRATIONS = "registrations"
ENTRIES = "entries"
MEMBERSHIPS = "memberships"  # read model of members_svc's memberships
PEOPLE = "people"  # read model of members_svc's people
ORGANISATIONS = "organisations"  # read model of members_svc's organisations: their names

EVENT_FILTERS = ("alliance_id", "organiser_id", "kind", "status")
REGISTRATION_FILTERS = ("organisation_id", "status")

Page = tuple[list[dict[str, Any]], str | None]


def new_id() -> str:
    """A new document id; ObjectId strings sort by creation time, which cursor paging relies on."""
    return str(ObjectId())


def entry_id(event_id: str, person_id: str) -> str:
    """The id of a person's entry for an event: unique, so one registration per person."""
    return f"{event_id}:{person_id}"


def _event_query(filters: Mapping[str, Any], visibility: Visibility) -> dict[str, Any]:
    """The events matching ``filters`` (an EventFilter, period in UTC) that ``visibility`` admits."""
    clauses: list[dict[str, Any]] = [{key: filters[key]} for key in EVENT_FILTERS if filters.get(key) is not None]
    if filters.get("period_from") is not None:
        clauses.append({"ends_at": {"$gte": filters["period_from"]}})
    if filters.get("period_to") is not None:
        clauses.append({"starts_at": {"$lt": filters["period_to"]}})
    if visibility.statuses is not None:
        seen = [
            {"status": {"$in": [status.value for status in visibility.statuses]}},
            {"status": EventStatus.CANCELLED.value, "was_published": True},
        ]
        if visibility.organiser_id:
            seen.append({"organiser_id": visibility.organiser_id})
        clauses.append({"$or": seen})
    return {"$and": clauses} if clauses else {}


def _registration_query(event_id: str, filters: Mapping[str, Any]) -> dict[str, Any]:
    """The registrations of an event matching ``filters`` (a RegistrationQuery)."""
    return {"event_id": event_id, **{key: filters[key] for key in REGISTRATION_FILTERS if filters.get(key) is not None}}


class EventsRepository(Repository):
    INDEXES = [
        (EVENTS, [("status", 1), ("starts_at", 1)], {}),
        (EVENTS, [("alliance_id", 1), ("kind", 1)], {}),
        (EVENTS, [("organiser_id", 1)], {}),
        (EVENTS, [("starts_at", 1), ("_id", 1)], {}),
        (REGISTRATIONS, [("event_id", 1), ("status", 1), ("waitlist_position", 1)], {}),
        (REGISTRATIONS, [("event_id", 1), ("organisation_id", 1)], {}),
        (MEMBERSHIPS, [("alliance_id", 1), ("organisation_id", 1)], {}),
    ]

    # events

    def insert_event(self, session: ClientSession, event: dict[str, Any]) -> None:
        """Store a new event with its seat counter, nobody registered yet."""
        self.db[EVENTS].insert_one(event, session=session)
        self.db[SEATS].insert_one(
            {"_id": event["_id"], "status": event["status"], "confirmed": 0, "waitlisted": 0},
            session=session,
        )

    def get_event(self, event_id: str, session: ClientSession | None = None) -> dict[str, Any]:
        """The stored event; NotFound if there is none."""
        event = self.db[EVENTS].find_one({"_id": event_id}, session=session)
        if event is None:
            raise NotFound(f"event {event_id} not found")
        return event

    def list_events(self, filters: Mapping[str, Any], visibility: Visibility, limit: int, cursor: str | None) -> Page:
        """One page of the events matching ``filters`` that ``visibility`` admits, in the order they start."""
        return paginate_by_date(self.db[EVENTS], _event_query(filters, visibility), "starts_at", limit, cursor)

    def set_event_status(
        self,
        session: ClientSession,
        event_id: str,
        status: str,
        now: datetime,
        history_line: dict[str, Any],
        new_version: bool = False,
    ) -> dict[str, Any]:
        """Store an event's new status (a published one is marked as such for good) with its history
        line; the updated event.

        ``new_version`` counts a new calendar version (SEQUENCE). The seat counter gets the
        status too, so a registration racing the change conflicts with it instead of reading
        the old status.
        """
        self.db[SEATS].update_one({"_id": event_id}, {"$set": {"status": status}}, session=session)
        changes: dict[str, Any] = {"status": status, "updated_at": now}
        if status == EventStatus.PUBLISHED.value:
            changes["was_published"] = True
        update: dict[str, Any] = {"$set": changes, "$push": {"history": history_line}}
        if new_version:
            update["$inc"] = {"sequence": 1}
        return self.db[EVENTS].find_one_and_update(
            {"_id": event_id}, update, session=session, return_document=ReturnDocument.AFTER
        )

    def correct_event(
        self,
        session: ClientSession,
        event_id: str,
        changes: dict[str, Any],
        history_line: dict[str, Any],
        new_version: bool,
    ) -> dict[str, Any]:
        """Set ``changes``, append the history line, count a new calendar version if asked; the event now."""
        update: dict[str, Any] = {"$set": changes, "$push": {"history": history_line}}
        if new_version:
            update["$inc"] = {"sequence": 1}
        return self.db[EVENTS].find_one_and_update(
            {"_id": event_id}, update, session=session, return_document=ReturnDocument.AFTER
        )

    # places

    def seats(self, session: ClientSession, event_id: str) -> dict[str, Any]:
        """The event's counters: ``confirmed`` and ``waitlisted``, read inside the transaction."""
        return self.db[SEATS].find_one({"_id": event_id}, session=session) or {"confirmed": 0, "waitlisted": 0}

    def seat_counts(self, event_ids: list[str]) -> dict[str, dict[str, int]]:
        """The ``confirmed`` and ``waitlisted`` counts of each of ``event_ids``, by id."""
        found = self.db[SEATS].find({"_id": {"$in": event_ids}}, {"confirmed": 1, "waitlisted": 1})
        return {s["_id"]: {"confirmed": s.get("confirmed", 0), "waitlisted": s.get("waitlisted", 0)} for s in found}

    def empty_seats(self, session: ClientSession, event_id: str) -> None:
        """Nobody holds a place or waits any more: every registration of the event was cancelled."""
        self.db[SEATS].update_one({"_id": event_id}, {"$set": {"confirmed": 0, "waitlisted": 0}}, session=session)

    def take_place(self, session: ClientSession, event_id: str, capacity: int | None) -> bool:
        """Count one more confirmed registration, unless ``capacity`` are (None: no limit).

        One conditional update, so two requests cannot both take the last place.
        """
        place_filter: dict[str, Any] = {"_id": event_id}
        if capacity is not None:
            place_filter["confirmed"] = {"$lt": capacity}
        taken = self.db[SEATS].find_one_and_update(place_filter, {"$inc": {"confirmed": 1}}, session=session)
        return taken is not None

    def release_place(self, session: ClientSession, event_id: str) -> None:
        """Count one confirmed registration fewer."""
        self.db[SEATS].update_one({"_id": event_id}, {"$inc": {"confirmed": -1}}, session=session)

    def join_waitlist(self, session: ClientSession, event_id: str) -> int:
        """Count one more waiting registration; the waitlist position it gets."""
        seats = self.db[SEATS].find_one_and_update(
            {"_id": event_id},
            {"$inc": {"waitlisted": 1}},
            session=session,
            return_document=ReturnDocument.AFTER,
        )
        return seats["waitlisted"]

    def close_waitlist_gap(self, session: ClientSession, event_id: str, position: int) -> None:
        """One waiting registration fewer: everyone behind ``position`` moves up one."""
        self.db[SEATS].update_one({"_id": event_id}, {"$inc": {"waitlisted": -1}}, session=session)
        self.db[REGISTRATIONS].update_many(
            {
                "event_id": event_id,
                "status": RegistrationStatus.WAITLISTED.value,
                "waitlist_position": {"$gt": position},
            },
            {"$inc": {"waitlist_position": -1}},
            session=session,
        )

    # registrations

    def registered_people(self, session: ClientSession, event_id: str, person_ids: list[str]) -> list[str]:
        """Those of ``person_ids`` who already hold a registration for the event."""
        ids = [entry_id(event_id, person_id) for person_id in person_ids]
        taken = self.db[ENTRIES].find({"_id": {"$in": ids}}, {"person_id": 1}, session=session)
        return [entry["person_id"] for entry in taken]

    def insert_registration(self, session: ClientSession, registration: dict[str, Any]) -> None:
        """Store a registration and one entry per person; DuplicateKeyError if one is registered."""
        self.db[REGISTRATIONS].insert_one(registration, session=session)
        self.db[ENTRIES].insert_many(
            [
                {
                    "_id": entry_id(registration["event_id"], person_id),
                    "person_id": person_id,
                    "registration_id": registration["_id"],
                }
                for person_id in registration["person_ids"]
            ],
            session=session,
        )

    def release_entries(self, session: ClientSession, registration_id: str) -> None:
        """The registration's people may register for the event again."""
        self.db[ENTRIES].delete_many({"registration_id": registration_id}, session=session)

    def get_registration(
        self, event_id: str, registration_id: str, session: ClientSession | None = None
    ) -> dict[str, Any]:
        """The stored registration of the event; NotFound if there is none."""
        registration = self.db[REGISTRATIONS].find_one({"_id": registration_id, "event_id": event_id}, session=session)
        if registration is None:
            raise NotFound(f"registration {registration_id} of event {event_id} not found")
        return registration

    def list_registrations(self, event_id: str, filters: Mapping[str, Any], limit: int, cursor: str | None) -> Page:
        """One page of the event's registrations matching ``filters``."""
        return paginate(self.db[REGISTRATIONS], _registration_query(event_id, filters), limit, cursor)

    def registrations_by_id(
        self, session: ClientSession, event_id: str, registration_ids: list[str]
    ) -> dict[str, dict[str, Any]]:
        """The event's registrations among ``registration_ids``, by id."""
        found = self.db[REGISTRATIONS].find({"_id": {"$in": registration_ids}, "event_id": event_id}, session=session)
        return {registration["_id"]: registration for registration in found}

    def live_registrations(self, session: ClientSession, event_id: str) -> list[dict[str, Any]]:
        """The event's confirmed and waitlisted registrations, oldest first."""
        live = [RegistrationStatus.CONFIRMED.value, RegistrationStatus.WAITLISTED.value]
        return list(
            self.db[REGISTRATIONS].find({"event_id": event_id, "status": {"$in": live}}, session=session).sort("_id", 1)
        )

    def waitlisted(self, session: ClientSession, event_id: str) -> list[dict[str, Any]]:
        """The event's registrations waiting for a place."""
        return list(
            self.db[REGISTRATIONS].find(
                {"event_id": event_id, "status": RegistrationStatus.WAITLISTED.value}, session=session
            )
        )

    def update_registration(
        self, session: ClientSession, registration_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """Set ``changes`` on a registration; the updated registration."""
        return self.db[REGISTRATIONS].find_one_and_update(
            {"_id": registration_id},
            {"$set": changes},
            session=session,
            return_document=ReturnDocument.AFTER,
        )

    # results

    def save_results(
        self,
        session: ClientSession,
        event_id: str,
        results: list[dict[str, Any]],
        now: datetime,
        by: str | None = None,
    ) -> dict[str, Any]:
        """Replace the event's results as its next revision (``by``: who published it); the updated event."""
        return self.db[EVENTS].find_one_and_update(
            {"_id": event_id},
            {
                "$set": {"results": results, "results_published_at": now, "results_published_by": by},
                "$inc": {"results_revision": 1},
            },
            session=session,
            return_document=ReturnDocument.AFTER,
        )

    # read models fed by members_svc

    def membership_as_of(self, session: ClientSession, membership_id: str) -> datetime | None:
        """When the recorded state of a membership happened; None if none is recorded."""
        recorded = self.db[MEMBERSHIPS].find_one({"_id": membership_id}, {"as_of": 1}, session=session)
        return None if recorded is None else recorded.get("as_of")

    def save_membership(self, session: ClientSession, membership: dict[str, Any]) -> None:
        """Record a membership's state, replacing the one recorded."""
        self.db[MEMBERSHIPS].replace_one({"_id": membership["_id"]}, membership, upsert=True, session=session)

    def membership_statuses(self, alliance_id: str, organisation_id: str) -> list[str]:
        """The recorded statuses of an organisation's memberships of an alliance."""
        return [
            m["status"]
            for m in self.db[MEMBERSHIPS].find(
                {"alliance_id": alliance_id, "organisation_id": organisation_id}, {"status": 1}
            )
        ]

    def people_as_of(self, session: ClientSession, person_ids: list[str]) -> dict[str, datetime | None]:
        """When the recorded state of each of the people recorded happened (None: it has no time), by id."""
        recorded = self.db[PEOPLE].find({"_id": {"$in": list(set(person_ids))}}, {"as_of": 1}, session=session)
        return {person["_id"]: person.get("as_of") for person in recorded}

    def save_people(self, session: ClientSession, people: list[dict[str, Any]], recorded: set[str]) -> None:
        """Record people with one bulk write, each replacing the one recorded (``recorded``: the ids
        of those recorded before)."""
        self.save_records(session, PEOPLE, people, known=recorded)

    def organisation_as_of(self, session: ClientSession, organisation_id: str) -> datetime | None:
        """When the recorded state of an organisation happened; None if none is recorded."""
        recorded = self.db[ORGANISATIONS].find_one({"_id": organisation_id}, {"as_of": 1}, session=session)
        return None if recorded is None else recorded.get("as_of")

    def save_organisation(self, session: ClientSession, organisation: dict[str, Any]) -> None:
        """Record an organisation, replacing the one recorded."""
        self.db[ORGANISATIONS].replace_one({"_id": organisation["_id"]}, organisation, upsert=True, session=session)

    def organisation_names(self, organisation_ids: list[str]) -> dict[str, str]:
        """The recorded names of those of ``organisation_ids`` known, by id."""
        found = self.db[ORGANISATIONS].find({"_id": {"$in": list(set(organisation_ids))}}, {"name": 1})
        return {o["_id"]: o.get("name") for o in found}

    def person_names(self, person_ids: list[str]) -> dict[str, str]:
        """The recorded names of those of ``person_ids`` known, by id."""
        found = self.db[PEOPLE].find({"_id": {"$in": list(set(person_ids))}}, {"name": 1})
        return {p["_id"]: p.get("name") for p in found}

    def people(self, person_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The recorded people among ``person_ids``, by id."""
        return {p["_id"]: p for p in self.db[PEOPLE].find({"_id": {"$in": person_ids}})}
