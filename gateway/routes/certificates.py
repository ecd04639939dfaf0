"""Routes served by certificates_svc."""

from __future__ import annotations

from typing import Any

from nameko.dependency_providers import Config

from certificates_svc import schemas
from gateway.api import AUTHENTICATED, PUBLIC, Call, route
from gateway.auth import ASSESS, READ_STATISTICS, Principal
from gateway.http import json_response
from gateway.rate_limits import LOOKUP_LIMIT
from services.config import public_base_url
from services.errors import Forbidden


def require_staff_of(caller: Principal, certificate: dict[str, Any]) -> None:
    """Allow the alliance admin, the admins of the issuing and of the holder's organisation, and the holder."""
    if caller.is_person(certificate.get("holder_id")):
        return
    if not caller.can_act_for(certificate.get("holder_organisation_id")):
        caller.require_org(certificate["issuer_id"])


def certificates_visible_to(caller: Principal, query: dict[str, Any]) -> dict[str, Any]:
    """A certificate listing narrowed to what ``caller`` may see: the alliance admin everything,
    an org_admin what its organisation issued or its people hold (Forbidden for a scope that is
    neither)."""
    if caller.is_admin:
        return query
    organisation_id = caller.org
    if organisation_id is None or query.get("organisation_id", organisation_id) != organisation_id:
        raise Forbidden("this token lists only its own organisation's certificates")
    if organisation_id in (query.get("issuer_id"), query.get("holder_organisation_id")):
        return query
    if "issuer_id" in query and "holder_organisation_id" in query:
        raise Forbidden("this token lists only its own organisation's certificates")
    return {**query, "organisation_id": organisation_id}


def discloses_holder_names(caller: Principal) -> bool:
    """Whether the certificates ``caller`` lists (certificates_visible_to) come with their holders'
    full names: for the alliance admin and an org_admin, who may print those certificates too."""
    return caller.is_admin or caller.can_act_for(caller.org)


def require_holder_or_their_org(caller: Principal, certificate: dict[str, Any]) -> None:
    """Allow the holder, the admin of the holder's organisation and the alliance admin (share links)."""
    if not caller.is_person(certificate.get("holder_id")):
        caller.require_org(certificate.get("holder_organisation_id"))


def share_page_url(base_url: str, token: str) -> str:
    """The page an employer opens with a share link."""
    return f"{base_url.rstrip('/')}/s/{token}"


class CertificatesRoutes:
    share_config = Config()

    @route(
        "POST",
        "/api/v1/certificates",
        summary="Issue a certificate (to the issuer's own people, or participants of its events; "
        "anything else by the alliance admin)",
        access=AUTHENTICATED,
        tags=("certificates",),
        body=schemas.CertificateCreate,
        response=schemas.Certificate,
        status=201,
        errors=(400, 403, 404, 409, 415, 422),
    )
    def issue_certificate(self, call: Call) -> dict[str, Any]:
        call.caller.require_org(call.body.get("issuer_id"))
        return self.certificates_rpc.issue_certificate(call.body, call.caller.is_admin, call.caller.subject)

    @route(
        "GET",
        "/api/v1/certificates",
        summary="List certificates by holder, issuer, holder's organisation, kind, status, event, occupation, "
        "level, year of issue and number prefix, in the order they were issued in (an org_admin: those its "
        "organisation issued or its people hold)",
        access=AUTHENTICATED,
        tags=("certificates",),
        query=schemas.CertificateQuery,
        response=schemas.CertificateListItem,
        many=True,
        errors=(400, 403),
    )
    def list_certificates(self, call: Call) -> dict[str, Any]:
        filters = certificates_visible_to(call.caller, call.query)
        return self.certificates_rpc.list_certificates(filters, discloses_holder_names(call.caller))

    @route(
        "POST",
        "/api/v1/certificates/batch",
        summary="Issue a batch of certificates as a job (202 with the job)",
        access=AUTHENTICATED,
        tags=("certificates",),
        body=schemas.BatchCreate,
        response=schemas.Job,
        status=202,
        errors=(400, 403, 404, 415, 422),
    )
    def issue_batch(self, call: Call) -> dict[str, Any]:
        call.caller.require_org(call.body.get("issuer_id"))
        return self.certificates_rpc.submit_batch(call.body, call.caller.is_admin, call.caller.subject)

    @route(
        "GET",
        "/api/v1/certificates/<string:number>",
        summary="A certificate",
        access=AUTHENTICATED,
        tags=("certificates",),
        response=schemas.Certificate,
        errors=(403, 404),
    )
    def get_certificate(self, call: Call, number: str) -> dict[str, Any]:
        certificate = self.certificates_rpc.get_certificate(number)
        require_staff_of(call.caller, certificate)
        return certificate

    @route(
        "GET",
        "/api/v1/certificates/<string:number>/credential",
        summary="The signed verifiable credential (Open Badges 3.0), for the issuer's and the holder's staff",
        access=AUTHENTICATED,
        tags=("certificates",),
        errors=(403, 404),
        content_type="application/vc+ld+json",
    )
    def get_credential(self, call: Call, number: str):
        require_staff_of(call.caller, self.certificates_rpc.get_certificate(number))
        return json_response(self.certificates_rpc.get_credential(number), content_type="application/vc+ld+json")

    @route(
        "POST",
        "/api/v1/certificates/<string:number>/share-links",
        summary="Make an expiring share link for an employer (the token is shown only in this answer)",
        access=AUTHENTICATED,
        tags=("certificates",),
        body=schemas.ShareLinkCreate,
        response=schemas.ShareLinkCreated,
        status=201,
        errors=(400, 403, 404, 415),
    )
    def create_share_link(self, call: Call, number: str) -> dict[str, Any]:
        certificate = self.certificates_rpc.get_certificate(number)
        require_holder_or_their_org(call.caller, certificate)
        link = self.certificates_rpc.create_share_link(number, call.body, call.caller.subject)
        return {**link, "url": share_page_url(public_base_url(self.share_config), link["token"])}

    @route(
        "GET",
        "/api/v1/certificates/<string:number>/share-links",
        summary="A certificate's share links and their state (never their tokens)",
        access=AUTHENTICATED,
        tags=("certificates",),
        response=schemas.ShareLink,
        many=True,
        errors=(403, 404),
    )
    def list_share_links(self, call: Call, number: str) -> dict[str, Any]:
        certificate = self.certificates_rpc.get_certificate(number)
        require_holder_or_their_org(call.caller, certificate)
        return self.certificates_rpc.list_share_links(number)

    @route(
        "DELETE",
        "/api/v1/certificates/<string:number>/share-links/<string:link_id>",
        summary="Revoke a share link",
        access=AUTHENTICATED,
        tags=("certificates",),
        response=schemas.ShareLink,
        errors=(403, 404),
    )
    def revoke_share_link(self, call: Call, number: str, link_id: str) -> dict[str, Any]:
        certificate = self.certificates_rpc.get_certificate(number)
        require_holder_or_their_org(call.caller, certificate)
        return self.certificates_rpc.revoke_share_link(number, link_id)

    @route(
        "GET",
        "/api/v1/shared/<string:token>",
        summary="A shared certificate: holder, certificate, signed credential and current status",
        access=PUBLIC,
        tags=("verification",),
        response=schemas.SharedCertificate,
        errors=(404,),
        rate_limit=LOOKUP_LIMIT,
    )
    def open_share_link(self, call: Call, token: str) -> dict[str, Any]:
        return self.certificates_rpc.open_share_link(token)

    @route(
        "POST",
        "/api/v1/certificates/<string:number>/<string:action>",
        summary="Revoke, suspend or reinstate a certificate (revoke is final)",
        access=AUTHENTICATED,
        tags=("certificates",),
        body=schemas.StatusChange,
        response=schemas.Certificate,
        errors=(400, 403, 404, 409, 415),
    )
    def change_certificate_status(self, call: Call, number: str, action: str) -> dict[str, Any]:
        certificate = self.certificates_rpc.get_certificate(number)
        call.caller.require_org(certificate["issuer_id"])
        return self.certificates_rpc.change_status(number, action, call.body, call.caller.subject)

    @route(
        "POST",
        "/api/v1/assessments",
        summary="Record an assessment; skill-level certificates for those who passed (202 with a job)",
        access=AUTHENTICATED,
        tags=("certificates",),
        body=schemas.AssessmentCreate,
        response=schemas.Job,
        status=202,
        errors=(400, 403, 404, 415, 422),
    )
    def submit_assessment(self, call: Call) -> dict[str, Any]:
        call.caller.require(ASSESS, call.body.get("issuer_id"))
        return self.certificates_rpc.submit_assessment(call.body, call.caller.is_admin, call.caller.subject)

    @route(
        "GET",
        "/api/v1/jobs",
        summary="Jobs (assessments and batches) by kind and status, oldest first "
        "(an org_admin: its own organisation's; the alliance admin: all, or one issuer's)",
        access=AUTHENTICATED,
        tags=("certificates",),
        query=schemas.JobQuery,
        response=schemas.JobSummary,
        many=True,
        errors=(400, 403),
    )
    def list_jobs(self, call: Call) -> dict[str, Any]:
        query = dict(call.query)
        if not call.caller.is_admin:
            query["issuer_id"] = query.get("issuer_id", call.caller.org)
            call.caller.require(ASSESS, query["issuer_id"])
        return self.certificates_rpc.list_jobs(query)

    @route(
        "GET",
        "/api/v1/jobs/<string:job_id>",
        summary="Progress and per-item errors of a job",
        access=AUTHENTICATED,
        tags=("certificates",),
        response=schemas.Job,
        errors=(403, 404),
    )
    def get_job(self, call: Call, job_id: str) -> dict[str, Any]:
        job = self.certificates_rpc.get_job(job_id)
        call.caller.require(ASSESS, job["issuer_id"])
        return job

    @route(
        "GET",
        "/api/v1/verify/<string:number>",
        summary="Check a certificate by its number and the holder's full name",
        access=PUBLIC,
        tags=("verification",),
        query=schemas.VerifyQuery,
        response=schemas.Verification,
        errors=(400, 404),
        rate_limit=LOOKUP_LIMIT,
    )
    def verify_certificate(self, call: Call, number: str) -> dict[str, Any]:
        return self.certificates_rpc.verify_certificate(number, call.query["name"])

    @route(
        "GET",
        "/api/v1/status-lists/<string:list_id>",
        summary="A signed Bitstring Status List credential (message-N: two status bits per certificate; "
        "revocation-N and suspension-N for credentials issued before)",
        access=PUBLIC,
        tags=("verification",),
        errors=(404,),
        content_type="application/vc+ld+json",
    )
    def get_status_list(self, call: Call, list_id: str):
        return json_response(self.certificates_rpc.status_list(list_id), content_type="application/vc+ld+json")

    @route(
        "GET",
        "/api/v1/organisations/<string:organisation_id>/status-lists/<string:list_id>",
        summary="A status list credential as issued by an organisation, for the credentials it issued",
        access=PUBLIC,
        tags=("verification",),
        errors=(404,),
        content_type="application/vc+ld+json",
    )
    def get_organisation_status_list(self, call: Call, organisation_id: str, list_id: str):
        return json_response(
            self.certificates_rpc.status_list(list_id, organisation_id), content_type="application/vc+ld+json"
        )

    @route(
        "GET",
        "/api/v1/stats/attainment",
        summary="Assessed, certified and attainment rate of an organisation's holders in a year "
        "(an org_admin or assessor: its own; the alliance admin: any, or alliance-wide without organisation_id, "
        "then also by organisation)",
        access=AUTHENTICATED,
        tags=("statistics",),
        query=schemas.AttainmentQuery,
        response=schemas.Attainment,
        errors=(400, 403, 404),
    )
    def attainment(self, call: Call) -> dict[str, Any]:
        organisation_id = call.query.get("organisation_id")
        if not call.caller.is_admin:
            organisation_id = organisation_id or call.caller.org
            call.caller.require(READ_STATISTICS, organisation_id)
        return self.certificates_rpc.attainment(organisation_id, call.query["year"])

    @route(
        "GET",
        "/.well-known/did.json",
        summary="The issuer's DID document (Ed25519 Multikey)",
        access=PUBLIC,
        tags=("verification",),
        content_type="application/did+json",
    )
    def did_document(self, call: Call):
        return json_response(self.certificates_rpc.did_document(), content_type="application/did+json")

    @route(
        "GET",
        "/organisations/<string:organisation_id>/did.json",
        summary="An organisation's own DID document (did:web), with the keys the platform holds for it",
        access=PUBLIC,
        tags=("verification",),
        errors=(404,),
        content_type="application/did+json",
    )
    def organisation_did_document(self, call: Call, organisation_id: str):
        return json_response(self.certificates_rpc.did_document(organisation_id), content_type="application/did+json")
