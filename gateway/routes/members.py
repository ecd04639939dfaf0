"""Routes served by members_svc."""

from __future__ import annotations

from typing import Any

from gateway.api import ADMIN, AUTHENTICATED, Call, route
from gateway.auth import MANAGE_PEOPLE
from members_svc import schemas

LEAVE = "leave"


class MembersRoutes:
    # alliances

    @route(
        "POST",
        "/api/v1/alliances",
        summary="Create an alliance",
        access=ADMIN,
        tags=("alliances",),
        body=schemas.AllianceCreate,
        response=schemas.Alliance,
        status=201,
        errors=(400, 415),
    )
    def create_alliance(self, call: Call) -> dict[str, Any]:
        return self.members_rpc.create_alliance(call.body)

    @route(
        "GET",
        "/api/v1/alliances",
        summary="List alliances",
        access=AUTHENTICATED,
        tags=("alliances",),
        query=schemas.AllianceQuery,
        response=schemas.Alliance,
        many=True,
    )
    def list_alliances(self, call: Call) -> dict[str, Any]:
        return self.members_rpc.list_alliances(call.query)

    @route(
        "GET",
        "/api/v1/alliances/<string:alliance_id>",
        summary="An alliance and its lead",
        access=AUTHENTICATED,
        tags=("alliances",),
        response=schemas.Alliance,
        errors=(404,),
    )
    def get_alliance(self, call: Call, alliance_id: str) -> dict[str, Any]:
        return self.members_rpc.get_alliance(alliance_id)

    @route(
        "PATCH",
        "/api/v1/alliances/<string:alliance_id>",
        summary="Correct an alliance's name, region or description (kept in its history)",
        access=ADMIN,
        tags=("alliances",),
        body=schemas.AllianceUpdate,
        response=schemas.Alliance,
        errors=(400, 404, 415),
    )
    def correct_alliance(self, call: Call, alliance_id: str) -> dict[str, Any]:
        return self.members_rpc.correct_alliance(alliance_id, call.body, call.caller.subject)

    # organisations

    @route(
        "POST",
        "/api/v1/organisations",
        summary="Register an organisation",
        access=ADMIN,
        tags=("organisations",),
        body=schemas.OrganisationCreate,
        response=schemas.Organisation,
        status=201,
        errors=(400, 409, 415),
    )
    def create_organisation(self, call: Call) -> dict[str, Any]:
        return self.members_rpc.register_organisation(call.body)

    @route(
        "GET",
        "/api/v1/organisations",
        summary="List organisations, searched by name fragment, kind and region",
        access=AUTHENTICATED,
        tags=("organisations",),
        query=schemas.OrganisationQuery,
        response=schemas.Organisation,
        many=True,
    )
    def list_organisations(self, call: Call) -> dict[str, Any]:
        return self.members_rpc.list_organisations(call.query)

    @route(
        "GET",
        "/api/v1/organisations/<string:organisation_id>",
        summary="An organisation",
        access=AUTHENTICATED,
        tags=("organisations",),
        response=schemas.Organisation,
        errors=(404,),
    )
    def get_organisation(self, call: Call, organisation_id: str) -> dict[str, Any]:
        return self.members_rpc.get_organisation(organisation_id)

    @route(
        "PATCH",
        "/api/v1/organisations/<string:organisation_id>",
        summary="Change an organisation (its org_admin: region and district only; name and code: the alliance admin)",
        access=AUTHENTICATED,
        tags=("organisations",),
        body=schemas.OrganisationUpdate,
        response=schemas.Organisation,
        errors=(400, 403, 404, 409, 415),
    )
    def update_organisation(self, call: Call, organisation_id: str) -> dict[str, Any]:
        call.caller.require_org(organisation_id)
        return self.members_rpc.update_organisation(organisation_id, call.body, call.caller.is_admin)

    # memberships

    @route(
        "POST",
        "/api/v1/alliances/<string:alliance_id>/memberships",
        summary="Apply for membership (an org_admin for its own organisation)",
        access=AUTHENTICATED,
        tags=("memberships",),
        body=schemas.MembershipCreate,
        response=schemas.Membership,
        status=201,
        errors=(400, 403, 404, 409, 415),
    )
    def apply_for_membership(self, call: Call, alliance_id: str) -> dict[str, Any]:
        call.caller.require_org(call.body.get("organisation_id"))
        return self.members_rpc.apply_for_membership(alliance_id, call.body, call.caller.subject)

    @route(
        "GET",
        "/api/v1/alliances/<string:alliance_id>/memberships",
        summary="An alliance's memberships by status and role (an org_admin sees its own)",
        access=AUTHENTICATED,
        tags=("memberships",),
        query=schemas.MembershipQuery,
        response=schemas.Membership,
        many=True,
        errors=(404,),
    )
    def list_memberships(self, call: Call, alliance_id: str) -> dict[str, Any]:
        query = call.query if call.caller.is_admin else {**call.query, "organisation_id": call.caller.staff_org()}
        return self.members_rpc.list_memberships(alliance_id, query)

    @route(
        "GET",
        "/api/v1/memberships/<string:membership_id>",
        summary="A membership with its status history",
        access=AUTHENTICATED,
        tags=("memberships",),
        response=schemas.Membership,
        errors=(403, 404),
    )
    def get_membership(self, call: Call, membership_id: str) -> dict[str, Any]:
        membership = self.members_rpc.get_membership(membership_id)
        call.caller.require_org(membership["organisation_id"])
        return membership

    @route(
        "PATCH",
        "/api/v1/memberships/<string:membership_id>",
        summary="Change an open membership's role (recorded in its history; an alliance keeps one lead)",
        access=ADMIN,
        tags=("memberships",),
        body=schemas.MembershipRoleChange,
        response=schemas.Membership,
        errors=(400, 404, 409, 415),
    )
    def change_membership_role(self, call: Call, membership_id: str) -> dict[str, Any]:
        return self.members_rpc.change_membership_role(membership_id, call.body, call.caller.subject)

    @route(
        "POST",
        "/api/v1/memberships/<string:membership_id>/<string:action>",
        summary="approve, reject, suspend, reinstate or leave (leave: the member's org_admin too)",
        access=AUTHENTICATED,
        tags=("memberships",),
        body=schemas.MembershipAction,
        response=schemas.Membership,
        errors=(400, 403, 404, 409, 415),
    )
    def change_membership(self, call: Call, membership_id: str, action: str) -> dict[str, Any]:
        if action == LEAVE and not call.caller.is_admin:
            call.caller.require_org(self.members_rpc.get_membership(membership_id)["organisation_id"])
        else:
            call.caller.require_admin()
        return self.members_rpc.change_membership(membership_id, action, call.body, call.caller.subject)

    # people

    @route(
        "POST",
        "/api/v1/organisations/<string:organisation_id>/people",
        summary="Register a person with an organisation",
        access=AUTHENTICATED,
        tags=("people",),
        body=schemas.PersonCreate,
        response=schemas.Person,
        status=201,
        errors=(400, 403, 404, 409, 415),
    )
    def create_person(self, call: Call, organisation_id: str) -> dict[str, Any]:
        call.caller.require(MANAGE_PEOPLE, organisation_id)
        return self.members_rpc.register_person(organisation_id, call.body)

    @route(
        "POST",
        "/api/v1/organisations/<string:organisation_id>/people/batch",
        summary="Register a cohort of people at once (all or none)",
        access=AUTHENTICATED,
        tags=("people",),
        body=schemas.PeopleBatchCreate,
        response=schemas.PeopleRegistered,
        status=201,
        errors=(400, 403, 404, 409, 415),
    )
    def create_people(self, call: Call, organisation_id: str) -> dict[str, Any]:
        call.caller.require(MANAGE_PEOPLE, organisation_id)
        return self.members_rpc.register_people(organisation_id, call.body)

    @route(
        "GET",
        "/api/v1/organisations/<string:organisation_id>/people",
        summary="An organisation's people, searched by name (contains or prefix), student number, kind and "
        "status (its org_admin and the alliance admin only: names are personal data)",
        access=AUTHENTICATED,
        tags=("people",),
        query=schemas.PeopleQuery,
        response=schemas.Person,
        many=True,
        errors=(400, 403, 404),
    )
    def list_people(self, call: Call, organisation_id: str) -> dict[str, Any]:
        call.caller.require(MANAGE_PEOPLE, organisation_id)
        return self.members_rpc.list_people(organisation_id, call.query)

    @route(
        "GET",
        "/api/v1/people/<string:person_id>",
        summary="A person with their certificate portfolio",
        access=AUTHENTICATED,
        tags=("people",),
        response=schemas.Person,
        errors=(403, 404),
    )
    def get_person(self, call: Call, person_id: str) -> dict[str, Any]:
        person = self.members_rpc.get_person(person_id)
        if not call.caller.is_person(person_id):
            call.caller.require(MANAGE_PEOPLE, person["organisation_id"])
        return person

    @route(
        "PATCH",
        "/api/v1/people/<string:person_id>",
        summary="Correct a person (recorded in their history; certificates keep the name they were issued to)",
        access=AUTHENTICATED,
        tags=("people",),
        body=schemas.PersonUpdate,
        response=schemas.Person,
        errors=(400, 403, 404, 409, 415),
    )
    def correct_person(self, call: Call, person_id: str) -> dict[str, Any]:
        call.caller.require(MANAGE_PEOPLE, self.members_rpc.get_person(person_id)["organisation_id"])
        return self.members_rpc.correct_person(person_id, call.body, call.caller.subject)

    @route(
        "DELETE",
        "/api/v1/people/<string:person_id>",
        summary="Archive a person: hidden from lists, kept with their history and certificates (never removed)",
        access=AUTHENTICATED,
        tags=("people",),
        response=schemas.Person,
        errors=(403, 404),
    )
    def archive_person(self, call: Call, person_id: str) -> dict[str, Any]:
        call.caller.require(MANAGE_PEOPLE, self.members_rpc.get_person(person_id)["organisation_id"])
        return self.members_rpc.archive_person(person_id, call.caller.subject)
