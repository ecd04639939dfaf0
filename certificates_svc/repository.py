"""The only module that touches certificates_svc's collections."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pymongo import ReturnDocument, UpdateOne
from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from certificates_svc import assessments
from certificates_svc.assessments import ItemState
from certificates_svc.lifecycle import CertificateStatus
from certificates_svc.status_list import MIN_LIST_SIZE
from services.clock import utcnow
from services.errors import Conflict, NotFound
from services.mongo import Repository
from services.pagination import paginate

CERTIFICATES = "certificates"
COUNTERS = "counters"
HOLDERS = "holders"  # read model of members' people
ISSUERS = "issuers"  # read model of members' organisations
STATUS_LISTS = "status_lists"  # per list: the indices whose bit is set
JOBS = "jobs"
JOB_ITEMS = "job_items"
OUTCOMES = "assessment_outcomes"
AWARD_EVENTS = "award_events"  # the latest results revision applied per event

STATUS_INDEX_COUNTER = "status-list-index"


class LeaseLost(RuntimeError):
    """Another worker claimed the items after this one's lease ran out."""


class CertificatesRepository(Repository):
    INDEXES = [
        (CERTIFICATES, [("number", 1)], {"unique": True}),
        (CERTIFICATES, [("holder_id", 1)], {}),
        (CERTIFICATES, [("issuer_id", 1), ("issued_at", 1)], {}),
        (CERTIFICATES, [("status_index", 1)], {"unique": True}),
        # One certificate per (job key, person), per award revision: resends issue nothing twice.
        (CERTIFICATES, [("issuance_key", 1)],
         {"unique": True, "partialFilterExpression": {"issuance_key": {"$type": "string"}}}),
        (CERTIFICATES, [("source.event_id", 1)], {}),
        (JOB_ITEMS, [("state", 1), ("job_id", 1), ("index", 1)], {}),
        (JOB_ITEMS, [("claim", 1)], {}),
        (JOB_ITEMS, [("state", 1), ("lease_until", 1)], {}),
        (OUTCOMES, [("organisation_id", 1), ("year", 1)], {}),
    ]

    # read models fed by members events

    def save_holder(self, session: ClientSession | None, holder: dict[str, Any]) -> None:
        self.db[HOLDERS].replace_one({"_id": holder["_id"]}, holder, upsert=True, session=session)

    def save_issuer(self, session: ClientSession | None, issuer: dict[str, Any]) -> None:
        self.db[ISSUERS].replace_one({"_id": issuer["_id"]}, issuer, upsert=True, session=session)

    def find_holder(self, person_id: str) -> dict[str, Any] | None:
        return self.db[HOLDERS].find_one({"_id": person_id})

    def find_holders(self, person_ids: list[str]) -> dict[str, dict[str, Any]]:
        return {h["_id"]: h for h in self.db[HOLDERS].find({"_id": {"$in": list(set(person_ids))}})}

    def find_issuer(self, organisation_id: str) -> dict[str, Any] | None:
        return self.db[ISSUERS].find_one({"_id": organisation_id})

    # numbers and status-list slots

    def reserve_serials(self, key: str, count: int) -> int:
        """The first of ``count`` consecutive serials of a counter, never handed out twice."""
        counter = self.db[COUNTERS].find_one_and_update(
            {"_id": key}, {"$inc": {"value": count}}, upsert=True, return_document=ReturnDocument.AFTER
        )
        return int(counter["value"]) - count + 1

    def reserve_status_indices(self, count: int) -> int:
        return self.reserve_serials(STATUS_INDEX_COUNTER, count) - 1

    def status_list_in_use(self, number: int) -> bool:
        counter = self.db[COUNTERS].find_one({"_id": STATUS_INDEX_COUNTER}) or {"value": 0}
        return number * MIN_LIST_SIZE < int(counter["value"])

    def set_indices(self, list_id: str) -> list[int]:
        stored = self.db[STATUS_LISTS].find_one({"_id": list_id}) or {}
        return list(stored.get("set", []))

    # certificates

    def _insert_certificates(self, session: ClientSession, certificates: list[dict[str, Any]],
                             events: list[dict[str, Any]]) -> None:
        if certificates:
            self.db[CERTIFICATES].insert_many(certificates, ordered=True, session=session)
        self.emit_many(session, "certificate_issued", events)

    def insert_certificate(self, certificate: dict[str, Any], issued_event: dict[str, Any]) -> None:
        """Store a signed certificate and its ``certificate_issued`` event together."""
        try:
            self.transaction(lambda session: self._insert_certificates(session, [certificate],
                                                                       [issued_event]))
        except DuplicateKeyError:
            raise Conflict(f"certificate number {certificate['number']} is taken") from None

    def get_certificate(self, number: str) -> dict[str, Any]:
        certificate = self.find_certificate(number)
        if certificate is None:
            raise NotFound(f"certificate {number} not found")
        return certificate

    def find_certificate(self, number: str) -> dict[str, Any] | None:
        return self.db[CERTIFICATES].find_one({"_id": number})

    def list_certificates(self, query: dict[str, Any], limit: int | None, cursor: str | None):
        return paginate(self.db[CERTIFICATES], query, limit, cursor, projection={"credential": 0})

    def issued_keys(self, keys: list[str]) -> set[str]:
        found = self.db[CERTIFICATES].find({"issuance_key": {"$in": keys}}, {"issuance_key": 1})
        return {c["issuance_key"] for c in found}

    # status

    def _apply_status_change(self, session: ClientSession, change: dict[str, Any],
                             list_ids: dict[str, str], event: dict[str, Any]) -> None:
        updated = self.db[CERTIFICATES].update_one(
            {"_id": change["number"], "status": change["stored_status"]},
            {"$set": {"status": change["new_status"], "status_reason": change["reason"],
                      "status_changed_at": change["changed_at"]}},
            session=session,
        )
        if updated.matched_count != 1:
            raise Conflict(f"certificate {change['number']} changed meanwhile; try again",
                           {"current_state": "changed"})
        bit = change["status_index"] % MIN_LIST_SIZE
        for purpose, value in change["bits"].items():
            operator = {"$addToSet": {"set": bit}} if value else {"$pull": {"set": bit}}
            self.db[STATUS_LISTS].update_one({"_id": list_ids[purpose]}, operator, upsert=True,
                                             session=session)
        self.emit(session, "certificate_status_changed", event)

    def change_status(self, change: dict[str, Any], list_ids: dict[str, str],
                      event: dict[str, Any]) -> None:
        """Update the status, flip its status-list bits and record the event, in one transaction."""
        self.transaction(lambda session: self._apply_status_change(session, change, list_ids, event))

    # jobs

    def create_job(self, job: dict[str, Any], items: list[dict[str, Any]]) -> None:
        def work(session: ClientSession) -> None:
            self.db[JOBS].insert_one(job, session=session)
            self.db[JOB_ITEMS].insert_many(items, ordered=False, session=session)

        self.transaction(work)

    def get_job(self, job_id: str) -> dict[str, Any]:
        job = self.db[JOBS].find_one({"_id": job_id})
        if job is None:
            raise NotFound(f"job {job_id} not found")
        return job

    def claim_items(self, chunk: int, lease_seconds: float) -> tuple[str, list[dict[str, Any]]] | None:
        """Claim up to ``chunk`` items of the oldest job with work left, with a lease."""
        now = utcnow()
        items = self.db[JOB_ITEMS]
        # Equality on the indexed state (never an $or, which scans every item ever queued).
        pending = {"state": ItemState.PENDING.value}
        expired = {"state": ItemState.CLAIMED.value, "lease_until": {"$lt": now}}
        first = (items.find_one(pending, {"job_id": 1}, sort=[("job_id", 1), ("index", 1)])
                 or items.find_one(expired, {"job_id": 1}))
        if first is None:
            return None
        job_id = first["job_id"]
        ids = [i["_id"] for i in items.find({**pending, "job_id": job_id}, {"_id": 1}).sort("index", 1).limit(chunk)]
        groups = [(pending, ids)]
        if len(ids) < chunk:
            groups.append((expired, [i["_id"] for i in items.find({**expired, "job_id": job_id}, {"_id": 1})
                                     .limit(chunk - len(ids))]))
        token = uuid.uuid4().hex
        claim = {"$set": {"state": ItemState.CLAIMED.value, "claim": token,
                          "lease_until": now + timedelta(seconds=lease_seconds)}}

        def take(session: ClientSession) -> None:
            for still_claimable, group in groups:
                if group:
                    items.update_many({"_id": {"$in": group}, **still_claimable}, claim, session=session)

        # In a transaction, a clash with the open transaction of an instance that died mid-chunk
        # is a WriteConflict that is retried until the server aborts the orphan (60 s), where a
        # plain update would wait on it inside the server.
        self.transaction(take)
        sources, running = assessments.job_transition("start")
        self.db[JOBS].update_one({"_id": job_id, "status": {"$in": sources}},
                                 {"$set": {"status": running, "started_at": now}})
        return token, list(self.db[JOB_ITEMS].find({"claim": token}).sort("index", 1))

    def complete_chunk(self, job_id: str, token: str, certificates: list[dict[str, Any]],
                       events: list[dict[str, Any]], outcomes: list[dict[str, Any]],
                       done_ids: list[str], errors: list[dict[str, Any]], counts: dict[str, int]) -> None:
        """Store a chunk's certificates, events, outcomes and progress in one transaction."""

        def work(session: ClientSession) -> None:
            failed_ids = [e["item_id"] for e in errors]
            marked = self.db[JOB_ITEMS].update_many(
                {"_id": {"$in": done_ids + failed_ids}, "claim": token, "state": ItemState.CLAIMED.value},
                {"$set": {"state": ItemState.DONE.value}, "$unset": {"lease_until": ""}},
                session=session,
            )
            if marked.modified_count != len(done_ids) + len(failed_ids):
                raise LeaseLost(f"job {job_id}: the chunk's lease ran out")
            if failed_ids:
                self.db[JOB_ITEMS].update_many({"_id": {"$in": failed_ids}},
                                               {"$set": {"state": ItemState.FAILED.value}},
                                               session=session)
            self._insert_certificates(session, certificates, events)
            if outcomes:
                self.db[OUTCOMES].bulk_write(
                    [UpdateOne({"_id": o["_id"]}, {"$set": o}, upsert=True) for o in outcomes],
                    ordered=False, session=session,
                )
            public_errors = [{k: v for k, v in e.items() if k != "item_id"} for e in errors]
            self.db[JOBS].update_one(
                {"_id": job_id},
                {"$inc": counts, "$push": {"errors": {"$each": public_errors}},
                 "$set": {"updated_at": utcnow()}},
                session=session,
            )

        self.transaction(work)

    def items_left(self, job_id: str) -> int:
        return self.db[JOB_ITEMS].count_documents(
            {"job_id": job_id, "state": {"$in": [ItemState.PENDING.value, ItemState.CLAIMED.value]}})

    def finish_job(self, job_id: str) -> None:
        """Mark a job finished and publish ``batch_completed``, once, whoever gets there first."""

        def work(session: ClientSession) -> None:
            job = self.db[JOBS].find_one({"_id": job_id}, session=session)
            sources, finished = assessments.job_transition(assessments.finishing_action(job))
            moved = self.db[JOBS].update_one(
                {"_id": job_id, "status": {"$in": sources}},
                {"$set": {"status": finished, "finished_at": utcnow()}},
                session=session,
            )
            if moved.matched_count:
                self.emit(session, "batch_completed", assessments.completed_event(job))

        self.transaction(work)

    # statistics

    def outcomes(self, organisation_id: str, year: int) -> list[dict[str, Any]]:
        return list(self.db[OUTCOMES].find({"organisation_id": organisation_id, "year": year},
                                           {"occupation": 1, "level": 1, "certified": 1}))

    # awards from event results

    def award_revision(self, event_id: str) -> int:
        record = self.db[AWARD_EVENTS].find_one({"_id": event_id}) or {"revision": 0}
        return int(record["revision"])

    def standing_awards(self, event_id: str) -> dict[str, dict[str, Any]]:
        """``{holder_id: {number, award}}`` of the event's certificates that are not revoked."""
        found = self.db[CERTIFICATES].find(
            {"source.event_id": event_id, "status": {"$ne": CertificateStatus.REVOKED.value}},
            {"holder_id": 1, "number": 1, "source.award": 1, "status": 1, "status_index": 1,
             "valid_until": 1},
        )
        return {c["holder_id"]: {**c, "award": c["source"]["award"]} for c in found}

    def apply_results(self, session: ClientSession, event_id: str, revision: int,
                      revocations: list[tuple[dict[str, Any], dict[str, str], dict[str, Any]]],
                      certificates: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
        """Within a consumed event's transaction: revoke what changed, issue what is new."""
        for change, list_ids, event in revocations:
            self._apply_status_change(session, change, list_ids, event)
        self._insert_certificates(session, certificates, events)
        self.db[AWARD_EVENTS].update_one({"_id": event_id}, {"$set": {"revision": revision}},
                                         upsert=True, session=session)
