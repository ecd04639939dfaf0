"""members_svc: alliances, organisations, memberships and people."""

from __future__ import annotations

from typing import Any

from members_svc import domain, portfolio, schemas
from members_svc.repository import MembersRepository
from services.base import DomainService
from services.messaging import event_handler
from services.mongo import MongoDatabase
from services.pagination import page
from services.rpc import rpc
from services.validation import load


class MembersService(DomainService):
    name = "members"

    repository: MembersRepository = MongoDatabase(MembersRepository)

    @rpc
    def create_alliance(self, payload: dict[str, Any]) -> dict[str, Any]:
        fields = load(schemas.AllianceCreate, payload)
        return schemas.Alliance().dump(self.repository.create_alliance(fields))

    @rpc
    def get_alliance(self, alliance_id: str) -> dict[str, Any]:
        return schemas.Alliance().dump(self.repository.get_alliance(alliance_id))

    @rpc
    def list_alliances(self, query: dict[str, Any]) -> dict[str, Any]:
        """A page of alliances; ``query`` carries limit and cursor."""
        items, next_cursor = self.repository.list_alliances(load(schemas.AllianceQuery, query))
        return page(schemas.Alliance(many=True).dump(items), next_cursor)

    @rpc
    def register_organisation(self, payload: dict[str, Any]) -> dict[str, Any]:
        fields = load(schemas.OrganisationCreate, payload)
        return schemas.Organisation().dump(self.repository.create_organisation(fields))

    @rpc
    def get_organisation(self, organisation_id: str) -> dict[str, Any]:
        return schemas.Organisation().dump(self.repository.get_organisation(organisation_id))

    @rpc
    def list_organisations(self, query: dict[str, Any]) -> dict[str, Any]:
        """Organisations by name fragment, kind and region; ``query`` also carries limit and cursor."""
        items, next_cursor = self.repository.list_organisations(load(schemas.OrganisationQuery, query))
        return page(schemas.Organisation(many=True).dump(items), next_cursor)

    @rpc
    def update_organisation(self, organisation_id: str, payload: dict[str, Any],
                            by_alliance_admin: bool) -> dict[str, Any]:
        """Change an organisation; an org_admin may change only its name, region, district and code."""
        requested = load(schemas.OrganisationUpdate, payload)
        domain.check_organisation_update(requested, by_alliance_admin)
        return schemas.Organisation().dump(self.repository.update_organisation(organisation_id, requested))

    @rpc
    def apply_for_membership(self, alliance_id: str, payload: dict[str, Any],
                             by: str | None) -> dict[str, Any]:
        application = load(schemas.MembershipCreate, payload)
        membership = self.repository.create_membership(
            alliance_id, application["organisation_id"], application["role"], by
        )
        return schemas.Membership().dump(membership)

    @rpc
    def change_membership(self, membership_id: str, action: str, payload: dict[str, Any],
                          by: str | None) -> dict[str, Any]:
        """Apply a lifecycle action (approve, reject, suspend, reinstate, leave)."""
        reason = load(schemas.MembershipAction, payload)["reason"]
        membership = self.repository.change_membership_status(membership_id, action, by, reason)
        return schemas.Membership().dump(membership)

    @rpc
    def get_membership(self, membership_id: str) -> dict[str, Any]:
        return schemas.Membership().dump(self.repository.get_membership(membership_id))

    @rpc
    def list_memberships(self, alliance_id: str, query: dict[str, Any]) -> dict[str, Any]:
        """An alliance's memberships by status, role and organisation (``query`` has limit, cursor)."""
        items, next_cursor = self.repository.list_memberships(alliance_id, load(schemas.MembershipQuery, query))
        return page(schemas.Membership(many=True).dump(items), next_cursor)

    @rpc
    def register_person(self, organisation_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        fields = domain.person_fields(load(schemas.PersonCreate, payload))
        person = self.repository.create_person(organisation_id, fields)
        person.pop("identity", None)
        return schemas.Person().dump(person)

    @rpc
    def register_people(self, organisation_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        prepared = domain.cohort_fields(load(schemas.PeopleBatchCreate, payload)["people"])
        people = self.repository.create_people(organisation_id, prepared)
        for person in people:
            person.pop("identity", None)
        return {"items": schemas.Person(many=True).dump(people)}

    @rpc
    def list_people(self, organisation_id: str, query: dict[str, Any]) -> dict[str, Any]:
        """A page of an organisation's people; ``query`` carries limit and cursor."""
        items, next_cursor = self.repository.list_people(organisation_id, load(schemas.PeopleQuery, query))
        return page(schemas.Person(many=True).dump(items), next_cursor)

    @rpc
    def get_person(self, person_id: str) -> dict[str, Any]:
        return schemas.Person().dump(self.repository.get_person(person_id))

    @rpc
    def get_holder(self, person_id: str) -> dict[str, Any]:
        """What certificates_svc keeps about a holder (the ``person_registered`` payload)."""
        return domain.holder_record(self.repository.get_person_with_identity(person_id))

    @event_handler("certificates", "certificate_issued")
    def on_certificate_issued(self, event: dict[str, Any]) -> None:
        self.repository.consume(
            event,
            lambda session: self.repository.apply_certificate_event(
                session, portfolio.CERTIFICATE_ISSUED, event["data"]
            ),
        )

    @event_handler("certificates", "certificate_status_changed")
    def on_certificate_status_changed(self, event: dict[str, Any]) -> None:
        self.repository.consume(
            event,
            lambda session: self.repository.apply_certificate_event(
                session, portfolio.CERTIFICATE_STATUS_CHANGED, event["data"]
            ),
        )
