"""The Ed25519 keys that sign account access tokens, published as a JWKS.

Each key is a PEM file ``<kid>.pem`` (mode 0600) in the token-keys directory of the
data dir; a kid begins with its creation time, so the newest key sorts last.
Rotation adds a key. It is published at once but signs only once it is
``KEY_ACTIVATION`` old, so every gateway replica knows it before any token signed with
it reaches them, even where the directory reaches each replica with a delay (a
Kubernetes Secret volume). The older keys stay published, and keep verifying tokens,
until every token they signed has expired.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

from services.clock import utcnow
from services.config import data_dir

KID_TIME_FORMAT = "%Y%m%dT%H%M%S%fZ"  # microseconds: two keys made in one second still sort by age
# How long a new key is published before it signs: longer than a Secret volume takes to reach every pod.
KEY_ACTIVATION = timedelta(minutes=5)


@dataclass(frozen=True)
class TokenKey:
    kid: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def created_at(self) -> datetime:
        return datetime.strptime(self.kid.split("-", 1)[0], KID_TIME_FORMAT).replace(tzinfo=UTC)

    def jwk(self) -> dict[str, Any]:
        """The public key as a JWK (OKP, Ed25519) with its kid."""
        jwk = json.loads(OKPAlgorithm.to_jwk(self.public_key))
        return {**jwk, "kid": self.kid, "alg": "EdDSA", "use": "sig"}


@dataclass(frozen=True)
class TokenKeyRing:
    """The keys in force, oldest first, all of them verifying; ``signing`` is one of them."""

    keys: tuple[TokenKey, ...]
    signing: TokenKey

    def find(self, kid: str) -> TokenKey | None:
        return next((key for key in self.keys if key.kid == kid), None)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.jwk() for key in self.keys]}


def token_keys_directory(config: dict[str, Any]) -> Path:
    """Where the token keys live (``TOKEN_KEYS_DIR``, default ``<data dir>/token-keys``)."""
    return Path(config.get("TOKEN_KEYS_DIR") or data_dir(config) / "token-keys")


def new_key(directory: Path, now: datetime | None = None) -> TokenKey:
    """Create a key file, readable by its owner only."""
    directory.mkdir(parents=True, exist_ok=True)
    kid = f"{(now or utcnow()).strftime(KID_TIME_FORMAT)}-{secrets.token_hex(4)}"
    private_key = Ed25519PrivateKey.generate()
    path = directory / f"{kid}.pem"
    path.touch(mode=0o600)
    path.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return TokenKey(kid, private_key)


def load_token_keys(directory: Path, token_lifetime: timedelta, now: datetime | None = None) -> TokenKeyRing:
    """The keys in force, a first one created when there is none.

    The newest key at least ``KEY_ACTIVATION`` old signs (the oldest key while every key is
    newer). A key whose successor began signing longer than ``token_lifetime`` ago can have
    signed no token still alive, so it is retired: neither published nor accepted (its file
    is kept).
    """
    now = now or utcnow()
    paths = sorted(directory.glob("*.pem")) if directory.exists() else []
    keys = [TokenKey(path.stem, _read_private_key(path)) for path in paths]
    if not keys:
        try:
            keys = [new_key(directory, now)]
        except OSError as exc:
            raise OSError(
                f"{directory} holds no token key and one cannot be created there ({exc}); "
                "create one with `alliance users rotate-token-key`"
            ) from exc
    in_force = [
        key
        for key, successor in zip(keys, [*keys[1:], None], strict=True)
        if successor is None or now - successor.created_at < token_lifetime + KEY_ACTIVATION
    ]
    active = [key for key in in_force if now - key.created_at >= KEY_ACTIVATION]
    return TokenKeyRing(tuple(in_force), active[-1] if active else in_force[0])


def _read_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


class TokenKeyStore:
    """The key ring of one gateway, read again from its directory now and then, so a key that
    another gateway created or an operator added by rotation is used without a restart."""

    RELOAD_SECONDS = 60.0
    UNKNOWN_KID_RELOAD_SECONDS = 1.0

    def __init__(self, directory: Path, token_lifetime: timedelta) -> None:
        self.directory = directory
        self.token_lifetime = token_lifetime
        self._load()

    def _load(self) -> None:
        self.ring = load_token_keys(self.directory, self.token_lifetime)
        self._loaded_at = time.monotonic()

    def _fresh(self, max_age: float) -> TokenKeyRing:
        if time.monotonic() - self._loaded_at >= max_age:
            self._load()
        return self.ring

    @property
    def signing(self) -> TokenKey:
        return self._fresh(self.RELOAD_SECONDS).signing

    def find(self, kid: str) -> TokenKey | None:
        """The key ``kid``; an unknown kid reads the directory again (at most once a second)."""
        return self._fresh(self.RELOAD_SECONDS).find(kid) or self._fresh(self.UNKNOWN_KID_RELOAD_SECONDS).find(kid)

    def jwks(self) -> dict[str, Any]:
        return self._fresh(self.RELOAD_SECONDS).jwks()
