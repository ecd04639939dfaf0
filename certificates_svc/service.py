"""certificates_svc: signed, verifiable, revocable certificates."""

from __future__ import annotations

from typing import Any

from nameko.timer import timer

from certificates_svc import access, authority, domain, jobs, schemas, workflows
from certificates_svc.issuance import CertificateFactory
from certificates_svc.numbers import normalise_number
from certificates_svc.repository import CertificatesRepository
from certificates_svc.signing import IssuerKeys, Signer
from services.base import DomainService
from services.batching import batch_event_handler
from services.clock import utcnow
from services.messaging import event_handler
from services.mongo import MongoDatabase
from services.pacing import IdlePacing, Pacing
from services.pagination import page
from services.rpc import TimedRpcProxy, rpc
from services.validation import load

JOB_POLL_SECONDS = 0.2
# One timer tick works at most this long, so stopping an instance never waits on a whole cohort.
JOB_TICK_BUDGET_SECONDS = 2.0


class CertificatesService(DomainService):
    """Issues, lists, verifies and revokes certificates; works through assessment and batch jobs."""

    name = "certificates"

    repository: CertificatesRepository = MongoDatabase(CertificatesRepository)
    signer: Signer = IssuerKeys()
    members_rpc = TimedRpcProxy("members")
    job_pacing: IdlePacing = Pacing(JOB_POLL_SECONDS)

    @rpc
    def did_document(self, organisation_id: str | None = None) -> dict[str, Any]:
        """The DID document of an organisation (or the platform), publishing every signing key."""
        if organisation_id is not None:
            workflows.known_organisation(self._directory(), organisation_id)
        return self.signer.did_document(organisation_id)

    @rpc
    def issue_certificate(
        self, payload: dict[str, Any], by_admin: bool = False, by: str | None = None
    ) -> dict[str, Any]:
        """Number, sign and store one certificate, if an issuing rule allows it (``by_admin``: the alliance admin's)."""
        request = load(schemas.CertificateCreate, payload)
        certificate = workflows.issue_certificate(
            self.repository, self._factory(), self._directory(), request, by_admin is True, by
        )
        return schemas.Certificate().dump(certificate)

    @rpc
    def get_certificate(self, number: str) -> dict[str, Any]:
        """A certificate with its current (effective) status."""
        number = normalise_number(number)
        certificate = self.repository.get_certificate(number)
        return schemas.Certificate().dump(domain.current_view(certificate, utcnow()))

    @rpc
    def get_credential(self, number: str) -> dict[str, Any]:
        """The signed verifiable credential of a certificate."""
        number = normalise_number(number)
        return self.repository.get_certificate(number)["credential"]

    @rpc
    def list_certificates(self, query: dict[str, Any], with_holder_names: bool = False) -> dict[str, Any]:
        """A page of certificates without their credentials, by the CertificateQuery filters; ``query``
        also carries limit and cursor. Each item's ``holder_name`` is the holder's full name with
        ``with_holder_names`` (for callers the gateway has authorised to see it), else null."""
        loaded = load(schemas.CertificateQuery, query)
        items, next_cursor = self.repository.list_certificates(loaded, with_holder_name=with_holder_names)
        now = utcnow()
        listed = schemas.CertificateListItem(many=True).dump([domain.current_view(c, now) for c in items])
        return page(listed, next_cursor)

    @rpc
    def change_status(self, number: str, action: str, payload: dict[str, Any], by: str | None = None) -> dict[str, Any]:
        """Revoke, suspend or reinstate a certificate (``payload`` carries the reason)."""
        number = normalise_number(number)
        load(schemas.StatusAction, {"action": action})
        change = load(schemas.StatusChange, payload)
        certificate = workflows.change_status(self.repository, number, action, change["reason"], change["category"], by)
        return schemas.Certificate().dump(domain.current_view(certificate, utcnow()))

    @rpc
    def status_list(self, list_id: str, organisation_id: str | None = None) -> dict[str, Any]:
        """A freshly signed Bitstring Status List credential (issued by ``organisation_id`` if given)."""
        if organisation_id is not None:
            workflows.known_organisation(self._directory(), organisation_id)
        return workflows.signed_status_list(self.repository, self.signer, list_id, organisation_id)

    @rpc
    def verify_certificate(self, number: str, name: str) -> dict[str, Any]:
        """Public verification by number and the holder's full name."""
        number = normalise_number(number)
        name = load(schemas.VerifyQuery, {"name": name})["name"]
        answer = domain.public_verification(self.repository.find_certificate(number), name, utcnow())
        return schemas.Verification().dump(answer)

    @rpc
    def disclosed_certificate(self, number: str) -> dict[str, Any]:
        """A certificate with its holder's full name, for callers the gateway has authorised."""
        number = normalise_number(number)
        certificate = domain.current_view(self.repository.get_certificate(number), utcnow())
        return schemas.DisclosedCertificate().dump(
            {"holder_name": certificate["holder_name"], "certificate": certificate}
        )

    @rpc
    def certificate_for_holder_name(self, number: str, name: str) -> dict[str, Any]:
        """A certificate for whoever knows its holder's full name; the public verification's one "no" otherwise."""
        number = normalise_number(number)
        return schemas.DisclosedCertificate().dump(workflows.certificate_for_holder_name(self.repository, number, name))

    @rpc
    def create_share_link(self, number: str, payload: dict[str, Any], created_by: str | None) -> dict[str, Any]:
        """A new expiring share link of a certificate; its token is in this answer only."""
        number = normalise_number(number)
        days = load(schemas.ShareLinkCreate, payload)["expires_in_days"]
        return schemas.ShareLinkCreated().dump(workflows.create_share_link(self.repository, number, days, created_by))

    @rpc
    def list_share_links(self, number: str) -> dict[str, Any]:
        """A certificate's share links with their state, without their tokens."""
        number = normalise_number(number)
        self.repository.get_certificate(number)
        now = utcnow()
        links = [access.share_link_view(link, now) for link in self.repository.share_links_of(number)]
        return {"items": schemas.ShareLink(many=True).dump(links)}

    @rpc
    def revoke_share_link(self, number: str, link_id: str) -> dict[str, Any]:
        """Stop a share link from working."""
        number = normalise_number(number)
        link = self.repository.revoke_share_link(number, link_id, utcnow())
        return schemas.ShareLink().dump(access.share_link_view(link, utcnow()))

    @rpc
    def open_share_link(self, token: str) -> dict[str, Any]:
        """What an employer holding a share link sees: the certificate, its credential and current status."""
        return schemas.SharedCertificate().dump(workflows.open_share_link(self.repository, token))

    @rpc
    def submit_assessment(
        self, payload: dict[str, Any], by_admin: bool = False, by: str | None = None
    ) -> dict[str, Any]:
        """Queue an assessment as a job issuing skill levels to those who passed."""
        request = load(schemas.AssessmentCreate, payload)
        job = jobs.submit_assessment(self.repository, self._directory(), request, by_admin is True, by)
        self.job_pacing.wake()
        return schemas.Job().dump(job)

    @rpc
    def check_assessment(self, payload: dict[str, Any], by_admin: bool = False) -> dict[str, Any]:
        """Check an assessment as submitting it would, queueing nothing: the candidates who are not
        registered people by their index (an AssessmentProblems)."""
        request = load(schemas.AssessmentCreate, payload)
        problems = jobs.check_assessment(self._directory(), request, by_admin is True)
        return schemas.AssessmentProblems().dump({"problems": {str(index): found for index, found in problems.items()}})

    @rpc
    def submit_batch(self, payload: dict[str, Any], by_admin: bool = False, by: str | None = None) -> dict[str, Any]:
        """Queue a batch of certificates as a job, if an issuing rule allows each item."""
        request = load(schemas.BatchCreate, payload)
        job = jobs.submit_batch(self.repository, self._directory(), request, by_admin is True, by)
        self.job_pacing.wake()
        return schemas.Job().dump(job)

    @rpc
    def get_job(self, job_id: str) -> dict[str, Any]:
        """A job's status, progress and per-item errors."""
        return schemas.Job().dump(self.repository.get_job(job_id))

    @rpc
    def list_jobs(self, query: dict[str, Any]) -> dict[str, Any]:
        """A page of jobs by issuer, kind and status, without their per-item errors."""
        items, next_cursor = self.repository.list_jobs(load(schemas.JobQuery, query))
        return page(schemas.JobSummary(many=True).dump(items), next_cursor)

    @rpc
    def attainment(self, organisation_id: str | None, year: int) -> dict[str, Any]:
        """Assessed, certified and attainment rate of an organisation's people (everyone's for None) in a year."""
        query = load(schemas.AttainmentQuery, {"organisation_id": organisation_id, "year": year})
        figures = workflows.attainment(self.repository, self._directory(), query["organisation_id"], query["year"])
        return schemas.Attainment().dump(figures)

    @timer(interval=JOB_POLL_SECONDS)
    def work_on_jobs(self) -> None:
        """Work on queued job items for one tick's budget (while none are queued, less and less often)."""
        if not self.job_pacing.due():
            return
        worked = jobs.JobWorker(
            self.repository,
            self._factory(),
            self._directory(),
            chunk_size=int(self.config.get("JOB_CHUNK_SIZE", 250)),
            lease_seconds=float(self.config.get("JOB_LEASE_SECONDS", 60)),
        ).run(JOB_TICK_BUDGET_SECONDS)
        self.job_pacing.record(worked)

    @batch_event_handler("members", "person_registered")
    def on_person_registered(self, events: list[dict[str, Any]]) -> None:
        workflows.record_holders(self.repository, events)

    @batch_event_handler("members", "person_updated")
    def on_person_updated(self, events: list[dict[str, Any]]) -> None:
        """A corrected name is the one future certificates and their verification use; the
        certificates already issued keep the name they were issued to."""
        workflows.record_holders(self.repository, events)

    @event_handler("members", "organisation_registered")
    def on_organisation_registered(self, event: dict[str, Any]) -> None:
        issuer = domain.issuer_from_organisation(event["data"])
        self.repository.consume(event, lambda session: self.repository.save_issuer(session, issuer))

    @event_handler("members", "organisation_updated")
    def on_organisation_updated(self, event: dict[str, Any]) -> None:
        issuer = domain.issuer_from_organisation(event["data"])
        self.repository.consume(event, lambda session: self.repository.save_issuer(session, issuer))

    @event_handler("events", "event_published")
    def on_event_published(self, event: dict[str, Any]) -> None:
        data = event["data"]
        self.repository.consume(
            event, lambda session: self.repository.save_organised_event(session, data["event_id"], data["organiser_id"])
        )

    @event_handler("events", "registration_changed")
    def on_registration_changed(self, event: dict[str, Any]) -> None:
        registration = authority.registration_record(event["data"])
        self.repository.consume(event, lambda session: self.repository.save_registration(session, registration))

    @event_handler("events", "results_published")
    def on_results_published(self, event: dict[str, Any]) -> None:
        workflows.apply_results(self.repository, self._factory(), self._directory(), event)

    def _factory(self) -> CertificateFactory:
        return CertificateFactory(self.repository, self.signer)

    def _directory(self) -> workflows.Directory:
        return workflows.Directory(self.repository, self.members_rpc)
