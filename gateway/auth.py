"""Bearer JWTs: the secret, minting, verification and the two roles."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt

from services.clock import utcnow
from services.config import data_dir
from services.errors import DomainError, Forbidden

ALGORITHM = "HS256"
ISSUER = "vocational-alliance"
ALLIANCE_ADMIN = "alliance_admin"
ORG_ADMIN = "org_admin"
ROLES = (ALLIANCE_ADMIN, ORG_ADMIN)
DEFAULT_MAX_LIFETIME = timedelta(hours=24)
MAX_ID_LENGTH = 128


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


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
class Principal:
    subject: str
    role: str
    org: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == ALLIANCE_ADMIN

    def can_act_for(self, organisation_id: str | None) -> bool:
        return self.is_admin or (organisation_id is not None and self.org == organisation_id)

    def require_org(self, organisation_id: str | None) -> None:
        """Allow the alliance admin, or the admin of ``organisation_id``."""
        if not self.can_act_for(organisation_id):
            raise Forbidden("this token does not act for that organisation")

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("this action needs the alliance_admin role")


def principal_from_header(
    header: str | None, secret: str, max_lifetime: timedelta = DEFAULT_MAX_LIFETIME
) -> Principal | None:
    """The caller of a request; None without a token, Unauthorized for a bad one."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("use 'Authorization: Bearer <token>'")
    try:
        claims = jwt.decode(
            token.strip(),
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "role"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired") from None
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"invalid token: {exc}") from None
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
    issued_at, expires_at = claims.get("iat"), claims.get("exp")
    if not _is_time(issued_at) or not _is_time(expires_at):
        raise Unauthorized("the token's iat and exp must be numeric dates")
    if expires_at - issued_at > max_lifetime.total_seconds():
        raise Unauthorized(f"the token lives longer than the allowed {_hours(max_lifetime)} hours")
    return Principal(subject=subject, role=role, org=org)


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
