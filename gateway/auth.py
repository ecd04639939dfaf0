"""Bearer JWTs and who they name.

Two kinds of token reach the gateway: operators' service tokens (HS256 from the shared
secret, minted by ``alliance token``, one role) and people's access tokens (EdDSA, signed
with a key of gateway/token_keys.py after a sign-in, the account as subject and its roles
in organisations). Both become a ``Principal`` whose ``may(action, organisation)`` is the
one place routes ask what a caller may do.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt

from gateway.token_keys import TokenKeyStore
from services.clock import utcnow
from services.config import data_dir
from services.errors import Forbidden, Unauthorized

ALGORITHM = "HS256"
ACCOUNT_ALGORITHM = "EdDSA"
ISSUER = "vocational-alliance"
ALLIANCE_ADMIN = "alliance_admin"
ORG_ADMIN = "org_admin"
TEACHER = "teacher"
ASSESSOR = "assessor"
STUDENT = "student"
ROLES = (ALLIANCE_ADMIN, ORG_ADMIN)  # of service tokens
ACCOUNT_ROLES = (ALLIANCE_ADMIN, ORG_ADMIN, TEACHER, ASSESSOR, STUDENT)
STAFF_ROLES = (ORG_ADMIN, TEACHER, ASSESSOR)
DEFAULT_MAX_LIFETIME = timedelta(hours=24)
ACCESS_TOKEN_LIFETIME = timedelta(minutes=15)
MAX_ID_LENGTH = 128
MAX_GRANTS = 50
ACCOUNT_SUBJECT = "account:"

# What a caller may do in an organisation, by action: the alliance admin may do all of it anywhere.
ADMINISTER = "administer"  # the organisation itself: memberships, events, results, certificates, accounts
MANAGE_PEOPLE = "manage_people"  # register and correct its people
REGISTER = "register"  # register its people for events, cancel its registrations
ASSESS = "assess"  # record assessments in its name (an accredited evaluator)
READ_STATISTICS = "read_statistics"  # its attainment figures: its admin, and its assessors see their school's
PERMISSIONS: dict[str, frozenset[str]] = {
    ADMINISTER: frozenset({ORG_ADMIN}),
    MANAGE_PEOPLE: frozenset({ORG_ADMIN, TEACHER}),
    REGISTER: frozenset({ORG_ADMIN, TEACHER}),
    ASSESS: frozenset({ORG_ADMIN, ASSESSOR}),
    READ_STATISTICS: frozenset({ORG_ADMIN, ASSESSOR}),
}


def jwt_secret(config: dict[str, Any]) -> str:
    """The signing secret: configured, or read from (and once generated in) the data dir."""
    if config.get("JWT_SECRET"):
        return str(config["JWT_SECRET"])
    path = Path(config.get("JWT_SECRET_FILE") or data_dir(config) / "jwt-secret")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def mint_token(
    secret: str,
    role: str,
    org: str | None = None,
    subject: str | None = None,
    lifetime: timedelta = timedelta(hours=12),
    max_lifetime: timedelta | None = None,
) -> str:
    """A signed token for ``role``; ValueError for a role, organisation or lifetime the gateway would refuse."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role == ORG_ADMIN and not org:
        raise ValueError("an org_admin token needs --org")
    if max_lifetime is not None and lifetime > max_lifetime:
        raise ValueError(
            f"a token may live at most {_hours(max_lifetime)} hours (TOKEN_MAX_LIFETIME_HOURS); "
            f"{_hours(lifetime)} were asked for"
        )
    now = utcnow()
    claims: dict[str, Any] = {
        "sub": subject or (f"{role}:{org}" if org else role),
        "role": role,
        "iss": ISSUER,
        "iat": now,
        "exp": now + lifetime,
    }
    if org:
        claims["org"] = org
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@dataclass(frozen=True)
class Grant:
    """A role, in an organisation (none for the alliance admin)."""

    role: str
    org: str | None = None


@dataclass(frozen=True)
class Principal:
    """The caller: a subject (the account, or a service token's role) and its grants."""

    subject: str
    grants: tuple[Grant, ...]
    person: str | None = None  # the person behind an account, if any

    @classmethod
    def service(cls, role: str, org: str | None = None, subject: str | None = None) -> Principal:
        """The caller of a service token: one role."""
        return cls(subject or (f"{role}:{org}" if org else role), (Grant(role, org),))

    @property
    def is_admin(self) -> bool:
        return any(grant.role == ALLIANCE_ADMIN for grant in self.grants)

    @property
    def account_id(self) -> str | None:
        """The account of a signed-in person; None for a service token."""
        return self.subject.removeprefix(ACCOUNT_SUBJECT) if self.subject.startswith(ACCOUNT_SUBJECT) else None

    @property
    def org(self) -> str | None:
        """The organisation the caller works for: its first org_admin grant's, else its first staff grant's."""
        for roles in ((ORG_ADMIN,), STAFF_ROLES):
            for grant in self.grants:
                if grant.role in roles:
                    return grant.org
        return None

    def staff_org(self) -> str:
        """The organisation a listing is narrowed to for a caller who is not the alliance admin."""
        if self.org is None:
            raise Forbidden("this needs a staff role in an organisation")
        return self.org

    def may(self, action: str, organisation_id: str | None) -> bool:
        """Whether the caller may do ``action`` (ADMINISTER, MANAGE_PEOPLE, ...) for the organisation."""
        if self.is_admin:
            return True
        roles = PERMISSIONS[action]
        return organisation_id is not None and any(
            grant.role in roles and grant.org == organisation_id for grant in self.grants
        )

    def require(self, action: str, organisation_id: str | None) -> None:
        if not self.may(action, organisation_id):
            raise Forbidden(f"this token may not {action.replace('_', ' ')} for that organisation")

    def is_person(self, person_id: str | None) -> bool:
        """Whether the caller is the signed-in person ``person_id``."""
        return self.person is not None and person_id == self.person

    def can_act_for(self, organisation_id: str | None) -> bool:
        return self.may(ADMINISTER, organisation_id)

    def require_org(self, organisation_id: str | None) -> None:
        """Allow the alliance admin, or the admin of ``organisation_id``."""
        if not self.can_act_for(organisation_id):
            raise Forbidden("this token does not act for that organisation")

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("this action needs the alliance_admin role")


def mint_access_token(keys: TokenKeyStore, account: dict[str, Any], lifetime: timedelta = ACCESS_TOKEN_LIFETIME) -> str:
    """A signed-in account's access token: its id as subject, its person and its roles."""
    now = utcnow()
    claims: dict[str, Any] = {
        "sub": f"{ACCOUNT_SUBJECT}{account['id']}",
        "roles": [{"role": g["role"], "org": g.get("organisation_id")} for g in account["roles"]],
        "iss": ISSUER,
        "iat": now,
        "exp": now + lifetime,
    }
    if account.get("person_id"):
        claims["person"] = account["person_id"]
    key = keys.signing
    return jwt.encode(claims, key.private_key, algorithm=ACCOUNT_ALGORITHM, headers={"kid": key.kid})


def principal_from_header(
    header: str | None,
    secret: str,
    max_lifetime: timedelta = DEFAULT_MAX_LIFETIME,
    keys: TokenKeyStore | None = None,
) -> Principal | None:
    """The caller of a request; None without a token, Unauthorized for a bad one.

    The algorithm decides the key: HS256 the shared secret, EdDSA the token key its ``kid`` names.
    """
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("use 'Authorization: Bearer <token>'")
    try:
        unverified = jwt.get_unverified_header(token.strip())
        if unverified.get("alg") == ACCOUNT_ALGORITHM and keys is not None:
            key = keys.find(str(unverified.get("kid")))
            if key is None:
                raise Unauthorized("the token is signed with a key this gateway does not know (or no longer uses)")
            verifier, algorithm, required = key.public_key, ACCOUNT_ALGORITHM, "roles"
        else:
            verifier, algorithm, required = secret, ALGORITHM, "role"
        claims = jwt.decode(
            token.strip(),
            verifier,
            algorithms=[algorithm],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", required]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired") from None
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"invalid token: {exc}") from None
    if algorithm == ACCOUNT_ALGORITHM:
        return principal_from_account_claims(claims, max_lifetime)
    return principal_from_claims(claims, max_lifetime)


def principal_from_claims(claims: dict[str, Any], max_lifetime: timedelta = DEFAULT_MAX_LIFETIME) -> Principal:
    """The caller named by verified claims; Unauthorized when a claim has the wrong type or value.

    Claims end up in database queries (``org`` filters what an org_admin sees), so each must be a
    plain string: a signed ``{"$ne": null}`` would otherwise match every organisation.
    """
    subject, role, org = claims.get("sub"), claims.get("role"), claims.get("org")
    if not _is_id(subject):
        raise Unauthorized("the token's subject must be a string")
    if role not in ROLES:
        raise Unauthorized("the token carries no usable role")
    if org is not None and not _is_id(org):
        raise Unauthorized("the token's organisation must be an id string")
    if role == ORG_ADMIN and org is None:
        raise Unauthorized("an org_admin token must name its organisation")
    _check_lifetime(claims, max_lifetime)
    return Principal.service(role, org, subject)


def principal_from_account_claims(claims: dict[str, Any], max_lifetime: timedelta = DEFAULT_MAX_LIFETIME) -> Principal:
    """The signed-in account named by verified claims; Unauthorized for a claim of the wrong shape."""
    subject, roles, person = claims.get("sub"), claims.get("roles"), claims.get("person")
    if not _is_id(subject) or not subject.startswith(ACCOUNT_SUBJECT):
        raise Unauthorized("an access token's subject must be an account")
    if not isinstance(roles, list) or len(roles) > MAX_GRANTS:
        raise Unauthorized("an access token's roles must be a list")
    grants = []
    for entry in roles:
        role, org = (entry.get("role"), entry.get("org")) if isinstance(entry, dict) else (None, None)
        if (
            role not in ACCOUNT_ROLES
            or (org is not None and not _is_id(org))
            or ((org is None) != (role == ALLIANCE_ADMIN))
        ):
            raise Unauthorized("an access token carries a role it may not")
        grants.append(Grant(role, org))
    if person is not None and not _is_id(person):
        raise Unauthorized("the token's person must be an id string")
    _check_lifetime(claims, max_lifetime)
    return Principal(subject, tuple(grants), person)


def _check_lifetime(claims: dict[str, Any], max_lifetime: timedelta) -> None:
    issued_at, expires_at = claims.get("iat"), claims.get("exp")
    if not _is_time(issued_at) or not _is_time(expires_at):
        raise Unauthorized("the token's iat and exp must be numeric dates")
    if expires_at - issued_at > max_lifetime.total_seconds():
        raise Unauthorized(f"the token lives longer than the allowed {_hours(max_lifetime)} hours")


def max_token_lifetime(config: dict[str, Any]) -> timedelta:
    """The longest lifetime (``exp`` − ``iat``) a token may have (``TOKEN_MAX_LIFETIME_HOURS``)."""
    hours = config.get("TOKEN_MAX_LIFETIME_HOURS")
    return timedelta(hours=float(hours)) if hours not in (None, "") else DEFAULT_MAX_LIFETIME


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


def _is_time(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _hours(lifetime: timedelta) -> str:
    return f"{lifetime.total_seconds() / 3600:g}"
