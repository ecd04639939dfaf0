"""The use cases of batch work in certificates_svc: assessments and batches queued as jobs, and the
worker that issues their items in leased chunks, so that any instance resumes what a dead one left.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from bson import ObjectId
from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from certificates_svc import assessments, authority, domain
from certificates_svc.assessments import JobKind
from certificates_svc.issuance import CertificateFactory
from certificates_svc.repository import CertificatesRepository
from certificates_svc.workflows import Directory, issuing_facts, store_issued
from services.clock import utcnow
from services.errors import DomainError, Forbidden, NotFound, error_key

log = logging.getLogger(__name__)

# A chunk that meets a concurrent issue of the same keys is rebuilt without them.
CHUNK_ATTEMPTS = 3


class LeaseLost(RuntimeError):
    """Another worker claimed the items after this one's lease ran out."""


def submit_assessment(
    repository: CertificatesRepository,
    directory: Directory,
    request: dict[str, Any],
    by_admin: bool = False,
    by: str | None = None,
) -> dict[str, Any]:
    """Queue a validated AssessmentCreate: skill-level certificates for those who passed."""
    _admit_assessment(directory, request, by_admin)
    return _queue_job(repository, JobKind.ASSESSMENT, request, by_admin, by)


def check_assessment(
    directory: Directory, request: dict[str, Any], by_admin: bool = False
) -> dict[int, dict[str, list[str]]]:
    """What submitting a validated AssessmentCreate would refuse (raised, as submitting raises it),
    and the candidates who are not registered people, by their index; queues nothing."""
    _admit_assessment(directory, request, by_admin)
    holders = directory.holders([result["person_id"] for result in request["results"]])
    return {
        index: {"person_id": ["not a registered person"]}
        for index, result in enumerate(request["results"])
        if result["person_id"] not in holders
    }


def _admit_assessment(directory: Directory, request: dict[str, Any], by_admin: bool) -> None:
    assessments.check_assessment(request)
    issuer = directory.issuer(request["issuer_id"])
    domain.check_may_issue(authority.SKILL_LEVEL, issuer)
    # Whoever an evaluator's assessment names is a candidate of that assessment.
    facts = authority.IssuingFacts(
        issuer_id=issuer["_id"],
        holder_organisation_id=None,
        assessment_candidate=True,
        accredited_evaluator=bool(issuer.get("accredited_evaluator")),
        by_admin=by_admin,
    )
    for result in request["results"]:
        authority.check_may_issue_to(authority.SKILL_LEVEL, result["person_id"], facts)


def submit_batch(
    repository: CertificatesRepository,
    directory: Directory,
    request: dict[str, Any],
    by_admin: bool = False,
    by: str | None = None,
) -> dict[str, Any]:
    """Queue a validated BatchCreate: one certificate per item, each allowed by an issuing rule."""
    assessments.check_batch(request)
    issuer = directory.issuer(request["issuer_id"])
    for kind in {item["kind"] for item in request["items"]}:
        domain.check_may_issue(kind, issuer)
    # Unknown holders are left to the job, which reports them item by item.
    facts = issuing_facts(
        repository, issuer, directory.holders([item["holder_id"] for item in request["items"]]), by_admin
    )
    refused = [
        (error_key("items", position, "holder_id"), item)
        for position, item in enumerate(request["items"])
        if item["holder_id"] in facts and authority.granting_rule(item["kind"], facts[item["holder_id"]]) is None
    ]
    if refused:
        where, first = refused[0]
        details = authority.refusal_details(first["kind"], first["holder_id"], where)
        for other_where, item in refused[1:]:
            details[other_where] = [authority.refusal_message(item["kind"], item["holder_id"])]
        raise Forbidden(f"{where}: {authority.refusal_message(first['kind'], first['holder_id'])}", details)
    return _queue_job(repository, JobKind.BATCH, request, by=by)


def _queue_job(
    repository: CertificatesRepository,
    kind: JobKind,
    request: dict[str, Any],
    by_admin: bool = False,
    by: str | None = None,
) -> dict[str, Any]:
    job_id = str(ObjectId())
    key = assessments.job_key(kind, request["issuer_id"], request)
    items = assessments.job_items(job_id, kind, key, request)
    job = {
        **assessments.new_job(job_id, kind, key, request, len(items), utcnow()),
        "by_admin": by_admin,
        "submitted_by": by,
    }
    repository.create_job(job, items)
    return job


def start_job(repository: CertificatesRepository, job_id: str) -> None:
    """Mark a queued job running; a job already running or finished stays as it is."""
    sources, running = assessments.job_transition("start")
    repository.move_job(None, job_id, sources, running, started_at=utcnow())


def finish_job(repository: CertificatesRepository, job_id: str) -> None:
    """Mark a job finished and publish ``batch_completed``, once, whoever gets there first."""

    def finish(session: ClientSession) -> None:
        job = repository.get_job(job_id, session)
        sources, finished = assessments.job_transition(assessments.finishing_action(job))
        if repository.move_job(session, job_id, sources, finished, finished_at=utcnow()):
            repository.emit(session, "batch_completed", assessments.completed_event(job))

    repository.transaction(finish)


class JobWorker:
    """Works through job items in leased chunks; any instance resumes what a dead one left."""

    def __init__(
        self,
        repository: CertificatesRepository,
        factory: CertificateFactory,
        directory: Directory,
        chunk_size: int,
        lease_seconds: float,
    ) -> None:
        self.repository = repository
        self.factory = factory
        self.directory = directory
        self.chunk_size = chunk_size
        self.lease_seconds = lease_seconds

    def run(self, budget_seconds: float) -> bool:
        """Process chunks until no work is left or the time budget is spent; whether there was any."""
        deadline = time.monotonic() + budget_seconds
        worked = False
        while time.monotonic() < deadline:
            claimed = self.repository.claim_items(self.chunk_size, self.lease_seconds)
            if claimed is None:
                return worked
            worked = True
            token, items = claimed
            if not items:
                continue
            job_id = items[0]["job_id"]
            start_job(self.repository, job_id)
            job = self.repository.get_job(job_id)
            try:
                self.process_chunk(job, token, items)
            except LeaseLost as exc:
                log.warning("%s; another worker has the items", exc)
                continue
            if self.repository.items_left(job_id) == 0:
                finish_job(self.repository, job_id)
        return worked

    def process_chunk(self, job: dict[str, Any], token: str, items: list[dict[str, Any]]) -> None:
        """Issue a claimed chunk's certificates and record its progress; LeaseLost if it was taken over."""
        holders = self.directory.holders([item["holder_id"] for item in items])
        try:
            issuer = self.directory.issuer(job["issuer_id"])
        except NotFound as exc:
            issuer, issuer_error = None, exc.message
        else:
            issuer_error = None
        for attempt in range(1, CHUNK_ATTEMPTS + 1):
            try:
                self._store_chunk(job, token, items, holders, issuer, issuer_error)
                return
            except DuplicateKeyError:
                if attempt == CHUNK_ATTEMPTS:
                    raise
                log.info("job %s: some items were issued concurrently; rebuilding the chunk", job["_id"])

    def _store_chunk(
        self,
        job: dict[str, Any],
        token: str,
        items: list[dict[str, Any]],
        holders: dict[str, dict[str, Any]],
        issuer: dict[str, Any] | None,
        issuer_error: str | None,
    ) -> None:
        now = utcnow()
        already = self.repository.issued_keys(
            [item["issuance_key"] for item in items], [item["holder_id"] for item in items]
        )
        drafts: list[tuple[dict[str, Any], dict[str, Any]]] = []
        drafted: list[dict[str, Any]] = []
        outcomes: list[dict[str, Any]] = []
        done_ids: list[str] = []
        errors: list[dict[str, Any]] = []
        counts = {"done": 0, "failed": 0, "issued": 0, "already_issued": 0}

        def fail(item: dict[str, Any], message: str) -> None:
            errors.append(
                {
                    "item_id": item["_id"],
                    "index": item["index"],
                    "pointer": assessments.item_pointer(job, item),
                    "holder_id": item["holder_id"],
                    "error": message,
                }
            )
            counts["failed"] += 1

        def succeed(item: dict[str, Any], holder: dict[str, Any], certified: bool) -> None:
            outcome = assessments.outcome_of(job, item, holder, certified)
            if outcome is not None:
                outcomes.append(outcome)
            done_ids.append(item["_id"])
            counts["done"] += 1

        for item in items:
            holder = holders.get(item["holder_id"])
            request = assessments.item_request(job, item)
            if holder is None:
                fail(item, f"{item['holder_id']} is not a registered person")
            elif (refusal := assessments.candidate_refusal(job, holder)) is not None:
                fail(item, refusal)
            elif request is None:
                succeed(item, holder, certified=False)
            elif item["issuance_key"] in already:
                counts["already_issued"] += 1
                succeed(item, holder, certified=True)
            elif issuer is None:
                fail(item, issuer_error or "unknown issuer")
            else:
                try:
                    domain.check_may_issue(request["kind"], issuer)
                except DomainError as exc:
                    fail(item, exc.message)
                    continue
                drafts.append((request, holder))
                drafted.append(item)
        certificates = self.factory.build(drafts, issuer, now) if drafts else []
        for certificate, item, (_request, holder) in zip(certificates, drafted, drafts, strict=True):
            certificate["issuance_key"] = item["issuance_key"]
            certificate["job_id"] = job["_id"]
            succeed(item, holder, certified=True)
        counts["issued"] = len(certificates)
        failed_ids = [error["item_id"] for error in errors]
        public_errors = [{k: v for k, v in error.items() if k != "item_id"} for error in errors]

        def store(session: ClientSession) -> None:
            released = self.repository.release_items(session, token, done_ids, failed_ids)
            if released != len(done_ids) + len(failed_ids):
                raise LeaseLost(f"job {job['_id']}: the chunk's lease ran out")
            store_issued(self.repository, session, certificates)
            self.repository.save_outcomes(session, outcomes)
            self.repository.record_progress(session, job["_id"], counts, public_errors)

        self.repository.transaction(store)
