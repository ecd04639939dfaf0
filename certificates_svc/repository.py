"""The only module that touches certificates_svc's collections."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from pymongo import ReturnDocument, UpdateOne
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from certificates_svc.assessments import ItemState
from certificates_svc.lifecycle import CertificateStatus
from services.clock import utcnow
from services.errors import NotFound
from services.mongo import Repository
from services.pagination import paginate, paginate_by_position

CERTIFICATES = "certificates"
COUNTERS = "counters"
COUNTER_ATTEMPTS = 5
HOLDERS = "holders"  # read model of members' people
ISSUERS = "issuers"  # read model of members' organisations
STATUS_LISTS = "status_lists"  # per list: the indices whose bit is set
JOBS = "jobs"
JOB_ITEMS = "job_items"
OUTCOMES = "assessment_outcomes"
AWARD_EVENTS = "award_events"  # the latest results revision applied per event
ORGANISED_EVENTS = "organised_events"  # read model of events_svc's events: who organised each
REGISTRATIONS = "registrations"  # read model of events_svc's registrations: who holds a place
SHARE_LINKS = "share_links"

STATUS_INDEX_COUNTER = "status-list-index"
# Certificates are listed in the order they were issued in: each has a ``position``, drawn from this
# counter in ranges as numbers are (dense, gaps only where a drawn range was not stored).
POSITION_COUNTER = "list-position"
# Filters that keep few certificates (one holder's, one event's, a number prefix): read whole after
# the cursor. A listing without them is read in ranges of positions (see paginate_by_position).
SELECTIVE_FILTERS = ("holder_id", "source.event_id", "number")
# The CertificateQuery fields that narrow a listing, each matched as stored (query field → stored field).
CERTIFICATE_FILTERS = {
    "holder_id": "holder_id",
    "issuer_id": "issuer_id",
    "holder_organisation_id": "holder_organisation_id",
    "kind": "kind",
    "status": "status",
    "event_id": "source.event_id",
    "occupation": "occupation",
    "level": "level",
}
# The two ways a certificate concerns an organisation: it issued it, or the holder is one of its people.
ORGANISATION_PARTIES = ("issuer_id", "holder_organisation_id")
# What a list item carries: the certificate as answered, with its credential's id but not the credential.
LIST_PROJECTION = dict.fromkeys(
    (
        "number", "kind", "title", "description", "holder_id", "holder_organisation_id", "issuer_id",
        "issuer_name", "issuer_did", "occupation", "work_type", "level", "evidence", "issued_at",
        "valid_until", "status", "status_reason", "status_changed_at", "credential.id",
    ),
    1,
)  # fmt: skip
# Years of issue are counted in the alliance's time zone.
ISSUE_YEAR_ZONE = ZoneInfo("Asia/Shanghai")


def issued_in(year: int) -> dict[str, datetime]:
    """The ``issued_at`` range of a year of issue (stored in UTC, counted in the alliance's time zone)."""
    start = datetime(year, 1, 1, tzinfo=ISSUE_YEAR_ZONE).astimezone(timezone.utc)
    end = datetime(year + 1, 1, 1, tzinfo=ISSUE_YEAR_ZONE).astimezone(timezone.utc)
    return {"$gte": start, "$lt": end}


class CertificatesRepository(Repository):
    """Certificates, their number counters and status lists, jobs, outcomes and the read models."""

    INDEXES = [
        (CERTIFICATES, [("number", 1)], {"unique": True}),
        # Lists page by position: each list filter with the position after it, so that one filter
        # and a page's range of positions are one index range.
        (CERTIFICATES, [("position", 1)], {"unique": True}),
        (CERTIFICATES, [("holder_id", 1), ("position", 1)], {}),
        (CERTIFICATES, [("issuer_id", 1), ("position", 1)], {}),
        (CERTIFICATES, [("holder_organisation_id", 1), ("position", 1)], {}),
        (CERTIFICATES, [("kind", 1), ("position", 1)], {}),
        (CERTIFICATES, [("status", 1), ("position", 1)], {}),
        (CERTIFICATES, [("occupation", 1), ("position", 1)], {}),
        (CERTIFICATES, [("level", 1), ("position", 1)], {}),
        (CERTIFICATES, [("status_index", 1)], {"unique": True}),
        # One certificate per (job key, person), per award revision: resends issue nothing twice.
        (
            CERTIFICATES,
            [("issuance_key", 1)],
            {"unique": True, "partialFilterExpression": {"issuance_key": {"$type": "string"}}},
        ),
        (CERTIFICATES, [("source.event_id", 1), ("position", 1)], {}),
        (JOBS, [("issuer_id", 1), ("_id", 1)], {}),
        (JOBS, [("kind", 1), ("_id", 1)], {}),
        (JOBS, [("status", 1), ("_id", 1)], {}),
        (JOB_ITEMS, [("state", 1), ("job_id", 1), ("index", 1)], {}),
        (JOB_ITEMS, [("claim", 1)], {}),
        (JOB_ITEMS, [("state", 1), ("lease_until", 1)], {}),
        (OUTCOMES, [("organisation_id", 1), ("year", 1)], {}),
        (OUTCOMES, [("year", 1)], {}),
        (ORGANISED_EVENTS, [("organiser_id", 1)], {}),
        (REGISTRATIONS, [("person_ids", 1)], {}),
        (SHARE_LINKS, [("token_digest", 1)], {"unique": True}),
        (SHARE_LINKS, [("number", 1), ("created_at", 1)], {}),
    ]
    # Lists paged by number, and years of issue read by date.
    SUPERSEDED_INDEXES = [
        *((CERTIFICATES, f"{field}_1__id_1") for field in CERTIFICATE_FILTERS.values()),
        (CERTIFICATES, "issued_at_1"),
        (CERTIFICATES, "issuer_id_1_issued_at_1"),
    ]

    @classmethod
    def ensure_indexes(cls, database: Database, config: dict[str, Any] | None = None) -> None:
        """Also bring a database from before list positions up to date: its certificates get positions
        in number order (before the unique index on positions is built), superseded indexes go."""
        if database[COUNTERS].find_one({"_id": POSITION_COUNTER}) is None:
            cls._place_unplaced(database)
        super().ensure_indexes(database, config)

    @classmethod
    def _place_unplaced(cls, database: Database) -> None:
        unplaced = [c["_id"] for c in database[CERTIFICATES].find({"position": {"$exists": False}}, {"_id": 1})]
        repository = cls(database, producer="certificates")
        first = repository.reserve_positions(len(unplaced))  # creates the counter, even for none
        if unplaced:
            database[CERTIFICATES].bulk_write(
                [
                    UpdateOne({"_id": number, "position": {"$exists": False}}, {"$set": {"position": first + offset}})
                    for offset, number in enumerate(sorted(unplaced))
                ]
            )

    # read models fed by members events

    def save_holder(self, session: ClientSession | None, holder: dict[str, Any]) -> None:
        self.db[HOLDERS].replace_one({"_id": holder["_id"]}, holder, upsert=True, session=session)

    def save_holders(self, session: ClientSession, holders: list[dict[str, Any]]) -> None:
        """Record holders with one bulk write (a later record of the same person wins)."""
        self.save_records(session, HOLDERS, holders)

    def save_issuer(self, session: ClientSession | None, issuer: dict[str, Any]) -> None:
        self.db[ISSUERS].replace_one({"_id": issuer["_id"]}, issuer, upsert=True, session=session)

    def find_holders(self, person_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The holders on record; one recorded before subject ids existed counts as unknown, to be asked for."""
        selector = {"_id": {"$in": list(set(person_ids))}, "subject_id": {"$type": "string"}}
        return {h["_id"]: h for h in self.db[HOLDERS].find(selector)}

    def find_issuer(self, organisation_id: str) -> dict[str, Any] | None:
        return self.db[ISSUERS].find_one({"_id": organisation_id})

    # read models fed by events_svc events

    def save_organised_event(self, session: ClientSession | None, event_id: str, organiser_id: str) -> None:
        self.db[ORGANISED_EVENTS].replace_one(
            {"_id": event_id}, {"_id": event_id, "organiser_id": organiser_id}, upsert=True, session=session
        )

    def save_registration(self, session: ClientSession | None, registration: dict[str, Any]) -> None:
        self.db[REGISTRATIONS].replace_one({"_id": registration["_id"]}, registration, upsert=True, session=session)

    def event_participants(self, organiser_id: str, person_ids: list[str]) -> set[str]:
        """Those of ``person_ids`` with a confirmed place at an event ``organiser_id`` organised."""
        people = list(set(person_ids))
        if not people:
            return set()
        events = [e["_id"] for e in self.db[ORGANISED_EVENTS].find({"organiser_id": organiser_id}, {"_id": 1})]
        if not events:
            return set()
        found = self.db[REGISTRATIONS].find(
            {"event_id": {"$in": events}, "confirmed": True, "person_ids": {"$in": people}}, {"person_ids": 1}
        )
        return {person for registration in found for person in registration["person_ids"]} & set(people)

    # numbers and status-list slots

    def reserve_serials(self, key: str, count: int) -> int:
        """The first of ``count`` consecutive serials of a counter, never handed out twice."""
        # No upsert: two first reservations of a new counter racing to create it with one made
        # the embedded server answer no document. The counter is created on its own instead
        # (a duplicate means another reservation created it), and only an increment that
        # answered a document counts, so serials stay gap-free.
        for _ in range(COUNTER_ATTEMPTS):
            counter = self.db[COUNTERS].find_one_and_update(
                {"_id": key}, {"$inc": {"value": count}}, return_document=ReturnDocument.AFTER
            )
            if counter is not None:
                return int(counter["value"]) - count + 1
            try:
                self.db[COUNTERS].insert_one({"_id": key, "value": 0})
            except DuplicateKeyError:
                pass
        raise RuntimeError(f"could not reserve serials of counter {key!r}")

    def reserve_status_indices(self, count: int) -> int:
        """The first of ``count`` consecutive status-list slots (numbered from 0)."""
        return self.reserve_serials(STATUS_INDEX_COUNTER, count) - 1

    def reserve_positions(self, count: int) -> int:
        """The first of ``count`` consecutive list positions (numbered from 1)."""
        return self.reserve_serials(POSITION_COUNTER, count)

    def positions_reserved(self) -> int:
        """The last list position handed out so far (0 for none)."""
        counter = self.db[COUNTERS].find_one({"_id": POSITION_COUNTER}) or {"value": 0}
        return int(counter["value"])

    def status_indices_reserved(self) -> int:
        """How many status-list slots have been handed out so far."""
        counter = self.db[COUNTERS].find_one({"_id": STATUS_INDEX_COUNTER}) or {"value": 0}
        return int(counter["value"])

    def set_indices(self, list_id: str) -> list[int]:
        """The bits set in a status list."""
        stored = self.db[STATUS_LISTS].find_one({"_id": list_id}) or {}
        return list(stored.get("set", []))

    # certificates

    def insert_certificates(self, session: ClientSession, certificates: list[dict[str, Any]]) -> None:
        """Store signed certificates; a taken number or issuance key raises DuplicateKeyError."""
        if certificates:
            self.db[CERTIFICATES].insert_many(certificates, ordered=True, session=session)

    def get_certificate(self, number: str) -> dict[str, Any]:
        certificate = self.find_certificate(number)
        if certificate is None:
            raise NotFound(f"certificate {number} not found")
        return certificate

    def find_certificate(self, number: str) -> dict[str, Any] | None:
        return self.db[CERTIFICATES].find_one({"_id": number})

    def list_certificates(
        self, query: dict[str, Any], with_holder_name: bool = False
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of certificates (without their credentials) matching a loaded CertificateQuery;
        ``with_holder_name`` adds the holder's full name."""
        projection = {**LIST_PROJECTION, "holder_name": 1} if with_holder_name else LIST_PROJECTION
        selector: dict[str, Any] = {
            CERTIFICATE_FILTERS[name]: query[name] for name in CERTIFICATE_FILTERS if name in query
        }
        if "year" in query:
            selector["issued_at"] = issued_in(query["year"])
        if "q" in query:
            # A prefix as a range of the unique number index, not a regular expression over every number.
            selector["number"] = {"$gte": query["q"], "$lt": query["q"] + "\U0010ffff"}
        selectors = [selector]
        if "organisation_id" in query:
            # Either party, as two index lookups merged by position rather than one $or, which the
            # embedded server answers by scanning every certificate.
            organisation_id = query["organisation_id"]
            selectors = [
                {**selector, party: organisation_id}
                for party in ORGANISATION_PARTIES
                if selector.get(party, organisation_id) == organisation_id
            ]
        return paginate_by_position(
            self.db[CERTIFICATES],
            selectors,
            query["limit"],
            query["cursor"],
            projection,
            key="position",
            last=self.positions_reserved(),
            windowed=not any(name in selector for name in SELECTIVE_FILTERS),
        )

    def issued_keys(self, keys: list[str], holder_ids: list[str]) -> set[str]:
        """Those of ``keys`` a stored certificate was already issued under, the keys being those of
        certificates for ``holder_ids``."""
        # Asked by holder: the embedded server does not use the issuance key's partial index for
        # an $in and read every certificate; a certificate issued under a key is for its holder.
        wanted = set(keys)
        found = self.db[CERTIFICATES].find({"holder_id": {"$in": list(set(holder_ids))}}, {"issuance_key": 1})
        return {c["issuance_key"] for c in found if c.get("issuance_key") in wanted}

    # status

    def update_status(self, session: ClientSession, change: dict[str, Any]) -> bool:
        """Record a planned status change, if the stored status is still the one it was planned on."""
        updated = self.db[CERTIFICATES].update_one(
            {"_id": change["number"], "status": change["stored_status"]},
            {
                "$set": {
                    "status": change["new_status"],
                    "status_reason": change["reason"],
                    "status_category": change.get("category"),
                    "status_changed_at": change["changed_at"],
                    **({"superseded_by": change["replaced_by"]} if change.get("replaced_by") else {}),
                    "status_changed_by": change.get("by"),
                },
                # The fields above hold the last change only; the history keeps each one.
                "$push": {
                    "history": {
                        "from_status": change["old_status"],
                        "to_status": change["new_status"],
                        "at": change["changed_at"],
                        "by": change.get("by"),
                        "reason": change["reason"],
                        "category": change.get("category"),
                    }
                },
            },
            session=session,
        )
        return updated.matched_count == 1

    def set_status_bit(self, session: ClientSession, list_id: str, bit: int, value: bool) -> None:
        """Set or clear one bit of a status list."""
        operator = {"$addToSet": {"set": bit}} if value else {"$pull": {"set": bit}}
        self.db[STATUS_LISTS].update_one({"_id": list_id}, operator, upsert=True, session=session)

    # jobs

    def create_job(self, job: dict[str, Any], items: list[dict[str, Any]]) -> None:
        """Store a job with all its items, or neither."""

        def work(session: ClientSession) -> None:
            self.db[JOBS].insert_one(job, session=session)
            self.db[JOB_ITEMS].insert_many(items, ordered=False, session=session)

        self.transaction(work)

    def get_job(self, job_id: str, session: ClientSession | None = None) -> dict[str, Any]:
        job = self.db[JOBS].find_one({"_id": job_id}, session=session)
        if job is None:
            raise NotFound(f"job {job_id} not found")
        return job

    def list_jobs(self, query: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        """One page of jobs (without their per-item errors) matching a loaded JobQuery."""
        selector = {name: query[name] for name in ("issuer_id", "kind", "status") if name in query}
        return paginate(self.db[JOBS], selector, query["limit"], query["cursor"], {"errors": 0, "key": 0})

    def claim_items(self, chunk: int, lease_seconds: float) -> tuple[str, list[dict[str, Any]]] | None:
        """Claim up to ``chunk`` items of the oldest job with work left, with a lease."""
        now = utcnow()
        items = self.db[JOB_ITEMS]
        # Equality on the indexed state (never an $or, which scans every item ever queued).
        pending = {"state": ItemState.PENDING.value}
        expired = {"state": ItemState.CLAIMED.value, "lease_until": {"$lt": now}}
        # The first pending items in job order are the oldest job's: one read finds the job and its chunk.
        head = list(items.find(pending, {"job_id": 1, "index": 1}).sort([("job_id", 1), ("index", 1)]).limit(chunk))
        first = head[0] if head else items.find_one(expired, {"job_id": 1})
        if first is None:
            return None
        job_id = first["job_id"]
        indices = [i["index"] for i in head if i["job_id"] == job_id]
        groups: list[dict[str, Any]] = []
        if indices:
            # The job's items still pending between the chunk's first and last index are among these
            # (an item never becomes pending again), so a range of the (state, job_id, index) index
            # claims them, where the embedded server checks an $in of their ids against each id in turn.
            groups.append({**pending, "job_id": job_id, "index": {"$gte": indices[0], "$lte": indices[-1]}})
        if len(indices) < chunk:
            ids = [i["_id"] for i in items.find({**expired, "job_id": job_id}, {"_id": 1}).limit(chunk - len(indices))]
            if ids:
                groups.append({"_id": {"$in": ids}, **expired})
        token = uuid.uuid4().hex
        claim = {
            "$set": {
                "state": ItemState.CLAIMED.value,
                "claim": token,
                "lease_until": now + timedelta(seconds=lease_seconds),
            }
        }

        def take(session: ClientSession) -> None:
            for still_claimable in groups:
                items.update_many(still_claimable, claim, session=session)

        # In a transaction, a clash with the open transaction of an instance that died mid-chunk
        # is a WriteConflict that is retried until the server aborts the orphan (60 s), where a
        # plain update would wait on it inside the server.
        self.transaction(take)
        return token, list(self.db[JOB_ITEMS].find({"claim": token}).sort("index", 1))

    def release_items(self, session: ClientSession, token: str, done_ids: list[str], failed_ids: list[str]) -> int:
        """Mark the items claimed under ``token`` finished, ``failed_ids`` failed and the others done;
        how many were still held under ``token``. Between them the two lists name every item of the claim.
        """

        def finish(selector: dict[str, Any], state: ItemState) -> int:
            return (
                self.db[JOB_ITEMS]
                .update_many(
                    {**selector, "claim": token, "state": ItemState.CLAIMED.value},
                    {"$set": {"state": state.value}, "$unset": {"lease_until": ""}},
                    session=session,
                )
                .modified_count
            )

        # By the claim's index rather than an $in of every id, which the embedded server checks
        # against each candidate id by id.
        failed = finish({"_id": {"$in": failed_ids}}, ItemState.FAILED) if failed_ids else 0
        return failed + (finish({}, ItemState.DONE) if done_ids else 0)

    def record_progress(
        self, session: ClientSession, job_id: str, counts: dict[str, int], errors: list[dict[str, Any]]
    ) -> None:
        """Add a chunk's counts and per-item errors to its job."""
        self.db[JOBS].update_one(
            {"_id": job_id},
            {"$inc": counts, "$push": {"errors": {"$each": errors}}, "$set": {"updated_at": utcnow()}},
            session=session,
        )

    def items_left(self, job_id: str) -> int:
        """How many of a job's items are not finished yet."""
        return self.db[JOB_ITEMS].count_documents(
            {"job_id": job_id, "state": {"$in": [ItemState.PENDING.value, ItemState.CLAIMED.value]}}
        )

    def move_job(
        self, session: ClientSession | None, job_id: str, sources: list[str], target: str, **fields: Any
    ) -> bool:
        """Set a job's status to ``target`` if it is one of ``sources``; whether it moved."""
        moved = self.db[JOBS].update_one(
            {"_id": job_id, "status": {"$in": sources}},
            {"$set": {"status": target, **fields}},
            session=session,
        )
        return moved.matched_count == 1

    # statistics

    def save_outcomes(self, session: ClientSession, outcomes: list[dict[str, Any]]) -> None:
        """Store assessed candidates' outcomes; a re-run replaces, never doubles, a candidate's record."""
        if outcomes:
            self.db[OUTCOMES].bulk_write(
                [UpdateOne({"_id": o["_id"]}, {"$set": o}, upsert=True) for o in outcomes],
                ordered=False,
                session=session,
            )

    def outcomes(self, organisation_id: str | None, year: int) -> list[dict[str, Any]]:
        """The assessment outcomes of an organisation's people in a year (everyone's for None)."""
        selector: dict[str, Any] = {"year": year}
        if organisation_id is not None:
            selector["organisation_id"] = organisation_id
        return list(
            self.db[OUTCOMES].find(selector, {"organisation_id": 1, "occupation": 1, "level": 1, "certified": 1})
        )

    # awards from event results

    def award_revision(self, event_id: str) -> int:
        """The latest results revision of an event that certificates were issued for (0 for none)."""
        record = self.db[AWARD_EVENTS].find_one({"_id": event_id}) or {"revision": 0}
        return int(record["revision"])

    def standing_awards(self, event_id: str) -> dict[str, dict[str, Any]]:
        """``{holder_id: {number, award}}`` of the event's certificates that are not revoked."""
        found = self.db[CERTIFICATES].find(
            {"source.event_id": event_id, "status": {"$ne": CertificateStatus.REVOKED.value}},
            {"holder_id": 1, "number": 1, "source.award": 1, "status": 1, "status_index": 1, "valid_until": 1},
        )
        return {c["holder_id"]: {**c, "award": c["source"]["award"]} for c in found}

    def set_award_revision(self, session: ClientSession, event_id: str, revision: int) -> None:
        """Record the results revision of an event that its certificates now follow."""
        self.db[AWARD_EVENTS].update_one(
            {"_id": event_id}, {"$set": {"revision": revision}}, upsert=True, session=session
        )

    # share links

    def insert_share_link(self, link: dict[str, Any]) -> None:
        self.db[SHARE_LINKS].insert_one(link)

    def share_links_of(self, number: str) -> list[dict[str, Any]]:
        """A certificate's share links, oldest first."""
        return list(self.db[SHARE_LINKS].find({"number": number}).sort("created_at", 1))

    def find_share_link(self, token_digest: str) -> dict[str, Any] | None:
        return self.db[SHARE_LINKS].find_one({"token_digest": token_digest})

    def revoke_share_link(self, number: str, link_id: str, now: Any) -> dict[str, Any]:
        """Mark a certificate's share link revoked (once; revoking again changes nothing)."""
        self.db[SHARE_LINKS].update_one(
            {"_id": link_id, "number": number, "revoked_at": None}, {"$set": {"revoked_at": now}}
        )
        link = self.db[SHARE_LINKS].find_one({"_id": link_id, "number": number})
        if link is None:
            raise NotFound(f"share link {link_id} of certificate {number} not found")
        return link
