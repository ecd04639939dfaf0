"""Routes served by certificates_svc."""

from __future__ import annotations

from typing import Any

from certificates_svc import schemas
from gateway.api import AUTHENTICATED, PUBLIC, Call, route
from gateway.http import json_response
from gateway.schemas import PageQuery


class CertificatesRoutes:
    @route("POST", "/api/v1/certificates", summary="Issue a certificate", access=AUTHENTICATED,
           tags=("certificates",), body=schemas.CertificateCreate, response=schemas.Certificate,
           status=201, errors=(400, 403, 404, 409, 415, 422))
    def issue_certificate(self, call: Call) -> dict[str, Any]:
        call.caller.require_org(call.body.get("issuer_id"))
        return self.certificates_rpc.issue_certificate(call.body)

    @route("GET", "/api/v1/certificates", summary="List certificates", access=AUTHENTICATED,
           tags=("certificates",), query=PageQuery, response=schemas.Certificate, many=True)
    def list_certificates(self, call: Call) -> dict[str, Any]:
        filters = {} if call.caller.is_admin else {"issuer_id": call.caller.org}
        return self.certificates_rpc.list_certificates(filters, call.query["limit"], call.query["cursor"])

    @route("GET", "/api/v1/certificates/<string:number>", summary="A certificate",
           access=AUTHENTICATED, tags=("certificates",), response=schemas.Certificate,
           errors=(403, 404))
    def get_certificate(self, call: Call, number: str) -> dict[str, Any]:
        certificate = self.certificates_rpc.get_certificate(number)
        if not (call.caller.can_act_for(certificate["issuer_id"])
                or call.caller.can_act_for(certificate.get("holder_organisation_id"))):
            call.caller.require_org(certificate["issuer_id"])
        return certificate

    @route("GET", "/api/v1/certificates/<string:number>/credential",
           summary="The signed verifiable credential (Open Badges 3.0)", access=PUBLIC,
           tags=("certificates",), errors=(404,), content_type="application/vc+ld+json")
    def get_credential(self, call: Call, number: str):
        return json_response(self.certificates_rpc.get_credential(number),
                             content_type="application/vc+ld+json")

    @route("GET", "/.well-known/did.json", summary="The issuer's DID document (Ed25519 Multikey)",
           access=PUBLIC, tags=("verification",), content_type="application/did+json")
    def did_document(self, call: Call):
        return json_response(self.certificates_rpc.did_document(), content_type="application/did+json")
