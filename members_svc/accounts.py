"""Accounts: who may sign in, with which roles in which organisations, and the rules of signing in.

Plain rules, no storage: password hashing (argon2id), lockout after repeated failures,
one-time secrets (reset links, refresh tokens) that are stored only as digests, and the
role grants an account may hold.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import unicodedata
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.errors import InvalidInput, Unauthorized, Unprocessable


class AccountRole(StrEnum):
    ALLIANCE_ADMIN = "alliance_admin"
    ORG_ADMIN = "org_admin"
    TEACHER = "teacher"  # the students and registrations of their own organisation
    ASSESSOR = "assessor"  # assessments for an accredited evaluator organisation
    STUDENT = "student"  # their own record, certificates and share links


PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 256
# After this many failures in a row an account is locked, for a time that doubles with
# each further failure up to the cap: a guesser gets a handful of tries an hour.
FREE_FAILURES = 5
FIRST_LOCKOUT = timedelta(seconds=30)
LONGEST_LOCKOUT = timedelta(minutes=15)
RESET_LINK_LIFETIME = timedelta(hours=24)
REFRESH_TOKEN_LIFETIME = timedelta(days=14)

# argon2-cffi's PasswordHasher is argon2id with RFC 9106's low-memory profile by default.
_hasher = PasswordHasher()


@functools.cache
def _unknown_login_hash() -> str:
    """Compared against when no account has the login, so an unknown login costs as much as a wrong password."""
    return _hasher.hash(secrets.token_urlsafe(16))


def normalise_login(login: str) -> str:
    """The form a login is stored and compared in: NFKC, trimmed, case-folded."""
    return unicodedata.normalize("NFKC", login).strip().casefold()


def check_password_policy(password: str) -> None:
    """Unprocessable for a password too short or too long to accept."""
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise Unprocessable(
            f"a password has {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters",
            {"password": f"use at least {PASSWORD_MIN_LENGTH} characters"},
        )


def hash_password(password: str) -> str:
    """The argon2id hash of an acceptable password."""
    check_password_policy(password)
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one hashed; with no hash, spends the same time and answers False."""
    try:
        return _hasher.verify(password_hash or _unknown_login_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def lockout_until(failures: int, now: datetime) -> datetime | None:
    """When an account with ``failures`` failed sign-ins in a row may try again (None: now)."""
    if failures < FREE_FAILURES:
        return None
    return now + min(FIRST_LOCKOUT * 2 ** (failures - FREE_FAILURES), LONGEST_LOCKOUT)


def check_may_sign_in(account: dict[str, Any] | None, now: datetime) -> None:
    """Unauthorized for a disabled or locked account (the message never says whether a login exists)."""
    if account is None:
        return
    if account.get("disabled"):
        raise Unauthorized("this account is disabled")
    locked_until = account.get("locked_until")
    if locked_until is not None and locked_until > now:
        raise Unauthorized("too many failed sign-ins: try again later", {"retry_after": locked_until.isoformat()})


def new_secret() -> str:
    """A one-time secret to hand out (a reset link or a refresh token); only its digest is kept."""
    return secrets.token_urlsafe(32)


def secret_digest(secret: str) -> str:
    """What is stored of a secret: a high-entropy token needs no slow hash, SHA-256 suffices."""
    return hashlib.sha256(secret.encode()).hexdigest()


def check_grants(grants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The role grants without duplicates; InvalidInput when an alliance admin names an
    organisation or an organisation role names none."""
    unique: list[dict[str, Any]] = []
    for grant in grants:
        role, organisation_id = grant["role"], grant.get("organisation_id")
        if role == AccountRole.ALLIANCE_ADMIN and organisation_id is not None:
            raise InvalidInput("the alliance admin role is not scoped to an organisation", {"roles": role})
        if role != AccountRole.ALLIANCE_ADMIN and not organisation_id:
            raise InvalidInput(f"the {role} role needs an organisation_id", {"roles": role})
        entry = {"role": str(role), "organisation_id": organisation_id}
        if entry not in unique:
            unique.append(entry)
    return unique


def check_grants_fit_person(grants: list[dict[str, Any]], person: dict[str, Any] | None) -> None:
    """Unprocessable for a student role without the student behind it: a student account reads
    one person's record, so it must be that person's, in that person's organisation."""
    for grant in grants:
        if grant["role"] != AccountRole.STUDENT:
            continue
        if person is None or person["organisation_id"] != grant["organisation_id"]:
            raise Unprocessable(
                "a student role is for the account of a person of that organisation", {"roles": "student"}
            )


def organisations_named(grants: list[dict[str, Any]]) -> list[str]:
    """The organisations the grants are scoped to, each once."""
    return list(dict.fromkeys(g["organisation_id"] for g in grants if g.get("organisation_id")))


def new_account(
    account_id: str,
    login: str,
    person_id: str | None,
    grants: list[dict[str, Any]],
    password_hash: str | None,
    by: str | None,
    now: datetime,
) -> dict[str, Any]:
    """A new account, enabled, with its first history line."""
    return {
        "_id": account_id,
        "login": normalise_login(login),
        "person_id": person_id,
        "roles": grants,
        "password_hash": password_hash,
        "disabled": False,
        "failed_sign_ins": 0,
        "locked_until": None,
        "created_at": now,
        "updated_at": now,
        "history": [account_history(now, by, "created", roles=grants)],
    }


def account_history(now: datetime, by: str | None, change: str, **details: Any) -> dict[str, Any]:
    """One line of an account's history: what changed, when and by whom."""
    return {"at": now, "by": by, "change": change, **details}


def session_record(
    digest: str, family_id: str, account_id: str, now: datetime, lifetime: timedelta = REFRESH_TOKEN_LIFETIME
) -> dict[str, Any]:
    """A stored refresh token: a member of a family that a sign-in starts and each refresh extends."""
    return {
        "_id": digest,
        "family_id": family_id,
        "account_id": account_id,
        "created_at": now,
        "expires_at": now + lifetime,
        "rotated_at": None,
        "revoked_at": None,
    }


def reset_record(digest: str, account_id: str, by: str | None, now: datetime) -> dict[str, Any]:
    """A stored one-time reset link."""
    return {
        "_id": digest,
        "account_id": account_id,
        "issued_by": by,
        "created_at": now,
        "expires_at": now + RESET_LINK_LIFETIME,
        "used_at": None,
    }
