"""members_svc: alliances, organisations, memberships and people."""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc

from members_svc import domain, schemas
from members_svc.repository import MembersRepository, holder_record
from services.context import RequestContext
from services.messaging import event_handler
from services.mongo import MongoDatabase
from services.validation import load


class MembersService:
    name = "members"

    repository: MembersRepository = MongoDatabase(MembersRepository)
    request_id = RequestContext()

    @rpc
    def ping(self) -> dict[str, Any]:
        return {"service": self.name, "database": self.repository.ping()}

    @rpc
    def register_organisation(self, payload: dict[str, Any]) -> dict[str, Any]:
        fields = load(schemas.OrganisationCreate, payload)
        return schemas.Organisation().dump(self.repository.create_organisation(fields))

    @rpc
    def get_organisation(self, organisation_id: str) -> dict[str, Any]:
        return schemas.Organisation().dump(self.repository.get_organisation(organisation_id))

    @rpc
    def list_organisations(self, limit: int | None = None, cursor: str | None = None) -> dict[str, Any]:
        items, next_cursor = self.repository.list_organisations({}, limit, cursor)
        return {"items": schemas.Organisation(many=True).dump(items), "next_cursor": next_cursor}

    @rpc
    def register_person(self, organisation_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        fields = load(schemas.PersonCreate, payload)
        national_id = fields.pop("national_id", None)
        if national_id:
            normalised = domain.normalise_national_id(national_id)
            salt = domain.new_salt()
            fields["identity"] = {"hash": domain.identity_hash(normalised, salt), "salt": salt}
            fields["national_id_masked"] = domain.mask_identifier(normalised)
        person = self.repository.create_person(organisation_id, fields)
        person.pop("identity", None)
        return schemas.Person().dump(person)

    @rpc
    def get_person(self, person_id: str) -> dict[str, Any]:
        return schemas.Person().dump(self.repository.get_person(person_id))

    @rpc
    def get_holder(self, person_id: str) -> dict[str, Any]:
        """What certificates_svc keeps about a holder (the ``person_registered`` payload)."""
        return holder_record(self.repository.get_person_with_identity(person_id))

    @event_handler("certificates", "certificate_issued")
    def on_certificate_issued(self, event: dict[str, Any]) -> None:
        self.repository.consume(
            event,
            lambda session: self.repository.apply_certificate_event(
                session, domain.CERTIFICATE_ISSUED, event["data"]
            ),
        )

    @event_handler("certificates", "certificate_status_changed")
    def on_certificate_status_changed(self, event: dict[str, Any]) -> None:
        data = event["data"]
        change = {
            "number": data["number"],
            "holder_id": data["holder_id"],
            "status": data["new_status"],
            "reason": data.get("reason"),
            "changed_at": data["changed_at"],
        }
        self.repository.consume(
            event,
            lambda session: self.repository.apply_certificate_event(
                session, domain.CERTIFICATE_STATUS_CHANGED, change
            ),
        )
