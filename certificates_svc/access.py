"""Who sees a certificate in full: the holder-name check and share links. Pure rules, no I/O.

The full credential and the printable certificate are for the holder's and the
issuer's staff. Anyone else needs the holder's full name (then learns no more
than public verification tells) or a share link the holder's school made.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from services.errors import NotFound
from services.identity import normalise_name

TOKEN_BYTES = 32  # 256 bits: guessing is hopeless, whatever the rate limit
DEFAULT_SHARE_DAYS = 30
MAX_SHARE_DAYS = 90
# Longer than any token this module makes; longer input is refused before it is hashed.
MAX_TOKEN_LENGTH = 64
# Compared against when the number is unknown, so that an unknown number does the same work as a wrong name.
_NOBODY = secrets.token_hex(16)


class ShareLinkState(str, Enum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


def _name_digest(name: str) -> bytes:
    return hashlib.sha256(normalise_name(name).encode("utf-8")).digest()


def holder_named(certificate: dict[str, Any] | None, name: str) -> bool:
    """Whether ``name`` is the holder's, in constant time; an unknown certificate (None) never matches."""
    stored = certificate["holder_name"] if certificate is not None else _NOBODY
    matches = hmac.compare_digest(_name_digest(stored), _name_digest(name if isinstance(name, str) else ""))
    return matches and certificate is not None


def no_certificate_for_name() -> NotFound:
    """The one answer for an unknown number, a wrong name and a caller without access alike."""
    return NotFound("no such certificate for that name")


def new_share_token() -> str:
    """A fresh share-link secret, shown once to whoever made the link."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """How a share token is stored and looked up: its SHA-256 (a 256-bit secret needs no slow hash)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_share_link(
    link_id: str, number: str, token: str, created_by: str | None, now: datetime, days: int
) -> dict[str, Any]:
    """A share link as stored: the token's digest only, never the token."""
    if not 1 <= days <= MAX_SHARE_DAYS:
        raise ValueError(f"a share link lasts 1 to {MAX_SHARE_DAYS} days")
    return {
        "_id": link_id,
        "number": number,
        "token_digest": token_digest(token),
        "created_by": created_by,
        "created_at": now,
        "expires_at": now + timedelta(days=days),
        "revoked_at": None,
    }


def share_link_state(link: dict[str, Any], now: datetime) -> ShareLinkState:
    """Active until revoked or past its expiry."""
    if link.get("revoked_at") is not None:
        return ShareLinkState.REVOKED
    if now >= link["expires_at"]:
        return ShareLinkState.EXPIRED
    return ShareLinkState.ACTIVE


def share_link_view(link: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A share link as answered: with its state, without any secret."""
    return {**{k: v for k, v in link.items() if k != "token_digest"}, "state": share_link_state(link, now).value}


def no_such_share_link() -> NotFound:
    """The one answer for an unknown, expired or revoked share link."""
    return NotFound("no such share link")
