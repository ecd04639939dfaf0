"""The only module that touches members_svc's collections."""

from __future__ import annotations

import re
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from members_svc import domain, portfolio
from services.clock import utcnow
from services.errors import Conflict, NotFound
from services.mongo import Repository
from services.pagination import paginate

ALLIANCES = "alliances"
MEMBERSHIPS = "memberships"
ORGANISATIONS = "organisations"
PEOPLE = "people"


def new_id() -> str:
    return str(ObjectId())


class MembersRepository(Repository):
    INDEXES = [
        (MEMBERSHIPS, [("alliance_id", 1), ("organisation_id", 1)], {"unique": True}),
        (MEMBERSHIPS, [("alliance_id", 1), ("status", 1), ("role", 1)], {}),
        (ORGANISATIONS, [("kind", 1), ("region", 1)], {}),
        (ORGANISATIONS, [("name", 1)], {}),
        (ORGANISATIONS, [("code", 1)],
         {"unique": True, "partialFilterExpression": {"code": {"$type": "string"}}}),
        (PEOPLE, [("organisation_id", 1), ("student_number", 1)],
         {"unique": True, "partialFilterExpression": {"student_number": {"$type": "string"}}}),
        (PEOPLE, [("certificates.number", 1)], {}),
    ]

    # alliances

    def create_alliance(self, fields: dict[str, Any]) -> dict[str, Any]:
        alliance = domain.new_alliance(new_id(), fields, utcnow())
        self.db[ALLIANCES].insert_one(alliance)
        return alliance

    def get_alliance(self, alliance_id: str, session: ClientSession | None = None) -> dict[str, Any]:
        alliance = self.db[ALLIANCES].find_one({"_id": alliance_id}, session=session)
        if alliance is None:
            raise NotFound(f"alliance {alliance_id} not found")
        return alliance

    def list_alliances(self, query: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        return paginate(self.db[ALLIANCES], {}, query["limit"], query["cursor"])

    # organisations

    def create_organisation(self, fields: dict[str, Any]) -> dict[str, Any]:
        organisation = domain.new_organisation(new_id(), fields, utcnow())

        def work(session: ClientSession) -> None:
            self.db[ORGANISATIONS].insert_one(organisation, session=session)
            self.emit(session, "organisation_registered", domain.organisation_event(organisation))

        try:
            self.transaction(work)
        except DuplicateKeyError:
            raise Conflict("an organisation with this code exists", {"code": "already registered"}) from None
        return organisation

    def get_organisation(self, organisation_id: str,
                         session: ClientSession | None = None) -> dict[str, Any]:
        organisation = self.db[ORGANISATIONS].find_one({"_id": organisation_id}, session=session)
        if organisation is None:
            raise NotFound(f"organisation {organisation_id} not found")
        return organisation

    def update_organisation(self, organisation_id: str, requested: dict[str, Any]) -> dict[str, Any]:
        """Apply the fields that differ; record ``organisation_updated`` when anything changed."""

        def work(session: ClientSession) -> dict[str, Any]:
            current = self.get_organisation(organisation_id, session)
            changes = domain.organisation_changes(current, requested)
            if not changes:
                return current
            updated = self.db[ORGANISATIONS].find_one_and_update(
                {"_id": organisation_id},
                {"$set": {**changes, "updated_at": utcnow()}},
                session=session,
                return_document=ReturnDocument.AFTER,
            )
            self.emit(session, "organisation_updated", domain.organisation_event(updated))
            return updated

        try:
            return self.transaction(work)
        except DuplicateKeyError:
            raise Conflict("an organisation with this code exists", {"code": "already registered"}) from None

    def list_organisations(self, query: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        """A page of organisations whose name contains ``query["name"]`` (any case), by kind and region."""
        selector: dict[str, Any] = {key: query[key] for key in ("kind", "region") if query.get(key)}
        if query.get("name"):
            selector["name"] = {"$regex": re.escape(query["name"]), "$options": "i"}
        return paginate(self.db[ORGANISATIONS], selector, query["limit"], query["cursor"])

    # memberships

    def create_membership(self, alliance_id: str, organisation_id: str, role: str,
                          by: str | None) -> dict[str, Any]:
        """An ``applied`` membership, its first history line and ``membership_changed``, together."""
        now = utcnow()
        membership = domain.new_membership(new_id(), alliance_id, organisation_id, role, by, now)

        def work(session: ClientSession) -> None:
            # Writing the alliance makes concurrent applications to it conflict, so two
            # organisations cannot both pass the single-lead check.
            self._touch_alliance(session, alliance_id, now)
            self.get_organisation(organisation_id, session)
            others = self.db[MEMBERSHIPS].find(
                {"alliance_id": alliance_id}, {"role": 1, "status": 1}, session=session
            )
            domain.check_single_lead(((m["role"], m["status"]) for m in others), role)
            self.db[MEMBERSHIPS].insert_one(membership, session=session)
            self.emit(session, "membership_changed", domain.membership_event(membership, None, None))

        try:
            self.transaction(work)
        except DuplicateKeyError:
            existing = self.db[MEMBERSHIPS].find_one(
                {"alliance_id": alliance_id, "organisation_id": organisation_id}, {"status": 1}
            )
            raise Conflict(
                "the organisation already has a membership of this alliance",
                {"membership_id": existing["_id"], "current_state": existing["status"]} if existing else {},
            ) from None
        return membership

    def change_membership_status(self, membership_id: str, action: str, by: str | None,
                                 reason: str | None) -> dict[str, Any]:
        """Apply a lifecycle action: the status, its history line and ``membership_changed``, together."""

        def work(session: ClientSession) -> dict[str, Any]:
            membership = self.get_membership(membership_id, session)
            old_status = membership["status"]
            new_status = domain.next_membership_status(old_status, action).value
            now = utcnow()
            updated = self.db[MEMBERSHIPS].find_one_and_update(
                {"_id": membership_id},
                {
                    "$set": {"status": new_status, "updated_at": now},
                    "$push": {"history": domain.history_entry(old_status, new_status, now, by, reason)},
                },
                session=session,
                return_document=ReturnDocument.AFTER,
            )
            alliance = self._touch_alliance(session, membership["alliance_id"], now)
            lead = domain.lead_organisation_after(
                alliance.get("lead_organisation_id"), membership["role"],
                membership["organisation_id"], new_status,
            )
            if lead != alliance.get("lead_organisation_id"):
                self.db[ALLIANCES].update_one(
                    {"_id": alliance["_id"]}, {"$set": {"lead_organisation_id": lead}}, session=session
                )
            self.emit(session, "membership_changed", domain.membership_event(updated, old_status, reason))
            return updated

        return self.transaction(work)

    def get_membership(self, membership_id: str, session: ClientSession | None = None) -> dict[str, Any]:
        membership = self.db[MEMBERSHIPS].find_one({"_id": membership_id}, session=session)
        if membership is None:
            raise NotFound(f"membership {membership_id} not found")
        return membership

    def list_memberships(self, alliance_id: str,
                         query: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        self.get_alliance(alliance_id)
        selector = {"alliance_id": alliance_id,
                    **{key: query[key] for key in ("status", "role", "organisation_id") if query.get(key)}}
        return paginate(self.db[MEMBERSHIPS], selector, query["limit"], query["cursor"])

    def _touch_alliance(self, session: ClientSession, alliance_id: str, now) -> dict[str, Any]:
        alliance = self.db[ALLIANCES].find_one_and_update(
            {"_id": alliance_id}, {"$set": {"updated_at": now}}, session=session,
            return_document=ReturnDocument.AFTER,
        )
        if alliance is None:
            raise NotFound(f"alliance {alliance_id} not found")
        return alliance

    # people

    def create_person(self, organisation_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        self.get_organisation(organisation_id)
        person = domain.new_person(new_id(), organisation_id, fields, utcnow())

        def work(session: ClientSession) -> None:
            self.db[PEOPLE].insert_one(person, session=session)
            self.emit(session, "person_registered", domain.holder_record(person))

        try:
            self.transaction(work)
        except DuplicateKeyError:
            raise Conflict(
                "a person with this student number exists in the organisation",
                {"student_number": "already registered in this organisation"},
            ) from None
        return person

    def create_people(self, organisation_id: str, people_fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Register a cohort in one transaction, with one ``person_registered`` event each."""
        self.get_organisation(organisation_id)
        now = utcnow()
        people = [domain.new_person(new_id(), organisation_id, fields, now) for fields in people_fields]

        def work(session: ClientSession) -> None:
            self.db[PEOPLE].insert_many(people, ordered=True, session=session)
            self.emit_many(session, "person_registered", [domain.holder_record(person) for person in people])

        try:
            self.transaction(work)
        except DuplicateKeyError:
            raise Conflict(
                "a student number of the cohort is already registered in the organisation",
                {"student_number": "already registered in this organisation"},
            ) from None
        return people

    def get_person(self, person_id: str) -> dict[str, Any]:
        person = self.db[PEOPLE].find_one({"_id": person_id}, {"identity": 0})
        if person is None:
            raise NotFound(f"person {person_id} not found")
        return person

    def list_people(self, organisation_id: str,
                    query: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        self.get_organisation(organisation_id)
        return paginate(self.db[PEOPLE], {"organisation_id": organisation_id}, query["limit"],
                        query["cursor"], projection={"identity": 0})

    def get_person_with_identity(self, person_id: str) -> dict[str, Any]:
        person = self.db[PEOPLE].find_one({"_id": person_id})
        if person is None:
            raise NotFound(f"person {person_id} not found")
        return person

    # portfolio

    def apply_certificate_event(self, session: ClientSession, event_type: str, data: dict[str, Any]) -> None:
        """Update the holder's portfolio from a certificates event."""
        people = self.db[PEOPLE]
        person = people.find_one({"_id": data["holder_id"]}, {"certificates": 1}, session=session)
        if person is None:
            raise NotFound(f"certificate holder {data['holder_id']} not found")
        held = portfolio.apply_certificate_event(person.get("certificates", []), event_type, data)
        # update_one, not find_one_and_update: the embedded server scans the whole
        # collection for findAndModify but uses the _id index for an update.
        people.update_one({"_id": person["_id"]}, {"$set": {"certificates": held}}, session=session)

