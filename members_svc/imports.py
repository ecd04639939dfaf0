"""Roster imports as jobs: a checked cohort is queued, and a worker registers it in the background,
reporting progress, so that a school's whole roster never waits on one request's deadline.

``all_or_nothing`` registers the cohort in one transaction: every person, or (if a student number
was taken meanwhile) none. ``row_level`` registers it in chunks, each in its own transaction, and a
person whose student number was taken meanwhile is reported as that row's error.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from enum import Enum
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from members_svc import domain
from members_svc.repository import MembersRepository, new_id
from services.clock import utcnow
from services.errors import Conflict

log = logging.getLogger(__name__)


class ImportMode(str, Enum):
    ALL_OR_NOTHING = "all_or_nothing"
    ROW_LEVEL = "row_level"


class ImportStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


TAKEN_MEANWHILE = "already registered in this organisation (registered while the import waited)"


def new_people_import(
    import_id: str,
    organisation_id: str,
    mode: str,
    prepared: list[dict[str, Any]],
    rows: list[int],
    by: str | None,
    now: datetime,
) -> dict[str, Any]:
    """A queued import of people as stored (ID numbers already digested), each with their row."""
    return {
        "_id": import_id,
        "organisation_id": organisation_id,
        "mode": ImportMode(mode).value,
        "status": ImportStatus.QUEUED.value,
        "people": [{**fields, "row": row} for fields, row in zip(prepared, rows, strict=True)],
        "total": len(prepared),
        "next": 0,
        "registered": 0,
        "failed": 0,
        "errors": [],
        "by": by,
        "created_at": now,
        "finished_at": None,
    }


def submit_people_import(
    repository: MembersRepository,
    organisation_id: str,
    request: dict[str, Any],
    identity_key: bytes,
    by: str | None,
) -> dict[str, Any]:
    """Queue a validated PeopleImportCreate; refused whole (as a cohort is) if any person is invalid."""
    rows = request["rows"] or list(range(1, len(request["people"]) + 1))
    prepared = domain.cohort_fields(request["people"], identity_key)
    repository.get_organisation(organisation_id)
    numbers = [fields["student_number"] for fields in prepared if fields.get("student_number")]
    digests = [fields["identity"]["digest"] for fields in prepared if fields.get("identity")]
    problems = domain.cohort_problems(
        dict(enumerate(prepared)), *repository.people_holding(organisation_id, numbers, digests)
    )
    if problems:
        raise Conflict(
            "people of the roster are registered already or appear twice; preview the import to see which",
            {"people": {str(index): found for index, found in problems.items()}},
        )
    job = new_people_import(new_id(), organisation_id, request["mode"], prepared, rows, by, utcnow())
    repository.insert_people_import(job)
    job.pop("people")
    return job


class PeopleImportWorker:
    """Registers the people of queued imports; any instance resumes what a dead one left."""

    def __init__(self, repository: MembersRepository, chunk_size: int, lease_seconds: float) -> None:
        self.repository = repository
        self.chunk_size = chunk_size
        self.lease_seconds = lease_seconds

    def run(self, budget_seconds: float) -> bool:
        """Work on imports until none waits or the time budget is spent; whether any waited."""
        deadline = time.monotonic() + budget_seconds
        worked = False
        while time.monotonic() < deadline:
            job = self.repository.claim_people_import(self.lease_seconds)
            if job is None:
                return worked
            worked = True
            self.work_on(job, deadline)
        return worked

    def work_on(self, job: dict[str, Any], deadline: float) -> None:
        """Register the import's people from where it stands; close it once all are through."""
        people = job.get("people") or []
        if job["mode"] == ImportMode.ALL_OR_NOTHING.value:
            status = self._register_all(job, people)
            if status is not None:
                self.repository.finish_people_import(job["_id"], status, utcnow())
            return
        start = job["next"]
        while start < len(people):
            if time.monotonic() >= deadline:
                self.repository.release_people_import(job["_id"])  # the next tick resumes at ``next``
                return
            end = min(start + self.chunk_size, len(people))
            if not self._register_chunk(job, people, start, end):
                log.warning("roster import %s: another worker took over", job["_id"])
                return
            start = end
        self.repository.finish_people_import(job["_id"], ImportStatus.DONE.value, utcnow())

    def _register_all(self, job: dict[str, Any], people: list[dict[str, Any]]) -> str | None:
        """Every person in one transaction: the import's final status, None if another worker did it."""
        try:
            registered = self._store(job, people, 0, len(people))
        except DuplicateKeyError:
            errors = [{"row": None, "field": "student_number", "messages": [TAKEN_MEANWHILE + "; nothing was written"]}]
            failed = self.repository.advance_people_import(
                None, job["_id"], 0, len(people), {"inc": {"failed": len(people)}, "errors": errors}
            )
            return ImportStatus.FAILED.value if failed else None
        return ImportStatus.DONE.value if registered else None

    def _register_chunk(self, job: dict[str, Any], people: list[dict[str, Any]], start: int, end: int) -> bool:
        try:
            return self._store(job, people, start, end)
        except DuplicateKeyError:
            pass
        # Someone took a student number meanwhile: one by one, to tell which row it was.
        for index in range(start, end):
            try:
                if not self._store(job, people, index, index + 1):
                    return False
            except DuplicateKeyError:
                error = {"row": people[index]["row"], "field": "student_number", "messages": [TAKEN_MEANWHILE]}
                changes = {"inc": {"failed": 1}, "errors": [error]}
                if not self.repository.advance_people_import(None, job["_id"], index, index + 1, changes):
                    return False
        return True

    def _store(self, job: dict[str, Any], people: list[dict[str, Any]], start: int, end: int) -> bool:
        """Register people ``start``..``end`` with their events and the import's progress, together."""
        now = utcnow()
        chunk = [
            domain.new_person(new_id(), job["organisation_id"], {k: v for k, v in fields.items() if k != "row"}, now)
            for fields in people[start:end]
        ]

        def work(session: ClientSession) -> bool:
            changes = {"inc": {"registered": len(chunk)}}
            if not self.repository.advance_people_import(session, job["_id"], start, end, changes):
                return False
            self.repository.insert_people(session, chunk)
            self.repository.emit_many(session, "person_registered", [domain.holder_record(p) for p in chunk])
            return True

        return self.repository.transaction(work)
