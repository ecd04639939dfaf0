"""Ed25519 issuer keys: storage, rotation and publication.

Keys live in one directory as unencrypted PKCS#8 PEM files, one per key,
named ``<key id>.pem`` with key ids like ``key-2026-11-28T150000Z`` (UTC
creation time). Ids sort in creation order; the newest key signs, and every
key stays published so credentials signed before a rotation still verify.
Files are written with mode 0600 in a 0700 directory, atomically and without
ever overwriting an existing key, under a lock so instances started together
agree on one key.

Public keys are published as W3C ``Multikey`` verification methods
(``publicKeyMultibase`` = ``z`` + base58btc(0xed 0x01 + 32 key bytes)) in a
DID document, and as a JWKS for JOSE tooling.
"""

from __future__ import annotations

import base64
import fcntl
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import base58
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from services.clock import utcnow

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
ED25519_MULTICODEC = b"\xed\x01"

_KEY_ID_FORMAT = "key-%Y-%m-%dT%H%M%SZ"
_KEY_ID_RE = re.compile(r"\Akey-[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{6}Z\Z")
_LOCK_FILE = ".lock"


class KeyResolutionError(ValueError):
    """A verification method cannot be found or used."""


@dataclass(frozen=True)
class SigningKey:
    """An issuer's Ed25519 private key and the id it is published under."""

    key_id: str
    private_key: Ed25519PrivateKey = field(repr=False)

    @property
    def public_key(self) -> Ed25519PublicKey:
        """Return the public half of the key."""
        return self.private_key.public_key()

    def sign(self, data: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``data``."""
        return self.private_key.sign(data)


@dataclass
class KeyRing:
    """All issuer keys, oldest first; the newest one signs."""

    keys: list[SigningKey]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("a key ring needs at least one key")
        self.keys = sorted(self.keys, key=lambda k: k.key_id)

    @property
    def current(self) -> SigningKey:
        """Return the key that signs new credentials."""
        return self.keys[-1]

    def get(self, key_id: str) -> SigningKey:
        """Return the key with ``key_id``; raise KeyError if there is none."""
        for key in self.keys:
            if key.key_id == key_id:
                return key
        raise KeyError(key_id)

    def rotate(self, directory: Path, now: datetime | None = None) -> SigningKey:
        """Create, store and add a new key that becomes the signing key."""
        directory = Path(directory)
        with _locked(directory):
            on_disk = _read_keys(directory)
            known = {k.key_id for k in self.keys}
            self.keys.extend(k for k in on_disk if k.key_id not in known)
            self.keys.sort(key=lambda k: k.key_id)
            key = _create_key(directory, now, after=self.current.key_id)
            self.keys.append(key)
        return key


def load_or_create_keys(directory: Path, now: datetime | None = None) -> KeyRing:
    """Load every key in ``directory``, creating the directory and a first key if needed."""
    directory = Path(directory)
    with _locked(directory):
        keys = _read_keys(directory)
        if not keys:
            keys = [_create_key(directory, now, after=None)]
    return KeyRing(keys)


def public_key_bytes(public_key: Ed25519PublicKey) -> bytes:
    """Return the 32 raw bytes of an Ed25519 public key."""
    return public_key.public_bytes(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)


def public_key_multibase(public_key: Ed25519PublicKey) -> str:
    """Return the Multikey ``publicKeyMultibase`` form of an Ed25519 public key."""
    raw = ED25519_MULTICODEC + public_key_bytes(public_key)
    return "z" + base58.b58encode(raw).decode("ascii")


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    """Decode a Multikey ``publicKeyMultibase`` value into an Ed25519 public key."""
    if not isinstance(value, str) or not value.startswith("z"):
        raise KeyResolutionError("publicKeyMultibase must be base58btc, starting with 'z'")
    try:
        raw = base58.b58decode(value[1:])
    except ValueError as exc:
        raise KeyResolutionError(f"publicKeyMultibase is not valid base58btc: {exc}") from None
    if len(raw) != 34 or not raw.startswith(ED25519_MULTICODEC):
        raise KeyResolutionError("publicKeyMultibase is not an Ed25519 public key (multicodec 0xed01 + 32 bytes)")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def did_document(did: str, keyring: KeyRing) -> dict[str, Any]:
    """Return the DID document publishing every key of ``keyring`` for assertions."""
    methods = [
        {
            "id": f"{did}#{key.key_id}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": public_key_multibase(key.public_key),
        }
        for key in keyring.keys
    ]
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


def jwks(keyring: KeyRing) -> dict[str, Any]:
    """Return every key of ``keyring`` as an RFC 8037 JSON Web Key Set."""
    return {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": base64.urlsafe_b64encode(public_key_bytes(key.public_key)).rstrip(b"=").decode("ascii"),
                "kid": key.key_id,
                "alg": "EdDSA",
                "use": "sig",
            }
            for key in keyring.keys
        ]
    }


def resolve_verification_method(
    did_doc: dict[str, Any], vm_id: str, purpose: str = "assertionMethod"
) -> Ed25519PublicKey:
    """Return the public key of verification method ``vm_id`` authorised for ``purpose``."""
    doc_id = did_doc.get("id")
    if not isinstance(doc_id, str) or not doc_id:
        raise KeyResolutionError("the DID document has no id")
    if not isinstance(vm_id, str) or vm_id.split("#", 1)[0] != doc_id:
        raise KeyResolutionError(f"verification method {vm_id!r} does not belong to {doc_id}")

    def absolute(ref: Any) -> str:
        ref = ref if isinstance(ref, str) else ""
        return doc_id + ref if ref.startswith("#") else ref

    listed = {absolute(m.get("id")): m for m in did_doc.get("verificationMethod") or [] if isinstance(m, dict)}
    authorised = False
    method: dict[str, Any] | None = None
    for entry in did_doc.get(purpose) or []:
        # A purpose lists a method by reference or embeds it whole.
        if isinstance(entry, str) and absolute(entry) == vm_id:
            authorised, method = True, listed.get(vm_id)
            break
        if isinstance(entry, dict) and absolute(entry.get("id")) == vm_id:
            authorised, method = True, entry
            break
    if not authorised:
        raise KeyResolutionError(f"{vm_id} is not authorised for {purpose} by {doc_id}")
    if method is None:
        raise KeyResolutionError(f"verification method {vm_id} is not in the DID document")
    if method.get("type") != "Multikey":
        raise KeyResolutionError(f"{vm_id} has type {method.get('type')!r}, expected Multikey")
    if method.get("controller") != doc_id:
        raise KeyResolutionError(f"{vm_id} is not controlled by {doc_id}")
    return public_key_from_multibase(method.get("publicKeyMultibase"))


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(directory / _LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read_keys(directory: Path) -> list[SigningKey]:
    keys = []
    for path in sorted(directory.glob("*.pem")):
        key_id = path.stem
        # A stray file must not silently become the signing key by sorting last.
        if not _KEY_ID_RE.match(key_id):
            raise ValueError(f"{path} is not named like key-YYYY-MM-DDTHHMMSSZ.pem")
        private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(private_key, Ed25519PrivateKey):
            raise TypeError(f"{path} does not hold an Ed25519 private key")
        keys.append(SigningKey(key_id, private_key))
    return keys


def _create_key(directory: Path, now: datetime | None, after: str | None) -> SigningKey:
    stamp = (now or utcnow()).astimezone(UTC).replace(microsecond=0)
    if after is not None:
        # Keep ids in creation order even if the clock went back or two
        # rotations fall in the same second.
        latest = datetime.strptime(after, _KEY_ID_FORMAT).replace(tzinfo=UTC)
        stamp = max(stamp, latest + timedelta(seconds=1))
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".key")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(pem)
            tmp.flush()
            os.fsync(tmp.fileno())
        while True:
            key_id = stamp.strftime(_KEY_ID_FORMAT)
            try:
                # link() publishes the complete file under its final name and
                # fails rather than replacing a key that already exists.
                os.link(tmp_name, directory / f"{key_id}.pem")
                break
            except FileExistsError:
                stamp += timedelta(seconds=1)
    finally:
        os.unlink(tmp_name)
    _fsync_directory(directory)
    return SigningKey(key_id, private_key)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
