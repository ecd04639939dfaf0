"""The use cases of certificates_svc: issuing, status changes, status lists, awards and share links.

Batch work (assessments, batches and their worker) is in ``jobs.py``.

Each loads through the repository, applies the domain rules and stores its
effects in one transaction, written as a closure so pymongo can retry it.
"""

from __future__ import annotations

import logging
from typing import Any

import eventlet
from bson import ObjectId
from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from certificates_svc import access, assessments, authority, awards, domain, lifecycle, status_list
from certificates_svc.issuance import CertificateFactory
from certificates_svc.repository import CertificatesRepository
from certificates_svc.signing import Signer
from services.clock import utcnow
from services.errors import Conflict, NotFound

log = logging.getLogger(__name__)

HOLDER_LOOKUPS_AT_ONCE = 10


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


def record_holders(repository: CertificatesRepository, envelopes: list[dict[str, Any]]) -> None:
    """Keep the people of a batch of ``person_registered`` or ``person_updated`` events as holders,
    each event once, with one bulk write."""
    repository.consume_batch(
        envelopes,
        lambda session, fresh: repository.save_holders(
            session, [domain.holder_from_person(envelope["data"]) for envelope in fresh]
        ),
    )


def store_issued(
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
    by: str | None = None,
) -> dict[str, Any]:
    """Number, sign and store the certificate a validated CertificateCreate asks for (``by``: who issues it)."""
    holder = directory.holder(request["holder_id"])
    issuer = directory.issuer(request["issuer_id"])
    domain.check_may_issue(request["kind"], issuer)
    facts = issuing_facts(repository, issuer, {holder["_id"]: holder}, by_admin)[holder["_id"]]
    authority.check_may_issue_to(request["kind"], holder["_id"], facts)
    (certificate,) = factory.build([(request, holder)], issuer, utcnow())
    certificate["issued_by"] = by
    try:
        repository.transaction(lambda session: store_issued(repository, session, [certificate]))
    except DuplicateKeyError:
        raise Conflict(f"certificate number {certificate['number']} is taken") from None
    return certificate


def change_status(
    repository: CertificatesRepository,
    number: str,
    action: str,
    reason: str | None,
    category: str | None = None,
    by: str | None = None,
) -> dict[str, Any]:
    """Apply a revoke/suspend/reinstate (``by``: who does); returns the updated certificate."""
    certificate = repository.get_certificate(number)
    change = {**lifecycle.plan_transition(certificate, action, reason, utcnow(), category=category), "by": by}
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
    purpose, number = parsed
    if purpose == status_list.MESSAGE:
        # The message list is derived from the stored revocation and suspension bits.
        bits = status_list.message_list(
            repository.set_indices(domain.status_list_id(str(number), "revocation")),
            repository.set_indices(domain.status_list_id(str(number), "suspension")),
        )
    else:
        bits = status_list.BitstringStatusList()
        for index in repository.set_indices(list_id):
            bits.set(index, True)
    return signer.status_list_for(list_id, purpose, bits, utcnow(), organisation_id)


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
    """Assessment figures of an organisation's people in a year, or alliance-wide for None with
    each organisation's share."""
    if organisation_id is not None:
        known_organisation(directory, organisation_id)
    outcomes = repository.outcomes(organisation_id, year)
    figures = assessments.attainment(organisation_id, year, outcomes)
    if organisation_id is None:
        by_organisation: dict[str, list[dict[str, Any]]] = {}
        for outcome in outcomes:
            by_organisation.setdefault(outcome.get("organisation_id") or "", []).append(outcome)
        figures["by_organisation"] = [
            {
                key: value
                for key, value in assessments.attainment(organisation or None, year, shares).items()
                if key in ("organisation_id", "assessed", "certified", "attainment_rate")
            }
            for organisation, shares in sorted(by_organisation.items())
        ]
    return figures


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
    # An award whose holder gets a corrected one is superseded by it; one with no successor is just revoked.
    by_number = {held["number"]: held for held in standing.values()}
    successors = {certificate["holder_id"]: certificate["number"] for certificate in certificates}
    revocations = [
        lifecycle.plan_transition(
            by_number[number],
            lifecycle.REVOKE,
            awards.correction_reason(results),
            now,
            category=awards.CORRECTION_CATEGORY,
            replaced_by=successors.get(by_number[number]["holder_id"]),
        )
        for number in to_revoke
    ]

    def record(session: ClientSession) -> None:
        for change in revocations:
            _store_status_change(repository, session, change)
        store_issued(repository, session, certificates)
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
    stored = repository.get_certificate(link["number"])
    certificate = domain.current_view(stored, now)
    return {
        "holder_name": certificate["holder_name"],
        "certificate": certificate,
        "verification": {**domain.public_status(stored, now), "checked_at": now},
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
