"""members_svc: alliances, organisations, memberships and people."""

from __future__ import annotations

from typing import Any

from nameko.timer import timer

from members_svc import account_workflows, domain, imports, portfolio, schemas, workflows
from members_svc.identity_key import IdentityKey
from members_svc.repository import MembersRepository
from services.base import DomainService
from services.batching import batch_event_handler
from services.clock import rfc3339
from services.errors import InvalidInput
from services.messaging import event_handler
from services.mongo import MongoDatabase
from services.pacing import IdlePacing, Pacing
from services.pagination import page
from services.rpc import rpc
from services.validation import load

IMPORT_POLL_SECONDS = 0.5
# One timer tick works at most this long (plus one chunk), so stopping an instance never waits on a roster.
IMPORT_TICK_BUDGET_SECONDS = 2.0


class MembersService(DomainService):
    name = "members"

    repository: MembersRepository = MongoDatabase(MembersRepository)
    import_pacing: IdlePacing = Pacing(IMPORT_POLL_SECONDS)
    identity_key: bytes = IdentityKey()

    # alliances

    @rpc
    def create_alliance(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Create an alliance; it has no lead until a lead membership is approved."""
        alliance = workflows.create_alliance(self.repository, load(schemas.AllianceCreate, payload))
        return schemas.Alliance().dump(alliance)

    @rpc
    def correct_alliance(self, alliance_id: str, payload: dict[str, Any], by: str | None = None) -> dict[str, Any]:
        """Correct an alliance's name, region or description, with a history line."""
        requested = load(schemas.AllianceUpdate, payload)
        return schemas.Alliance().dump(workflows.correct_alliance(self.repository, alliance_id, requested, by))

    @rpc
    def get_alliance(self, alliance_id: str) -> dict[str, Any]:
        """An alliance and its lead organisation."""
        return schemas.Alliance().dump(self.repository.get_alliance(alliance_id))

    @rpc
    def list_alliances(self, query: dict[str, Any]) -> dict[str, Any]:
        """A page of alliances; ``query`` carries limit and cursor."""
        items, next_cursor = self.repository.list_alliances(load(schemas.AllianceQuery, query))
        return page(schemas.Alliance(many=True).dump(items), next_cursor)

    # organisations

    @rpc
    def register_organisation(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Register an organisation; Conflict when its code is already registered."""
        fields = load(schemas.OrganisationCreate, payload)
        return schemas.Organisation().dump(workflows.register_organisation(self.repository, fields))

    @rpc
    def get_organisation(self, organisation_id: str) -> dict[str, Any]:
        """An organisation."""
        return schemas.Organisation().dump(self.repository.get_organisation(organisation_id))

    @rpc
    def list_organisations(self, query: dict[str, Any]) -> dict[str, Any]:
        """Organisations by name fragment, kind and region; ``query`` also carries limit and cursor."""
        items, next_cursor = self.repository.list_organisations(load(schemas.OrganisationQuery, query))
        return page(schemas.Organisation(many=True).dump(items), next_cursor)

    @rpc
    def update_organisation(
        self, organisation_id: str, payload: dict[str, Any], by_alliance_admin: bool
    ) -> dict[str, Any]:
        """Change an organisation; an org_admin may change only its name, region, district and code."""
        requested = load(schemas.OrganisationUpdate, payload)
        organisation = workflows.update_organisation(self.repository, organisation_id, requested, by_alliance_admin)
        return schemas.Organisation().dump(organisation)

    # memberships

    @rpc
    def apply_for_membership(self, alliance_id: str, payload: dict[str, Any], by: str | None) -> dict[str, Any]:
        """An organisation applies to join an alliance in a role; the membership starts ``applied``."""
        application = load(schemas.MembershipCreate, payload)
        membership = workflows.apply_for_membership(
            self.repository, alliance_id, application["organisation_id"], application["role"], by
        )
        return schemas.Membership().dump(membership)

    @rpc
    def change_membership(
        self, membership_id: str, action: str, payload: dict[str, Any], by: str | None
    ) -> dict[str, Any]:
        """Apply a lifecycle action (approve, reject, suspend, reinstate, leave)."""
        reason = load(schemas.MembershipAction, payload)["reason"]
        membership = workflows.change_membership(self.repository, membership_id, action, by, reason)
        return schemas.Membership().dump(membership)

    @rpc
    def change_membership_role(self, membership_id: str, payload: dict[str, Any], by: str | None) -> dict[str, Any]:
        """Give an open membership another role; an alliance keeps one lead."""
        change = load(schemas.MembershipRoleChange, payload)
        membership = workflows.change_membership_role(
            self.repository, membership_id, change["role"], by, change["reason"]
        )
        return schemas.Membership().dump(membership)

    @rpc
    def get_membership(self, membership_id: str) -> dict[str, Any]:
        """A membership with its status history."""
        return schemas.Membership().dump(self.repository.get_membership(membership_id))

    @rpc
    def list_memberships(self, alliance_id: str, query: dict[str, Any]) -> dict[str, Any]:
        """An alliance's memberships by status, role and organisation (``query`` has limit, cursor)."""
        query = load(schemas.MembershipQuery, query)
        self.repository.get_alliance(alliance_id)  # an unknown alliance is NotFound, not an empty page
        items, next_cursor = self.repository.list_memberships(alliance_id, query)
        return page(schemas.Membership(many=True).dump(items), next_cursor)

    # people

    @rpc
    def register_person(self, organisation_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Register a person with an organisation; the national ID is kept only as a keyed hash and masked."""
        fields = load(schemas.PersonCreate, payload)
        return schemas.Person().dump(
            workflows.register_person(self.repository, organisation_id, fields, self.identity_key)
        )

    @rpc
    def register_people(self, organisation_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Register a cohort: every person is registered, or none is."""
        cohort = load(schemas.PeopleBatchCreate, payload)["people"]
        people = workflows.register_people(self.repository, organisation_id, cohort, self.identity_key)
        return {"items": schemas.Person(many=True).dump(people)}

    @rpc
    def check_people(self, organisation_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Check a cohort as registering it would, person by person, writing nothing: the problems
        by the person's index (a PeopleProblems), none when every person could be registered."""
        people = load(schemas.PeopleCheck, payload)["people"]
        loaded: dict[int, dict[str, Any]] = {}
        problems: dict[int, dict[str, list[str]]] = {}
        for index, person in enumerate(people):
            try:
                loaded[index] = load(schemas.PersonCreate, person)
            except InvalidInput as exc:
                problems[index] = exc.details
        problems.update(workflows.check_people(self.repository, organisation_id, loaded, self.identity_key))
        return schemas.PeopleProblems().dump({"problems": {str(index): found for index, found in problems.items()}})

    @rpc
    def submit_people_import(self, organisation_id: str, payload: dict[str, Any], by: str | None) -> dict[str, Any]:
        """Queue a roster import (a PeopleImportCreate); a worker registers its people in the background."""
        request = load(schemas.PeopleImportCreate, payload)
        job = imports.submit_people_import(self.repository, organisation_id, request, self.identity_key, by)
        self.import_pacing.wake()
        return schemas.PeopleImport().dump(job)

    @rpc
    def get_people_import(self, import_id: str) -> dict[str, Any]:
        """A roster import's progress and per-row errors."""
        return schemas.PeopleImport().dump(self.repository.get_people_import(import_id))

    @timer(interval=IMPORT_POLL_SECONDS)
    def work_on_people_imports(self) -> None:
        """Register the people of queued roster imports for one tick's budget (while none wait, less
        and less often)."""
        if not self.import_pacing.due():
            return
        worked = imports.PeopleImportWorker(
            self.repository,
            chunk_size=int(self.config.get("IMPORT_CHUNK_SIZE", 200)),
            lease_seconds=float(self.config.get("JOB_LEASE_SECONDS", 60)),
        ).run(IMPORT_TICK_BUDGET_SECONDS)
        self.import_pacing.record(worked)

    @rpc
    def list_people(self, organisation_id: str, query: dict[str, Any]) -> dict[str, Any]:
        """A page of an organisation's people by name, student number, kind and status; ``query``
        carries limit and cursor."""
        query = load(schemas.PeopleQuery, query)
        self.repository.get_organisation(organisation_id)  # an unknown organisation is NotFound
        items, next_cursor = self.repository.list_people(organisation_id, query)
        return page(schemas.Person(many=True).dump(items), next_cursor)

    @rpc
    def get_person(self, person_id: str) -> dict[str, Any]:
        """A person with their certificate portfolio."""
        return schemas.Person().dump(self.repository.get_person(person_id))

    @rpc
    def correct_person(self, person_id: str, payload: dict[str, Any], by: str | None) -> dict[str, Any]:
        """Correct a person's details, recorded in their history and published as ``person_updated``."""
        requested = load(schemas.PersonUpdate, payload)
        person = workflows.correct_person(self.repository, person_id, requested, by, self.identity_key)
        return schemas.Person().dump(person)

    @rpc
    def archive_person(self, person_id: str, by: str | None) -> dict[str, Any]:
        """Archive a person: hidden from lists, kept with their history and certificates."""
        return schemas.Person().dump(workflows.archive_person(self.repository, person_id, by))

    @rpc
    def get_holder(self, person_id: str) -> dict[str, Any]:
        """What certificates_svc keeps about a holder (the ``person_registered`` payload)."""
        return domain.holder_record(self.repository.get_person_with_identity(person_id))

    # accounts and signing in

    @rpc
    def create_account(self, payload: dict[str, Any], by: str | None) -> dict[str, Any]:
        """An account for a person (or an operator) with roles in organisations."""
        fields = load(schemas.AccountCreate, payload)
        return schemas.Account().dump(account_workflows.create_account(self.repository, fields, by))

    @rpc
    def get_account(self, account_id: str) -> dict[str, Any]:
        """An account with its roles and history (never its password hash)."""
        return schemas.Account().dump(self.repository.get_account(account_id))

    @rpc
    def list_accounts(self, query: dict[str, Any]) -> dict[str, Any]:
        """A page of accounts, of one organisation when ``query`` names it."""
        items, next_cursor = self.repository.list_accounts(load(schemas.AccountQuery, query))
        return page(schemas.Account(many=True).dump(items), next_cursor)

    @rpc
    def change_account_roles(self, account_id: str, payload: dict[str, Any], by: str | None) -> dict[str, Any]:
        """Replace an account's roles."""
        grants = load(schemas.AccountRolesChange, payload)["roles"]
        return schemas.Account().dump(account_workflows.change_roles(self.repository, account_id, grants, by))

    @rpc
    def set_account_disabled(self, account_id: str, payload: dict[str, Any], by: str | None) -> dict[str, Any]:
        """Disable or enable an account; disabling ends its sessions."""
        disabled = load(schemas.AccountStatusChange, payload)["disabled"]
        return schemas.Account().dump(account_workflows.set_disabled(self.repository, account_id, disabled, by))

    @rpc
    def sign_in(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The account and a new refresh token for a login and password."""
        credentials = load(schemas.SignIn, payload)
        return _session(account_workflows.sign_in(self.repository, credentials["login"], credentials["password"]))

    @rpc
    def refresh_session(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The account and the next refresh token for a refresh token, which is then used up."""
        token = load(schemas.RefreshRequest, payload)["refresh_token"]
        return _session(account_workflows.refresh(self.repository, token))

    @rpc
    def sign_out(self, payload: dict[str, Any]) -> None:
        """End the sign-in a refresh token belongs to."""
        account_workflows.sign_out(self.repository, load(schemas.RefreshRequest, payload)["refresh_token"])

    @rpc
    def change_password(self, account_id: str, payload: dict[str, Any]) -> None:
        """Change an account's password, the current one proven."""
        change = load(schemas.PasswordChange, payload)
        account_workflows.change_password(
            self.repository, account_id, change["current_password"], change["new_password"]
        )

    @rpc
    def issue_reset_link(self, account_id: str, by: str | None) -> dict[str, Any]:
        """A one-time password reset secret for an account."""
        link = account_workflows.issue_reset_link(self.repository, account_id, by)
        return {**link, "expires_at": rfc3339(link["expires_at"])}

    @rpc
    def reset_password(self, payload: dict[str, Any]) -> None:
        """Set a new password with a reset secret."""
        reset = load(schemas.PasswordReset, payload)
        account_workflows.reset_password(self.repository, reset["token"], reset["new_password"])

    @rpc
    def link_oidc_subject(self, account_id: str, payload: dict[str, Any], by: str | None) -> dict[str, Any]:
        """Link a single sign-on provider's subject to an account."""
        link = load(schemas.OidcLinkCreate, payload)
        return account_workflows.link_oidc_subject(self.repository, account_id, link["issuer"], link["subject"], by)

    @rpc
    def sign_in_by_oidc(self, issuer: str, subject: str) -> dict[str, Any]:
        """The account linked to a provider subject, with a new refresh token."""
        return _session(account_workflows.sign_in_by_oidc(self.repository, issuer, subject))

    @rpc
    def get_me(self, account_id: str) -> dict[str, Any]:
        """An account, the person behind it and its roles."""
        account = self.repository.get_account(account_id)
        person = self.repository.get_person(account["person_id"]) if account.get("person_id") else None
        return schemas.Me().dump({"account": account, "person": person, "roles": account["roles"]})

    # the portfolio, fed by certificates_svc

    @batch_event_handler("certificates", "certificate_issued")
    def on_certificate_issued(self, events: list[dict[str, Any]]) -> None:
        """Add the certificates to their holders' portfolios."""
        workflows.record_certificates_issued(self.repository, events)

    @event_handler("certificates", "certificate_status_changed")
    def on_certificate_status_changed(self, event: dict[str, Any]) -> None:
        """Show the certificate's new status in its holder's portfolio."""
        workflows.record_certificate_event(self.repository, portfolio.CERTIFICATE_STATUS_CHANGED, event)


def _session(session: dict[str, Any]) -> dict[str, Any]:
    """A sign-in's answer: the account as it is dumped, and the refresh token."""
    return {
        **session,
        "account": schemas.Account().dump(session["account"]),
        "refresh_expires_at": rfc3339(session["refresh_expires_at"]),
    }
