"""The only module that touches members_svc's collections."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from members_svc import domain
from services.errors import Conflict, NotFound
from services.mongo import Repository, utcnow
from services.pagination import paginate

ORGANISATIONS = "organisations"
PEOPLE = "people"


def new_id() -> str:
    return str(ObjectId())


class MembersRepository(Repository):
    INDEXES = [
        (ORGANISATIONS, [("name", 1)], {}),
        (ORGANISATIONS, [("code", 1)],
         {"unique": True, "partialFilterExpression": {"code": {"$type": "string"}}}),
        (PEOPLE, [("organisation_id", 1), ("student_number", 1)],
         {"unique": True, "partialFilterExpression": {"student_number": {"$type": "string"}}}),
        (PEOPLE, [("certificates.number", 1)], {}),
    ]

    # organisations

    def create_organisation(self, fields: dict[str, Any]) -> dict[str, Any]:
        organisation = {"_id": new_id(), **fields, "created_at": utcnow()}

        def work(session: ClientSession) -> None:
            self.db[ORGANISATIONS].insert_one(organisation, session=session)
            self.emit(session, "organisation_registered", organisation_event(organisation))

        try:
            self.transaction(work)
        except DuplicateKeyError:
            raise Conflict("an organisation with this code exists", {"code": "already registered"}) from None
        return organisation

    def get_organisation(self, organisation_id: str) -> dict[str, Any]:
        organisation = self.db[ORGANISATIONS].find_one({"_id": organisation_id})
        if organisation is None:
            raise NotFound(f"organisation {organisation_id} not found")
        return organisation

    def list_organisations(self, query: dict[str, Any], limit: int | None, cursor: str | None):
        return paginate(self.db[ORGANISATIONS], query, limit, cursor)

    # people

    def create_person(self, organisation_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        self.get_organisation(organisation_id)
        person = {
            "_id": new_id(),
            "organisation_id": organisation_id,
            **fields,
            "certificates": [],
            "created_at": utcnow(),
        }

        def work(session: ClientSession) -> None:
            self.db[PEOPLE].insert_one(person, session=session)
            self.emit(session, "person_registered", holder_record(person))

        try:
            self.transaction(work)
        except DuplicateKeyError:
            raise Conflict(
                "a person with this student number exists in the organisation",
                {"student_number": "already registered in this organisation"},
            ) from None
        return person

    def get_person(self, person_id: str) -> dict[str, Any]:
        person = self.db[PEOPLE].find_one({"_id": person_id}, {"identity": 0})
        if person is None:
            raise NotFound(f"person {person_id} not found")
        return person

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
        portfolio = domain.apply_certificate_event(person.get("certificates", []), event_type, data)
        people.find_one_and_update(
            {"_id": person["_id"]},
            {"$set": {"certificates": portfolio}},
            session=session,
            return_document=ReturnDocument.AFTER,
        )


def organisation_event(organisation: dict[str, Any]) -> dict[str, Any]:
    return {
        "organisation_id": organisation["_id"],
        "name": organisation["name"],
        "kind": organisation["kind"],
        "region": organisation.get("region"),
        "district": organisation.get("district"),
        "code": organisation.get("code"),
        "accredited_evaluator": bool(organisation.get("accredited_evaluator")),
        "evaluator": organisation.get("evaluator"),
    }


def holder_record(person: dict[str, Any]) -> dict[str, Any]:
    """The ``person_registered`` payload: no ID number, only its salted hash."""
    identity = person.get("identity") or {}
    return {
        "person_id": person["_id"],
        "organisation_id": person["organisation_id"],
        "name": person["name"],
        "kind": person["kind"],
        "student_number": person.get("student_number"),
        "identity_hash": identity.get("hash"),
        "identity_salt": identity.get("salt"),
    }
