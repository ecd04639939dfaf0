"""members_svc's account use cases: creating accounts and their roles, signing in, refresh-token
rotation, password changes and resets, and links to single sign-on subjects."""

from __future__ import annotations

from typing import Any

from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from members_svc import accounts
from members_svc.repository import MembersRepository, new_id
from services.clock import utcnow
from services.errors import Conflict, Unauthorized

WRONG_CREDENTIALS = "the login or the password is wrong"


def _taken(exc: DuplicateKeyError) -> Conflict:
    if "person_id" in str(exc.details or exc):
        return Conflict("this person already has an account", {"person_id": "already has an account"})
    return Conflict("an account with this login exists", {"login": "already taken"})


def _check_grants(
    repository: MembersRepository, grants: list[dict[str, Any]], person_id: str | None, session: ClientSession | None
) -> list[dict[str, Any]]:
    """The grants, each organisation and the person checked to exist and fit."""
    grants = accounts.check_grants(grants)
    for organisation_id in accounts.organisations_named(grants):
        repository.get_organisation(organisation_id, session)
    person = repository.get_person_with_identity(person_id, session) if person_id else None
    accounts.check_grants_fit_person(grants, person)
    return grants


def create_account(repository: MembersRepository, fields: dict[str, Any], by: str | None) -> dict[str, Any]:
    """A new account for a person (or an operator) with its roles; Conflict for a taken login or person."""
    password_hash = accounts.hash_password(fields["password"]) if fields.get("password") else None
    account_id = new_id()

    def work(session: ClientSession) -> dict[str, Any]:
        grants = _check_grants(repository, fields["roles"], fields.get("person_id"), session)
        account = accounts.new_account(
            account_id, fields["login"], fields.get("person_id"), grants, password_hash, by, utcnow()
        )
        repository.insert_account(session, account)
        return account

    try:
        return repository.transaction(work)
    except DuplicateKeyError as exc:
        raise _taken(exc) from None


def change_roles(
    repository: MembersRepository, account_id: str, grants: list[dict[str, Any]], by: str | None
) -> dict[str, Any]:
    """Replace the account's roles (recorded in its history); they apply from its next token."""

    def work(session: ClientSession) -> dict[str, Any]:
        account = repository.get_account(account_id, session)
        checked = _check_grants(repository, grants, account.get("person_id"), session)
        now = utcnow()
        history = accounts.account_history(now, by, "roles_changed", roles=checked)
        return repository.update_account(session, account_id, {"roles": checked, "updated_at": now}, history)

    return repository.transaction(work)


def set_disabled(repository: MembersRepository, account_id: str, disabled: bool, by: str | None) -> dict[str, Any]:
    """Disable (or enable again) an account; disabling ends its sessions."""
    now = utcnow()
    change = "disabled" if disabled else "enabled"
    account = repository.update_account(
        None,
        account_id,
        {"disabled": disabled, "updated_at": now},
        accounts.account_history(now, by, change, disabled=disabled),
    )
    if disabled:
        repository.revoke_sessions({"account_id": account_id}, now)
    return account


def _start_session(repository: MembersRepository, account_id: str, family_id: str | None = None) -> dict[str, Any]:
    """A new refresh token in ``family_id`` (a new family for a sign-in); the token is only returned."""
    token = accounts.new_secret()
    record = accounts.session_record(accounts.secret_digest(token), family_id or new_id(), account_id, utcnow())
    repository.insert_session(record)
    return {"refresh_token": token, "refresh_expires_at": record["expires_at"]}


def sign_in(repository: MembersRepository, login: str, password: str) -> dict[str, Any]:
    """The account and a new refresh token; Unauthorized for wrong credentials, a locked or disabled account.

    Failures in a row lock the account for a growing time; a success clears them.
    """
    now = utcnow()
    account = repository.find_account_by_login(accounts.normalise_login(login))
    accounts.check_may_sign_in(account, now)
    if not accounts.password_matches(account and account.get("password_hash"), password) or account is None:
        if account is not None:
            failures = repository.count_failed_sign_in(account["_id"])
            locked_until = accounts.lockout_until(failures, now)
            if locked_until is not None:
                repository.update_account(None, account["_id"], {"locked_until": locked_until})
        raise Unauthorized(WRONG_CREDENTIALS)
    fields: dict[str, Any] = {"failed_sign_ins": 0, "locked_until": None, "last_sign_in_at": now}
    if accounts.needs_rehash(account["password_hash"]):
        fields["password_hash"] = accounts.hash_password(password)
    account = repository.update_account(None, account["_id"], fields)
    return {"account": account, **_start_session(repository, account["_id"])}


def sign_in_account(repository: MembersRepository, account_id: str) -> dict[str, Any]:
    """A new session for an account whose identity was proven elsewhere (single sign-on)."""
    account = repository.get_account(account_id)
    if account.get("disabled"):
        raise Unauthorized("this account is disabled")
    account = repository.update_account(None, account_id, {"last_sign_in_at": utcnow()})
    return {"account": account, **_start_session(repository, account_id)}


def refresh(repository: MembersRepository, refresh_token: str) -> dict[str, Any]:
    """Trade a refresh token for the account and the next token of its family.

    A token used a second time means it was copied: the whole family is revoked, so
    neither the thief nor the owner can go on without signing in again.
    """
    now = utcnow()
    digest = accounts.secret_digest(refresh_token)
    used = repository.rotate_session(digest, now)
    if used is None:
        known = repository.get_session(digest)
        if known is not None and known["rotated_at"] is not None:
            repository.revoke_sessions({"family_id": known["family_id"]}, now)
            raise Unauthorized("this refresh token was already used; every session of its sign-in is ended")
        raise Unauthorized("the refresh token is unknown, expired or revoked")
    account = repository.get_account(used["account_id"])
    if account.get("disabled"):
        raise Unauthorized("this account is disabled")
    return {"account": account, **_start_session(repository, account["_id"], used["family_id"])}


def sign_out(repository: MembersRepository, refresh_token: str) -> None:
    """End the sign-in the refresh token belongs to (every token of its family); unknown tokens are ignored."""
    known = repository.get_session(accounts.secret_digest(refresh_token))
    if known is not None:
        repository.revoke_sessions({"family_id": known["family_id"]}, utcnow())


def _set_password(repository: MembersRepository, account_id: str, password: str, change: str, by: str | None) -> None:
    now = utcnow()
    repository.update_account(
        None,
        account_id,
        {
            "password_hash": accounts.hash_password(password),
            "failed_sign_ins": 0,
            "locked_until": None,
            "updated_at": now,
        },
        accounts.account_history(now, by, change),
    )
    repository.revoke_sessions({"account_id": account_id}, now)


def change_password(repository: MembersRepository, account_id: str, current: str, new: str) -> None:
    """Change a password, the current one proven; every session of the account ends."""
    account = repository.get_account(account_id)
    if not accounts.password_matches(account.get("password_hash"), current):
        raise Unauthorized("the current password is wrong")
    _set_password(repository, account_id, new, "password_changed", f"account:{account_id}")


def issue_reset_link(repository: MembersRepository, account_id: str, by: str | None) -> dict[str, Any]:
    """A one-time reset secret for the account; only its digest is stored."""
    repository.get_account(account_id)
    token = accounts.new_secret()
    record = accounts.reset_record(accounts.secret_digest(token), account_id, by, utcnow())
    repository.insert_reset(record)
    return {"token": token, "expires_at": record["expires_at"], "account_id": account_id}


def reset_password(repository: MembersRepository, token: str, new_password: str) -> None:
    """Set a new password with a reset secret, which then is used up; Unauthorized for a bad one."""
    accounts.check_password_policy(new_password)
    reset = repository.use_reset(accounts.secret_digest(token), utcnow())
    if reset is None:
        raise Unauthorized("the reset link is unknown, used or expired")
    _set_password(repository, reset["account_id"], new_password, "password_reset", reset.get("issued_by"))


def link_oidc_subject(
    repository: MembersRepository, account_id: str, issuer: str, subject: str, by: str | None
) -> dict[str, Any]:
    """Link a provider's stable subject to an account; Conflict when it is linked to another."""
    repository.get_account(account_id)
    link = {"_id": oidc_link_id(issuer, subject), "issuer": issuer, "subject": subject, "account_id": account_id}
    try:
        repository.insert_oidc_link({**link, "linked_by": by, "linked_at": utcnow()})
    except DuplicateKeyError:
        existing = repository.find_oidc_link(link["_id"])
        if existing is None or existing["account_id"] != account_id:
            raise Conflict("this provider subject is linked to another account") from None
    return link


def oidc_link_id(issuer: str, subject: str) -> str:
    """One key per provider subject: the issuer URL and the subject, which together are stable."""
    return f"{issuer.rstrip('/')} {subject}"


def sign_in_by_oidc(repository: MembersRepository, issuer: str, subject: str) -> dict[str, Any]:
    """The session of the account linked to a provider subject; Unauthorized when none is."""
    link = repository.find_oidc_link(oidc_link_id(issuer, subject))
    if link is None:
        raise Unauthorized("no account is linked to this sign-in; ask an administrator to link it")
    return sign_in_account(repository, link["account_id"])
