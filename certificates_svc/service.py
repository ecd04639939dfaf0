"""certificates_svc: signed, verifiable, revocable certificates."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from nameko.rpc import rpc

from certificates_svc import domain, schemas
from certificates_svc.repository import CertificatesRepository
from certificates_svc.signing import IssuerKeys, Signer
from services.context import RequestContext
from services.errors import NotFound
from services.messaging import event_handler
from services.mongo import MongoDatabase
from services.rpc import TimedRpcProxy
from services.validation import load


class CertificatesService:
    name = "certificates"

    repository: CertificatesRepository = MongoDatabase(CertificatesRepository)
    signer: Signer = IssuerKeys()
    members_rpc = TimedRpcProxy("members")
    request_id = RequestContext()

    @rpc
    def ping(self) -> dict[str, Any]:
        return {"service": self.name, "database": self.repository.ping()}

    @rpc
    def did_document(self) -> dict[str, Any]:
        return self.signer.did_document()

    @rpc
    def issue_certificate(self, payload: dict[str, Any]) -> dict[str, Any]:
        request = load(schemas.CertificateCreate, payload)
        holder = self._holder(request["holder_id"])
        issuer = self._issuer(request["issuer_id"])
        domain.check_may_issue(request["kind"], issuer)
        now = datetime.now(timezone.utc)
        number = self._allocate_number(request, issuer, now)
        status_index = self.repository.next_status_index()
        certificate = domain.new_certificate(request, number, holder, issuer, now, status_index)
        certificate["credential"] = self.signer.credential_for(
            number=number,
            issuer_name=issuer["name"],
            holder=domain.credential_holder(holder),
            achievement=domain.achievement_of(certificate),
            valid_from=now,
            valid_until=request.get("valid_until"),
            status=domain.status_entries(self.signer, status_index),
        )
        self.repository.insert_certificate(certificate, domain.issued_event(certificate))
        return schemas.Certificate().dump(certificate)

    @rpc
    def get_certificate(self, number: str) -> dict[str, Any]:
        return schemas.Certificate().dump(self.repository.get_certificate(number))

    @rpc
    def get_credential(self, number: str) -> dict[str, Any]:
        return self.repository.get_certificate(number)["credential"]

    @rpc
    def list_certificates(self, filters: dict[str, Any], limit: int | None = None,
                          cursor: str | None = None) -> dict[str, Any]:
        query = {k: v for k, v in filters.items() if k in ("holder_id", "issuer_id", "kind", "status")}
        items, next_cursor = self.repository.list_certificates(query, limit, cursor)
        return {"items": schemas.Certificate(many=True).dump(items), "next_cursor": next_cursor}

    @event_handler("members", "person_registered")
    def on_person_registered(self, event: dict[str, Any]) -> None:
        holder = domain.holder_from_person(event["data"])
        self.repository.consume(event, lambda session: self.repository.save_holder(session, holder))

    @event_handler("members", "organisation_registered")
    def on_organisation_registered(self, event: dict[str, Any]) -> None:
        issuer = domain.issuer_from_organisation(event["data"])
        self.repository.consume(event, lambda session: self.repository.save_issuer(session, issuer))

    def _holder(self, person_id: str) -> dict[str, Any]:
        """The holder from the read model; asks members_svc once if its event is still on the way."""
        holder = self.repository.find_holder(person_id)
        if holder is None:
            try:
                person = self.members_rpc.get_holder(person_id)
            except NotFound:
                raise NotFound(f"holder {person_id} is not a registered person",
                               {"holder_id": "unknown person"}) from None
            holder = domain.holder_from_person(person)
            self.repository.save_holder(None, holder)
        return holder

    def _issuer(self, organisation_id: str) -> dict[str, Any]:
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

    def _allocate_number(self, request: dict[str, Any], issuer: dict[str, Any], now: datetime) -> str:
        key, render = domain.number_plan(request["kind"], request.get("level"), issuer, now.year)
        return render(self.repository.next_serial(key))
