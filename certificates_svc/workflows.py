"""Work that spans the read models, numbering, signing and storage: jobs, awards, status."""

from __future__ import annotations

import logging
import time
from typing import Any

import eventlet
from pymongo.errors import DuplicateKeyError

from certificates_svc import assessments, awards, domain, lifecycle
from certificates_svc.issuance import CertificateFactory
from certificates_svc.repository import CertificatesRepository, LeaseLost
from certificates_svc.signing import Signer
from certificates_svc.status_list import BitstringStatusList
from services.clock import utcnow
from services.errors import DomainError, NotFound

log = logging.getLogger(__name__)

HOLDER_LOOKUPS_AT_ONCE = 10
# A chunk that meets a concurrent issue of the same keys is rebuilt without them.
CHUNK_ATTEMPTS = 3


class Directory:
    """Holders and issuers from the read models, asking members_svc when an event is still on its way."""

    def __init__(self, repository: CertificatesRepository, members_rpc: Any) -> None:
        self.repository = repository
        self.members_rpc = members_rpc

    def holder(self, person_id: str) -> dict[str, Any]:
        holder = self.holders([person_id]).get(person_id)
        if holder is None:
            raise NotFound(f"holder {person_id} is not a registered person",
                           {"holder_id": "unknown person"})
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
        issuer = self.repository.find_issuer(organisation_id)
        if issuer is None:
            try:
                organisation = self.members_rpc.get_organisation(organisation_id)
            except NotFound:
                raise NotFound(f"issuer {organisation_id} is not a registered organisation",
                               {"issuer_id": "unknown organisation"}) from None
            issuer = domain.issuer_from_organisation({**organisation, "organisation_id": organisation["id"]})
            self.repository.save_issuer(None, issuer)
        return issuer


def list_ids_of(certificate: dict[str, Any]) -> dict[str, str]:
    list_number, _bit = domain.status_location(certificate["status_index"])
    return {purpose: domain.status_list_id(list_number, purpose) for purpose in domain.STATUS_PURPOSES}


def change_status(repository: CertificatesRepository, number: str, action: str,
                  reason: str | None) -> dict[str, Any]:
    """Apply a revoke/suspend/reinstate; returns the updated certificate."""
    certificate = repository.get_certificate(number)
    change = lifecycle.plan_transition(certificate, action, reason, utcnow())
    repository.change_status(change, list_ids_of(certificate), lifecycle.status_changed_event(change))
    return repository.get_certificate(number)


def signed_status_list(repository: CertificatesRepository, signer: Signer, list_id: str) -> dict[str, Any]:
    """The current Bitstring Status List credential ``list_id``, freshly signed."""
    parsed = domain.list_number(list_id)
    if parsed is None or not repository.status_list_in_use(parsed[1]):
        raise NotFound(f"status list {list_id} not found")
    bits = BitstringStatusList()
    for index in repository.set_indices(list_id):
        bits.set(index, True)
    return signer.status_list_for(list_id, parsed[0], bits, utcnow())


class JobWorker:
    """Works through job items in leased chunks; any instance resumes what a dead one left."""

    def __init__(self, repository: CertificatesRepository, factory: CertificateFactory,
                 directory: Directory, chunk_size: int, lease_seconds: float) -> None:
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
            job = self.repository.get_job(items[0]["job_id"])
            try:
                self.process_chunk(job, token, items)
            except LeaseLost as exc:
                log.warning("%s; another worker has the items", exc)
                continue
            if self.repository.items_left(job["_id"]) == 0:
                self.repository.finish_job(job["_id"])

    def process_chunk(self, job: dict[str, Any], token: str, items: list[dict[str, Any]]) -> None:
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

    def _store_chunk(self, job: dict[str, Any], token: str, items: list[dict[str, Any]],
                     holders: dict[str, dict[str, Any]], issuer: dict[str, Any] | None,
                     issuer_error: str | None) -> None:
        now = utcnow()
        already = self.repository.issued_keys([item["issuance_key"] for item in items])
        drafts: list[tuple[dict[str, Any], dict[str, Any]]] = []
        drafted: list[dict[str, Any]] = []
        outcomes: list[dict[str, Any]] = []
        done_ids: list[str] = []
        errors: list[dict[str, Any]] = []
        counts = {"done": 0, "failed": 0, "issued": 0, "already_issued": 0}

        def fail(item: dict[str, Any], message: str) -> None:
            errors.append({"item_id": item["_id"], "index": item["index"],
                           "holder_id": item["holder_id"], "error": message})
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
        self.repository.complete_chunk(
            job["_id"], token, certificates, [domain.issued_event(c) for c in certificates],
            outcomes, done_ids, errors, counts,
        )


def apply_results(repository: CertificatesRepository, factory: CertificateFactory,
                  directory: Directory, event: dict[str, Any]) -> None:
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
    revocations = []
    for number in to_revoke:
        change = lifecycle.plan_transition(by_number[number], lifecycle.REVOKE, reason, now)
        revocations.append((change, list_ids_of(by_number[number]), lifecycle.status_changed_event(change)))
    certificates: list[dict[str, Any]] = []
    if to_issue:
        issuer = directory.issuer(results["organiser_id"])
        holders = directory.holders(to_issue)
        unknown = [p for p in to_issue if p not in holders]
        if unknown:
            log.warning("results of %s name unregistered people %s; no certificates for them",
                        results["event_id"], unknown)
        people = [p for p in to_issue if p in holders]
        drafts = [(awards.award_request(results, desired[p], p), holders[p]) for p in people]
        certificates = factory.build(drafts, issuer, now)
        for certificate, person_id in zip(certificates, people, strict=True):
            row = desired[person_id]
            certificate["source"] = awards.award_source(results, row)
            certificate["issuance_key"] = awards.award_issuance_key(results, person_id, row["award"])
    repository.consume(event, lambda session: repository.apply_results(
        session, results["event_id"], results["revision"], revocations, certificates,
        [domain.issued_event(c) for c in certificates]))
