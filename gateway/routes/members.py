"""Routes served by members_svc."""

from __future__ import annotations

from typing import Any

from gateway.api import ADMIN, AUTHENTICATED, Call, route
from gateway.schemas import PageQuery
from members_svc import schemas


class MembersRoutes:
    @route("POST", "/api/v1/organisations", summary="Register an organisation", access=ADMIN,
           tags=("organisations",), body=schemas.OrganisationCreate,
           response=schemas.Organisation, status=201, errors=(400, 409, 415))
    def create_organisation(self, call: Call) -> dict[str, Any]:
        return self.members_rpc.register_organisation(call.body)

    @route("GET", "/api/v1/organisations", summary="List organisations", access=AUTHENTICATED,
           tags=("organisations",), query=PageQuery, response=schemas.Organisation, many=True)
    def list_organisations(self, call: Call) -> dict[str, Any]:
        return self.members_rpc.list_organisations(call.query["limit"], call.query["cursor"])

    @route("GET", "/api/v1/organisations/<string:organisation_id>", summary="An organisation",
           access=AUTHENTICATED, tags=("organisations",), response=schemas.Organisation,
           errors=(404,))
    def get_organisation(self, call: Call, organisation_id: str) -> dict[str, Any]:
        return self.members_rpc.get_organisation(organisation_id)

    @route("POST", "/api/v1/organisations/<string:organisation_id>/people",
           summary="Register a person with an organisation", access=AUTHENTICATED,
           tags=("people",), body=schemas.PersonCreate, response=schemas.Person, status=201,
           errors=(400, 403, 404, 409, 415))
    def create_person(self, call: Call, organisation_id: str) -> dict[str, Any]:
        call.caller.require_org(organisation_id)
        return self.members_rpc.register_person(organisation_id, call.body)

    @route("GET", "/api/v1/people/<string:person_id>",
           summary="A person with their certificate portfolio", access=AUTHENTICATED,
           tags=("people",), response=schemas.Person, errors=(403, 404))
    def get_person(self, call: Call, person_id: str) -> dict[str, Any]:
        person = self.members_rpc.get_person(person_id)
        call.caller.require_org(person["organisation_id"])
        return person
