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
) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role == ORG_ADMIN and not org:
        raise ValueError("an org_admin token needs --org")
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


def principal_from_header(header: str | None, secret: str) -> Principal | None:
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
    if claims.get("role") not in ROLES or (claims["role"] == ORG_ADMIN and not claims.get("org")):
        raise Unauthorized("the token carries no usable role")
    return Principal(subject=str(claims["sub"]), role=claims["role"], org=claims.get("org"))
