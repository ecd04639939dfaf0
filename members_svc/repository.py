"""The only module that touches members_svc's collections: queries, inserts, updates, indexes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument, UpdateOne
from pymongo.client_session import ClientSession
from pymongo.database import Database

from members_svc.domain import MembershipStatus, is_open_membership
from services.clock import utcnow
from services.errors import NotFound
from services.identity import normalise_name
from services.mongo import Repository
from services.pagination import paginate

ACCOUNTS = "accounts"
ALLIANCES = "alliances"
OIDC_LINKS = "oidc_links"
PASSWORD_RESETS = "password_resets"
SESSIONS = "sessions"
MEMBERSHIPS = "memberships"
ORGANISATIONS = "organisations"
PEOPLE = "people"
PEOPLE_IMPORTS = "people_imports"

Page = tuple[list[dict[str, Any]], str | None]

_OPEN_STATUSES = frozenset(s.value for s in MembershipStatus if is_open_membership(s.value))


def name_key(name: str) -> str:
    """A name as people search compares it: normalised as identity compares names, and case-folded."""
    return normalise_name(name).casefold()


def with_name_key(person: dict[str, Any]) -> dict[str, Any]:
    """A person (or the fields changing) with the search key of its name, when it has a name."""
    return {**person, "name_key": name_key(person["name"])} if isinstance(person.get("name"), str) else person


def people_selector(organisation_id: str, query: dict[str, Any]) -> dict[str, Any]:
    """What a loaded PeopleQuery selects among an organisation's people."""
    selector: dict[str, Any] = {
        "organisation_id": organisation_id,
        # Stored people carry no ``archived`` until archived once; $in rather than $ne stays on an index.
        "archived": True if query["status"] == "archived" else {"$in": [False, None]},
    }
    for name in ("kind", "student_number", "major", "class_name"):
        if name in query:
            selector[name] = query[name]
    if "name" in query:
        key = name_key(query["name"])
        selector["name_key"] = (
            {"$gte": key, "$lt": key + "\U0010ffff"} if query["name_match"] == "prefix" else {"$regex": re.escape(key)}
        )
    return selector


def new_id() -> str:
    """A new record id; ObjectId strings sort by creation time, which cursor pagination relies on."""
    return str(ObjectId())


class MembersRepository(Repository):
    INDEXES = [
        # One open membership per organisation and alliance; ended ones stay beside it as history.
        (
            MEMBERSHIPS,
            [("alliance_id", 1), ("open_organisation_id", 1)],
            {"unique": True, "partialFilterExpression": {"open_organisation_id": {"$type": "string"}}},
        ),
        (MEMBERSHIPS, [("alliance_id", 1), ("organisation_id", 1)], {"name": "alliance_organisation"}),
        (MEMBERSHIPS, [("alliance_id", 1), ("status", 1), ("role", 1)], {}),
        (ORGANISATIONS, [("kind", 1), ("region", 1)], {}),
        (ORGANISATIONS, [("name", 1)], {}),
        # Names are unique once normalised (see domain.organisation_name_key).
        (
            ORGANISATIONS,
            [("name_key", 1)],
            {"unique": True, "partialFilterExpression": {"name_key": {"$type": "string"}}},
        ),
        (ORGANISATIONS, [("code", 1)], {"unique": True, "partialFilterExpression": {"code": {"$type": "string"}}}),
        (
            PEOPLE,
            [("organisation_id", 1), ("student_number", 1)],
            {"unique": True, "partialFilterExpression": {"student_number": {"$type": "string"}}},
        ),
        # One person per ID number in an organisation; the number is known only by its keyed digest.
        (
            PEOPLE,
            [("organisation_id", 1), ("identity.digest", 1)],
            {"unique": True, "partialFilterExpression": {"identity.digest": {"$type": "string"}}},
        ),
        (
            PEOPLE,
            [("organisation_id", 1), ("class_name", 1)],
            {"partialFilterExpression": {"class_name": {"$type": "string"}}},
        ),
        # The people list's filters, each with the id after it for the page cursor.
        (PEOPLE, [("organisation_id", 1), ("archived", 1), ("_id", 1)], {}),
        (PEOPLE, [("organisation_id", 1), ("kind", 1), ("_id", 1)], {}),
        (PEOPLE, [("organisation_id", 1), ("name_key", 1)], {}),
        # Workers look for imports waiting or left by a dead worker; finished ones are many.
        (PEOPLE_IMPORTS, [("status", 1), ("lease_until", 1)], {}),
        (ACCOUNTS, [("login", 1)], {"unique": True}),
        # A person has at most one account.
        (ACCOUNTS, [("person_id", 1)], {"unique": True, "partialFilterExpression": {"person_id": {"$type": "string"}}}),
        (ACCOUNTS, [("roles.organisation_id", 1)], {}),
        (SESSIONS, [("family_id", 1)], {}),
        (SESSIONS, [("account_id", 1)], {}),
        (SESSIONS, [("expires_at", 1)], {"expireAfterSeconds": 0}),
        (PASSWORD_RESETS, [("expires_at", 1)], {"expireAfterSeconds": 0}),
        (OIDC_LINKS, [("account_id", 1)], {}),
    ]
    SUPERSEDED_INDEXES = [
        # An organisation's membership of an alliance, unique for good (before membership periods).
        (MEMBERSHIPS, "alliance_id_1_organisation_id_1"),
        # A portfolio's certificate numbers: read by nothing, rewritten with every certificate a person gets.
        (PEOPLE, "certificates.number_1"),
    ]

    @classmethod
    def ensure_indexes(cls, database: Database, config: dict[str, Any] | None = None) -> None:
        """Also bring a database from before membership periods up to date: open memberships
        recorded then lack the key the new unique index is on."""
        memberships = database[MEMBERSHIPS]
        unkeyed = {"status": {"$in": list(_OPEN_STATUSES)}, "open_organisation_id": {"$exists": False}}
        for membership in memberships.find(unkeyed, {"organisation_id": 1}):
            memberships.update_one(
                {"_id": membership["_id"]}, {"$set": {"open_organisation_id": membership["organisation_id"]}}
            )
        people = database[PEOPLE]
        for person in people.find({"name_key": {"$exists": False}}, {"name": 1}):
            people.update_one({"_id": person["_id"]}, {"$set": {"name_key": name_key(person["name"])}})
        super().ensure_indexes(database, config)

    # alliances

    def insert_alliance(self, alliance: dict[str, Any]) -> None:
        self.db[ALLIANCES].insert_one(alliance)

    def get_alliance(self, alliance_id: str, session: ClientSession | None = None) -> dict[str, Any]:
        alliance = self.db[ALLIANCES].find_one({"_id": alliance_id}, session=session)
        if alliance is None:
            raise NotFound(f"alliance {alliance_id} not found")
        return alliance

    def update_alliance(self, alliance_id: str, fields: dict[str, Any], history_line: dict[str, Any]) -> dict[str, Any]:
        """Set ``fields``, append the history line and return the alliance as it is now."""
        alliance = self.db[ALLIANCES].find_one_and_update(
            {"_id": alliance_id},
            {"$set": fields, "$push": {"history": history_line}},
            return_document=ReturnDocument.AFTER,
        )
        if alliance is None:
            raise NotFound(f"alliance {alliance_id} not found")
        return alliance

    def touch_alliance(self, session: ClientSession, alliance_id: str, now: datetime) -> dict[str, Any]:
        """Stamp the alliance's ``updated_at`` and return it; a write, so concurrent writers conflict."""
        alliance = self.db[ALLIANCES].find_one_and_update(
            {"_id": alliance_id},
            {"$set": {"updated_at": now}},
            session=session,
            return_document=ReturnDocument.AFTER,
        )
        if alliance is None:
            raise NotFound(f"alliance {alliance_id} not found")
        return alliance

    def set_lead_organisation(self, session: ClientSession, alliance_id: str, organisation_id: str | None) -> None:
        self.db[ALLIANCES].update_one(
            {"_id": alliance_id}, {"$set": {"lead_organisation_id": organisation_id}}, session=session
        )

    def list_alliances(self, query: dict[str, Any]) -> Page:
        return paginate(self.db[ALLIANCES], {}, query["limit"], query["cursor"])

    # organisations

    def insert_organisation(self, session: ClientSession, organisation: dict[str, Any]) -> None:
        self.db[ORGANISATIONS].insert_one(organisation, session=session)

    def get_organisation(self, organisation_id: str, session: ClientSession | None = None) -> dict[str, Any]:
        organisation = self.db[ORGANISATIONS].find_one({"_id": organisation_id}, session=session)
        if organisation is None:
            raise NotFound(f"organisation {organisation_id} not found")
        return organisation

    def update_organisation(
        self, session: ClientSession, organisation_id: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        """Set ``fields`` and return the organisation as it is now."""
        return self.db[ORGANISATIONS].find_one_and_update(
            {"_id": organisation_id},
            {"$set": fields},
            session=session,
            return_document=ReturnDocument.AFTER,
        )

    def list_organisations(self, query: dict[str, Any]) -> Page:
        """A page of organisations whose name contains ``query["name"]`` (any case), by kind and region."""
        selector: dict[str, Any] = {key: query[key] for key in ("kind", "region") if query.get(key)}
        if query.get("name"):
            selector["name"] = {"$regex": re.escape(query["name"]), "$options": "i"}
        return paginate(self.db[ORGANISATIONS], selector, query["limit"], query["cursor"])

    # memberships

    def insert_membership(self, session: ClientSession, membership: dict[str, Any]) -> None:
        self.db[MEMBERSHIPS].insert_one(membership, session=session)

    def roles_and_statuses(
        self, session: ClientSession, alliance_id: str, but: str | None = None
    ) -> list[tuple[str, str]]:
        """``(role, status)`` of each membership of the alliance, except the membership ``but``."""
        selector: dict[str, Any] = {"alliance_id": alliance_id}
        if but is not None:
            selector["_id"] = {"$ne": but}
        memberships = self.db[MEMBERSHIPS].find(selector, {"role": 1, "status": 1}, session=session)
        return [(membership["role"], membership["status"]) for membership in memberships]

    def find_open_membership(self, alliance_id: str, organisation_id: str) -> dict[str, Any] | None:
        """The organisation's open membership of the alliance (its id and status), if any."""
        return self.db[MEMBERSHIPS].find_one(
            {"alliance_id": alliance_id, "open_organisation_id": organisation_id}, {"status": 1}
        )

    def get_membership(self, membership_id: str, session: ClientSession | None = None) -> dict[str, Any]:
        membership = self.db[MEMBERSHIPS].find_one({"_id": membership_id}, session=session)
        if membership is None:
            raise NotFound(f"membership {membership_id} not found")
        return membership

    def set_membership_status(
        self, session: ClientSession, membership_id: str, status: str, history_line: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        """Set the status, append its history line and return the membership as it is now; an
        ended membership gives up its open key, so the organisation may apply again."""
        update: dict[str, Any] = {"$set": {"status": status, "updated_at": now}, "$push": {"history": history_line}}
        if not is_open_membership(status):
            update["$unset"] = {"open_organisation_id": ""}
        return self.db[MEMBERSHIPS].find_one_and_update(
            {"_id": membership_id}, update, session=session, return_document=ReturnDocument.AFTER
        )

    def set_membership_role(
        self, session: ClientSession, membership_id: str, role: str, history_line: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        """Set the role, append its history line and return the membership as it is now."""
        return self.db[MEMBERSHIPS].find_one_and_update(
            {"_id": membership_id},
            {"$set": {"role": role, "updated_at": now}, "$push": {"history": history_line}},
            session=session,
            return_document=ReturnDocument.AFTER,
        )

    def list_memberships(self, alliance_id: str, query: dict[str, Any]) -> Page:
        """A page of the alliance's memberships by status, role and organisation."""
        selector = {
            "alliance_id": alliance_id,
            **{key: query[key] for key in ("status", "role", "organisation_id") if query.get(key)},
        }
        return paginate(self.db[MEMBERSHIPS], selector, query["limit"], query["cursor"])

    # people

    def insert_person(self, session: ClientSession, person: dict[str, Any]) -> None:
        self.db[PEOPLE].insert_one(with_name_key(person), session=session)

    def insert_people(self, session: ClientSession, people: list[dict[str, Any]]) -> None:
        self.db[PEOPLE].insert_many([with_name_key(person) for person in people], ordered=True, session=session)

    def get_person(self, person_id: str) -> dict[str, Any]:
        """A person without the hash of their ID number."""
        person = self.db[PEOPLE].find_one({"_id": person_id}, {"identity": 0})
        if person is None:
            raise NotFound(f"person {person_id} not found")
        return person

    def get_person_with_identity(self, person_id: str, session: ClientSession | None = None) -> dict[str, Any]:
        person = self.db[PEOPLE].find_one({"_id": person_id}, session=session)
        if person is None:
            raise NotFound(f"person {person_id} not found")
        return person

    def update_person(
        self, session: ClientSession, person_id: str, fields: dict[str, Any], history_line: dict[str, Any]
    ) -> dict[str, Any]:
        """Set ``fields``, append the history line and return the person as it is now."""
        return self.db[PEOPLE].find_one_and_update(
            {"_id": person_id},
            {"$set": with_name_key(fields), "$push": {"history": history_line}},
            session=session,
            return_document=ReturnDocument.AFTER,
        )

    def people_holding(
        self, organisation_id: str, student_numbers: list[str], digests: list[str]
    ) -> tuple[set[str], set[str]]:
        """Which of ``student_numbers`` and ID number ``digests`` the organisation's people
        (archived ones too) already hold."""
        held = self.db[PEOPLE].find(
            {
                "organisation_id": organisation_id,
                "$or": [{"student_number": {"$in": student_numbers}}, {"identity.digest": {"$in": digests}}],
            },
            {"student_number": 1, "identity.digest": 1},
        )
        numbers: set[str] = set()
        found_digests: set[str] = set()
        for person in held:
            numbers.add(person.get("student_number"))
            found_digests.add((person.get("identity") or {}).get("digest"))
        return numbers & set(student_numbers), found_digests & set(digests)

    def list_people(self, organisation_id: str, query: dict[str, Any]) -> Page:
        """A page of the organisation's people matching a loaded PeopleQuery, without the hashes of their ID numbers."""
        return paginate(
            self.db[PEOPLE],
            people_selector(organisation_id, query),
            query["limit"],
            query["cursor"],
            projection={"identity": 0, "name_key": 0},
        )

    # roster imports

    def insert_people_import(self, job: dict[str, Any]) -> None:
        self.db[PEOPLE_IMPORTS].insert_one(job)

    def get_people_import(self, import_id: str) -> dict[str, Any]:
        """A roster import without the people it still has to register."""
        job = self.db[PEOPLE_IMPORTS].find_one({"_id": import_id}, {"people": 0})
        if job is None:
            raise NotFound(f"roster import {import_id} not found")
        return job

    def claim_people_import(self, lease_seconds: float) -> dict[str, Any] | None:
        """The oldest import waiting for a worker, or one whose worker's lease ran out, leased to this one."""
        now = utcnow()
        return self.db[PEOPLE_IMPORTS].find_one_and_update(
            {"$or": [{"status": "queued"}, {"status": "running", "lease_until": {"$lt": now}}]},
            {"$set": {"status": "running", "lease_until": now + timedelta(seconds=lease_seconds)}},
            sort=[("_id", 1)],
            return_document=ReturnDocument.AFTER,
        )

    def advance_people_import(
        self, session: ClientSession | None, import_id: str, start: int, end: int, changes: dict[str, Any]
    ) -> bool:
        """Record people ``start``..``end`` as worked through, if no other worker did; whether it did."""
        update: dict[str, Any] = {"$set": {"next": end, **changes.get("set", {})}}
        if changes.get("inc"):
            update["$inc"] = changes["inc"]
        if changes.get("errors"):
            update["$push"] = {"errors": {"$each": changes["errors"]}}
        done = self.db[PEOPLE_IMPORTS].update_one({"_id": import_id, "next": start}, update, session=session)
        return done.modified_count == 1

    def release_people_import(self, import_id: str) -> None:
        """Let the next worker tick resume the import at once."""
        self.db[PEOPLE_IMPORTS].update_one({"_id": import_id}, {"$set": {"lease_until": utcnow()}})

    def finish_people_import(self, import_id: str, status: str, now: datetime) -> None:
        """Close an import and drop the people it carried (their ID numbers' digests with them)."""
        self.db[PEOPLE_IMPORTS].update_one(
            {"_id": import_id},
            {"$set": {"status": status, "finished_at": now}, "$unset": {"people": "", "lease_until": ""}},
        )

    # portfolio

    def portfolio_of(self, session: ClientSession, person_id: str) -> list[dict[str, Any]]:
        """The certificates a person holds; NotFound for an unknown person."""
        person = self.db[PEOPLE].find_one({"_id": person_id}, {"certificates": 1}, session=session)
        if person is None:
            raise NotFound(f"certificate holder {person_id} not found")
        return person.get("certificates", [])

    def save_portfolio(self, session: ClientSession, person_id: str, portfolio: list[dict[str, Any]]) -> None:
        # update_one, not find_one_and_update: the embedded server scans the whole
        # collection for findAndModify but uses the _id index for an update.
        self.db[PEOPLE].update_one({"_id": person_id}, {"$set": {"certificates": portfolio}}, session=session)

    def portfolios_of(self, session: ClientSession, person_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """The certificates each person holds, by id, in one read; NotFound naming the unknown people."""
        wanted = list(dict.fromkeys(person_ids))
        found = {
            person["_id"]: person.get("certificates", [])
            for person in self.db[PEOPLE].find({"_id": {"$in": wanted}}, {"certificates": 1}, session=session)
        }
        unknown = [person_id for person_id in wanted if person_id not in found]
        if unknown:
            raise NotFound(f"certificate holders {', '.join(unknown)} not found")
        return found

    def save_portfolios(self, session: ClientSession, portfolios: dict[str, list[dict[str, Any]]]) -> None:
        """Store several people's portfolios with one bulk write."""
        if portfolios:
            self.db[PEOPLE].bulk_write(
                [
                    UpdateOne({"_id": person_id}, {"$set": {"certificates": held}})
                    for person_id, held in portfolios.items()
                ],
                ordered=False,
                session=session,
            )

    # accounts

    def insert_account(self, session: ClientSession, account: dict[str, Any]) -> None:
        self.db[ACCOUNTS].insert_one(account, session=session)

    def get_account(self, account_id: str, session: ClientSession | None = None) -> dict[str, Any]:
        account = self.db[ACCOUNTS].find_one({"_id": account_id}, session=session)
        if account is None:
            raise NotFound(f"account {account_id} not found")
        return account

    def find_account_by_login(self, login: str) -> dict[str, Any] | None:
        return self.db[ACCOUNTS].find_one({"login": login})

    def update_account(
        self,
        session: ClientSession | None,
        account_id: str,
        fields: dict[str, Any],
        history_line: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Set ``fields`` (and append a history line) and return the account as it is now."""
        update: dict[str, Any] = {"$set": fields}
        if history_line is not None:
            update["$push"] = {"history": history_line}
        account = self.db[ACCOUNTS].find_one_and_update(
            {"_id": account_id}, update, session=session, return_document=ReturnDocument.AFTER
        )
        if account is None:
            raise NotFound(f"account {account_id} not found")
        return account

    def count_failed_sign_in(self, account_id: str) -> int:
        """Add one to the account's failures in a row, atomically; the new count."""
        account = self.db[ACCOUNTS].find_one_and_update(
            {"_id": account_id},
            {"$inc": {"failed_sign_ins": 1}},
            projection={"failed_sign_ins": 1},
            return_document=ReturnDocument.AFTER,
        )
        return account["failed_sign_ins"] if account else 0

    def list_accounts(self, query: dict[str, Any]) -> Page:
        """A page of accounts, of one organisation's roles when ``query`` names it."""
        selector = {"roles.organisation_id": query["organisation_id"]} if query.get("organisation_id") else {}
        return paginate(self.db[ACCOUNTS], selector, query["limit"], query["cursor"])

    # sessions (refresh tokens, by digest) and reset links

    def insert_session(self, record: dict[str, Any]) -> None:
        self.db[SESSIONS].insert_one(record)

    def rotate_session(self, digest: str, now: datetime) -> dict[str, Any] | None:
        """Mark a live refresh token used and return it; None when it is unknown, expired,
        revoked or already used (so of two concurrent refreshes only one wins)."""
        return self.db[SESSIONS].find_one_and_update(
            {"_id": digest, "rotated_at": None, "revoked_at": None, "expires_at": {"$gt": now}},
            {"$set": {"rotated_at": now}},
        )

    def get_session(self, digest: str) -> dict[str, Any] | None:
        return self.db[SESSIONS].find_one({"_id": digest})

    def revoke_sessions(self, selector: dict[str, Any], now: datetime) -> int:
        """Revoke the live refresh tokens ``selector`` picks (a family, or an account's); how many."""
        result = self.db[SESSIONS].update_many({**selector, "revoked_at": None}, {"$set": {"revoked_at": now}})
        return result.modified_count

    def insert_reset(self, record: dict[str, Any]) -> None:
        self.db[PASSWORD_RESETS].insert_one(record)

    def use_reset(self, digest: str, now: datetime) -> dict[str, Any] | None:
        """Mark an unused, unexpired reset link used and return it; None otherwise."""
        return self.db[PASSWORD_RESETS].find_one_and_update(
            {"_id": digest, "used_at": None, "expires_at": {"$gt": now}}, {"$set": {"used_at": now}}
        )

    # single sign-on links: one account per provider subject

    def insert_oidc_link(self, link: dict[str, Any]) -> None:
        self.db[OIDC_LINKS].insert_one(link)

    def find_oidc_link(self, link_id: str) -> dict[str, Any] | None:
        return self.db[OIDC_LINKS].find_one({"_id": link_id})

    def oidc_links_of(self, account_id: str) -> list[dict[str, Any]]:
        return list(self.db[OIDC_LINKS].find({"account_id": account_id}))
