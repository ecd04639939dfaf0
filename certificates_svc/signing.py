"""The issuer's keys as a nameko dependency: signs credentials, publishes the DID document."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from nameko.extensions import DependencyProvider

from certificates_svc.credential import build_credential
from certificates_svc.keys import KeyRing, did_document, load_or_create_keys
from certificates_svc.proof import sign_document
from certificates_svc.status_list import BitstringStatusList, status_list_credential
from services.config import data_dir, public_base_url


def did_web_for(base_url: str) -> str:
    """``did:web`` for the gateway's public address (the port percent-encoded)."""
    parts = urlsplit(base_url)
    return "did:web:" + quote(parts.netloc, safe="")


class Signer:
    """Signs with the newest key; all keys stay published so old credentials verify."""

    def __init__(self, keyring: KeyRing, did: str, base_url: str) -> None:
        self.keyring = keyring
        self.did = did
        self.base_url = base_url.rstrip("/")

    def did_document(self) -> dict[str, Any]:
        """The issuer's DID document, publishing every key."""
        return did_document(self.did, self.keyring)

    def credential_url(self, number: str) -> str:
        """Where a certificate's credential is published; also the credential's id."""
        return f"{self.base_url}/api/v1/certificates/{number}/credential"

    def status_list_url(self, list_id: str) -> str:
        """Where a status list credential is published; also its id."""
        return f"{self.base_url}/api/v1/status-lists/{list_id}"

    def sign(self, credential: dict[str, Any], now: datetime) -> dict[str, Any]:
        """``credential`` with a proof by the current key."""
        key = self.keyring.current
        return sign_document(credential, key, f"{self.did}#{key.key_id}", now)

    def credential_for(
        self,
        *,
        number: str,
        issuer_name: str,
        holder: dict[str, Any],
        achievement: dict[str, Any],
        valid_from: datetime,
        valid_until: datetime | None,
        status: list[dict[str, Any]],
    ) -> dict[str, Any]:
        """The signed credential of one certificate."""
        unsigned = build_credential(
            credential_id=self.credential_url(number),
            issuer={"id": self.did, "name": issuer_name},
            holder=holder,
            achievement=achievement,
            number=number,
            valid_from=valid_from,
            valid_until=valid_until,
            status=status,
        )
        return self.sign(unsigned, valid_from)

    def status_list_for(self, list_id: str, purpose: str, bits: BitstringStatusList, now: datetime) -> dict[str, Any]:
        """The signed ``BitstringStatusListCredential`` of one list as it stands ``now``."""
        unsigned = status_list_credential(self.status_list_url(list_id), self.did, purpose, bits, now)
        return self.sign(unsigned, now)


def keys_directory(config: Mapping[str, Any]) -> Path:
    """SIGNING_KEYS_DIR, else ``<ALLIANCE_DATA_DIR>/signing-keys``."""
    return Path(config.get("SIGNING_KEYS_DIR") or data_dir(config) / "signing-keys")


def issuer_did(config: Mapping[str, Any]) -> str:
    """ISSUER_DID, else the ``did:web`` of the public base URL."""
    return str(config.get("ISSUER_DID") or did_web_for(public_base_url(config)))


class IssuerKeys(DependencyProvider):
    """Loads (or in development creates) the signing keys once per process."""

    def setup(self) -> None:
        config = self.container.config
        self.signer = Signer(load_or_create_keys(keys_directory(config)), issuer_did(config), public_base_url(config))

    def get_dependency(self, worker_ctx) -> Signer:
        return self.signer
