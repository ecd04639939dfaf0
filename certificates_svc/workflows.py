"""The use cases of certificates_svc: issuing, status changes, jobs and awards.

Each loads through the repository, applies the domain rules and stores its
effects in one transaction, written as a closure so pymongo can retry it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import eventlet
from bson import ObjectId
from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from certificates_svc import access, assessments, authority, awards, domain, lifecycle
from certificates_svc.assessments import JobKind
from certificates_svc.issuance import CertificateFactory
from certificates_svc.repository import CertificatesRepository
from certificates_svc.signing import Signer
from certificates_svc.status_list import BitstringStatusList
from services.clock import utcnow
from services.errors import Conflict, DomainError, Forbidden, NotFound

log = logging.getLogger(__name__)

HOLDER_LOOKUPS_AT_ONCE = 10
# A chunk that meets a concurrent issue of the same keys is rebuilt without them.
CHUNK_ATTEMPTS = 3


class LeaseLost(RuntimeError):
    """Another worker claimed the items after this one's lease ran out."""


class Directory:
    """Holders and issuers from the read models, asking members_svc when an event is still on its way."""

    def __init__(self, repository: CertificatesRepository, members_rpc: Any) -> None:
        self.repository = repository
        self.members_rpc = members_rpc

    def holder(self, person_id: str) -> dict[str, Any]:
        """A registered person as a holder; NotFound for anyone else."""
        holder = self.holders([person_id]).get(person_id)
        if holder is None:
            raise NotFound(f"holder {person_id} is not a registered person", {"holder_id": "unknown person"})
        return holder

    def holders(self, person_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The known holders among ``person_ids``; unknown people are simply absent."""
        found = self.repository.find_holders(person_ids)
        missing = list(dict.fromkeys(p for p in person_ids if p not in found))
        # A cohort registered moments ago may still be on its way: ask for the rest side by side.
        for holder in eventlet.GreenPool(HOLDER_LOOKUPS_AT_ONCE).imap(self._ask_members, missing):
            if holder is not None:
                self.repository.save_holder(None, holder)
                found[holder["_id"]] = holder
        return found

    def _ask_members(self, person_id: str) -> dict[str, Any] | None:
        try:
            return domain.holder_from_person(self.members_rpc.get_holder(person_id))
        except NotFound:
            return None

    def issuer(self, organisation_id: str) -> dict[str, Any]:
        """A registered organisation as an issuer; NotFound for anything else."""
        issuer = self.repository.find_issuer(organisation_id)
        if issuer is None:
            try:
                organisation = self.members_rpc.get_organisation(organisation_id)
            except NotFound:
                raise NotFound(
                    f"issuer {organisation_id} is not a registered organisation", {"issuer_id": "unknown organisation"}
                ) from None
            issuer = domain.issuer_from_organisation({**organisation, "organisation_id": organisation["id"]})
            self.repository.save_issuer(None, issuer)
        return issuer


def _store_issued(
    repository: CertificatesRepository, session: ClientSession, certificates: list[dict[str, Any]]
) -> None:
    repository.insert_certificates(session, certificates)
    repository.emit_many(session, "certificate_issued", [domain.issued_event(c) for c in certificates])


def _store_status_change(repository: CertificatesRepository, session: ClientSession, change: dict[str, Any]) -> None:
    if not repository.update_status(session, change):
        raise Conflict(f"certificate {change['number']} changed meanwhile; try again", {"current_state": "changed"})
    list_number, bit = domain.status_location(change["status_index"])
    for purpose, value in change["bits"].items():
        repository.set_status_bit(session, domain.status_list_id(list_number, purpose), bit, value)
    repository.emit(session, "certificate_status_changed", lifecycle.status_changed_event(change))


def issuing_facts(
    repository: CertificatesRepository,
    issuer: dict[str, Any],
    holders: dict[str, dict[str, Any]],
    by_admin: bool,
) -> dict[str, authority.IssuingFacts]:
    """What the issuing rules need to know about ``issuer`` issuing to each of ``holders``."""
    outsiders = [p for p, holder in holders.items() if holder.get("organisation_id") != issuer["_id"]]
    participants = repository.event_participants(issuer["_id"], outsiders) if outsiders and not by_admin else set()
    return {
        person_id: authority.IssuingFacts(
            issuer_id=issuer["_id"],
            holder_organisation_id=holder.get("organisation_id"),
            event_participant=person_id in participants,
            accredited_evaluator=bool(issuer.get("accredited_evaluator")),
            by_admin=by_admin,
        )
        for person_id, holder in holders.items()
    }


def issue_certificate(
    repository: CertificatesRepository,
    factory: CertificateFactory,
    directory: Directory,
    request: dict[str, Any],
    by_admin: bool = False,
) -> dict[str, Any]:
    """Number, sign and store the certificate a validated CertificateCreate asks for."""
    holder = directory.holder(request["holder_id"])
    issuer = directory.issuer(request["issuer_id"])
    domain.check_may_issue(request["kind"], issuer)
    facts = issuing_facts(repository, issuer, {holder["_id"]: holder}, by_admin)[holder["_id"]]
    authority.check_may_issue_to(request["kind"], holder["_id"], facts)
    (certificate,) = factory.build([(request, holder)], issuer, utcnow())
    try:
        repository.transaction(lambda session: _store_issued(repository, session, [certificate]))
    except DuplicateKeyError:
        raise Conflict(f"certificate number {certificate['number']} is taken") from None
    return certificate


def change_status(repository: CertificatesRepository, number: str, action: str, reason: str | None) -> dict[str, Any]:
    """Apply a revoke/suspend/reinstate; returns the updated certificate."""
    certificate = repository.get_certificate(number)
    change = lifecycle.plan_transition(certificate, action, reason, utcnow())
    repository.transaction(lambda session: _store_status_change(repository, session, change))
    return repository.get_certificate(number)


def signed_status_list(
    repository: CertificatesRepository,
    signer: Signer,
    list_id: str,
    organisation_id: str | None = None,
) -> dict[str, Any]:
    """The current Bitstring Status List credential ``list_id``, freshly signed by the platform
    or, given ``organisation_id``, by that organisation."""
    parsed = domain.list_number(list_id)
    if parsed is None or not domain.status_list_in_use(parsed[1], repository.status_indices_reserved()):
        raise NotFound(f"status list {list_id} not found")
    bits = BitstringStatusList()
    for index in repository.set_indices(list_id):
        bits.set(index, True)
    return signer.status_list_for(list_id, parsed[0], bits, utcnow(), organisation_id)


def known_organisation(directory: Directory, organisation_id: str) -> dict[str, Any]:
    """A registered organisation as an issuer; NotFound naming ``organisation_id`` otherwise."""
    try:
        return directory.issuer(organisation_id)
    except NotFound:
        raise NotFound(
            f"organisation {organisation_id} not found", {"organisation_id": "unknown organisation"}
        ) from None


def attainment(
    repository: CertificatesRepository, directory: Directory, organisation_id: str | None, year: int
) -> dict[str, Any]:
    """Assessment figures of an organisation's people in a year, or alliance-wide for None."""
    if organisation_id is not None:
        known_organisation(directory, organisation_id)
    return assessments.attainment(organisation_id, year, repository.outcomes(organisation_id, year))


def submit_assessment(
    repository: CertificatesRepository, directory: Directory, request: dict[str, Any], by_admin: bool = False
) -> dict[str, Any]:
    """Queue a validated AssessmentCreate: skill-level certificates for those who passed."""
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
    return _queue_job(repository, JobKind.ASSESSMENT, request)


def submit_batch(
    repository: CertificatesRepository, directory: Directory, request: dict[str, Any], by_admin: bool = False
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
    refused = {
        str(position): authority.refusal_details(item["kind"], item["holder_id"])
        for position, item in enumerate(request["items"])
        if item["holder_id"] in facts and authority.granting_rule(item["kind"], facts[item["holder_id"]]) is None
    }
    if refused:
        first = next(iter(refused.values()))
        raise Forbidden(
            f"items.{next(iter(refused))}: {authority.refusal_message(first['kind'], first['holder_id'])}",
            {"missing_rules": first["missing_rules"], "items": refused},
        )
    return _queue_job(repository, JobKind.BATCH, request)


def _queue_job(repository: CertificatesRepository, kind: JobKind, request: dict[str, Any]) -> dict[str, Any]:
    job_id = str(ObjectId())
    key = assessments.job_key(kind, request["issuer_id"], request)
    items = assessments.job_items(job_id, kind, key, request)
    job = assessments.new_job(job_id, kind, key, request, len(items), utcnow())
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

    def run(self, budget_seconds: float) -> None:
        """Process chunks until no work is left or the time budget is spent."""
        deadline = time.monotonic() + budget_seconds
        while time.monotonic() < deadline:
            claimed = self.repository.claim_items(self.chunk_size, self.lease_seconds)
            if claimed is None:
                return
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
        already = self.repository.issued_keys([item["issuance_key"] for item in items])
        drafts: list[tuple[dict[str, Any], dict[str, Any]]] = []
        drafted: list[dict[str, Any]] = []
        outcomes: list[dict[str, Any]] = []
        done_ids: list[str] = []
        errors: list[dict[str, Any]] = []
        counts = {"done": 0, "failed": 0, "issued": 0, "already_issued": 0}

        def fail(item: dict[str, Any], message: str) -> None:
            errors.append(
                {"item_id": item["_id"], "index": item["index"], "holder_id": item["holder_id"], "error": message}
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
            _store_issued(self.repository, session, certificates)
            self.repository.save_outcomes(session, outcomes)
            self.repository.record_progress(session, job["_id"], counts, public_errors)

        self.repository.transaction(store)


def apply_results(
    repository: CertificatesRepository, factory: CertificateFactory, directory: Directory, event: dict[str, Any]
) -> None:
    """Issue award and participation certificates for a results envelope; on a correction,
    revoke and re-issue only the awards that changed."""
    results = event["data"]
    if results["revision"] <= repository.award_revision(results["event_id"]):
        repository.consume(event, lambda session: None)
        return
    now = utcnow()
    desired = awards.desired_awards(results["results"])
    standing = repository.standing_awards(results["event_id"])
    to_revoke, to_issue = awards.plan_award_changes(desired, standing)
    reason = f"results corrected (revision {results['revision']})"
    by_number = {held["number"]: held for held in standing.values()}
    revocations = [lifecycle.plan_transition(by_number[number], lifecycle.REVOKE, reason, now) for number in to_revoke]
    certificates: list[dict[str, Any]] = []
    if to_issue:
        issuer = directory.issuer(results["organiser_id"])
        holders = directory.holders(to_issue)
        unknown = [p for p in to_issue if p not in holders]
        if unknown:
            log.warning(
                "results of %s name unregistered people %s; no certificates for them", results["event_id"], unknown
            )
        # Everyone in the results took a confirmed place at the organiser's event.
        facts = {
            person_id: authority.IssuingFacts(
                issuer_id=issuer["_id"], holder_organisation_id=holder.get("organisation_id"), event_participant=True
            )
            for person_id, holder in holders.items()
        }
        people = [
            p for p in to_issue if p in holders and authority.granting_rule(awards.award_kind(desired[p]), facts[p])
        ]
        drafts = [(awards.award_request(results, desired[p], p), holders[p]) for p in people]
        certificates = factory.build(drafts, issuer, now)
        for certificate, person_id in zip(certificates, people, strict=True):
            row = desired[person_id]
            certificate["source"] = awards.award_source(results, row)
            certificate["issuance_key"] = awards.award_issuance_key(results, person_id, row["award"])

    def record(session: ClientSession) -> None:
        for change in revocations:
            _store_status_change(repository, session, change)
        _store_issued(repository, session, certificates)
        repository.set_award_revision(session, results["event_id"], results["revision"])

    repository.consume(event, record)


# share links and disclosure


def create_share_link(
    repository: CertificatesRepository, number: str, days: int, created_by: str | None
) -> dict[str, Any]:
    """A new share link of an existing certificate, with its token (never stored) shown this once."""
    repository.get_certificate(number)
    token = access.new_share_token()
    now = utcnow()
    link = access.new_share_link(str(ObjectId()), number, token, created_by, now, days)
    repository.insert_share_link(link)
    return {**access.share_link_view(link, now), "token": token}


def open_share_link(repository: CertificatesRepository, token: str) -> dict[str, Any]:
    """What a usable share link shows; the same NotFound for unknown, expired and revoked links."""
    link = repository.find_share_link(access.token_digest(token)) if len(token) <= access.MAX_TOKEN_LENGTH else None
    now = utcnow()
    if link is None or access.share_link_state(link, now) is not access.ShareLinkState.ACTIVE:
        raise access.no_such_share_link()
    certificate = domain.current_view(repository.get_certificate(link["number"]), now)
    status = certificate["status"]
    return {
        "holder_name": certificate["holder_name"],
        "certificate": certificate,
        "verification": {
            "valid": status == lifecycle.CertificateStatus.ACTIVE.value,
            "status": status,
            "checked_at": now,
        },
        "credential": certificate["credential"],
        "expires_at": link["expires_at"],
    }


def certificate_for_holder_name(repository: CertificatesRepository, number: str, name: str) -> dict[str, Any]:
    """The certificate when ``name`` is its holder's; one NotFound for an unknown number and a wrong name,
    reached by the same lookup and the same constant-time comparison."""
    certificate = repository.find_certificate(number)
    if not access.holder_named(certificate, name):
        raise access.no_certificate_for_name()
    return {"holder_name": certificate["holder_name"], "certificate": domain.current_view(certificate, utcnow())}
