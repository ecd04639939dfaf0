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


def organisation_did(platform_did: str, organisation_id: str) -> str:
    """An organisation's own ``did:web``, under the platform's: resolved at ``/organisations/<id>/did.json``."""
    return f"{platform_did}:organisations:{organisation_id}"


class Signer:
    """Signs with the newest key; all keys stay published so old credentials verify.

    The platform holds the keys of every organisation it issues for: each organisation
    has its own DID, whose document publishes the same key material as the platform's.
    """

    def __init__(self, keyring: KeyRing, did: str, base_url: str) -> None:
        self.keyring = keyring
        self.did = did
        self.base_url = base_url.rstrip("/")

    def issuer_did(self, organisation_id: str | None = None) -> str:
        """The DID of an organisation, or the platform's own for None."""
        return organisation_did(self.did, organisation_id) if organisation_id else self.did

    def did_document(self, organisation_id: str | None = None) -> dict[str, Any]:
        """The DID document of an organisation (or the platform), publishing every key."""
        return did_document(self.issuer_did(organisation_id), self.keyring)

    def credential_url(self, number: str) -> str:
        """Where a certificate's credential is published; also the credential's id."""
        return f"{self.base_url}/api/v1/certificates/{number}/credential"

    def status_list_url(self, list_id: str, organisation_id: str | None = None) -> str:
        """Where a status list credential (issued by an organisation, or the platform) is published."""
        if organisation_id:
            return f"{self.base_url}/api/v1/organisations/{organisation_id}/status-lists/{list_id}"
        return f"{self.base_url}/api/v1/status-lists/{list_id}"

    def sign(self, credential: dict[str, Any], now: datetime, did: str | None = None) -> dict[str, Any]:
        """``credential`` with a proof by the current key, under ``did`` (default: the platform's)."""
        key = self.keyring.current
        return sign_document(credential, key, f"{did or self.did}#{key.key_id}", now)

    def credential_for(
        self,
        *,
        number: str,
        issuer_id: str,
        issuer_name: str,
        holder: dict[str, Any],
        achievement: dict[str, Any],
        valid_from: datetime,
        valid_until: datetime | None,
        status: dict[str, Any],
    ) -> dict[str, Any]:
        """The signed credential of one certificate, issued under the organisation's own DID."""
        did = self.issuer_did(issuer_id)
        unsigned = build_credential(
            credential_id=self.credential_url(number),
            issuer={"id": did, "name": issuer_name},
            holder=holder,
            achievement=achievement,
            number=number,
            valid_from=valid_from,
            valid_until=valid_until,
            status=status,
        )
        return self.sign(unsigned, valid_from, did)

    def status_list_for(
        self,
        list_id: str,
        purpose: str,
        bits: BitstringStatusList,
        now: datetime,
        organisation_id: str | None = None,
    ) -> dict[str, Any]:
        """The signed ``BitstringStatusListCredential`` of one list as it stands ``now``.

        Credentials point at a copy issued by their own issuer, since a verifier accepts
        only a list from the credential's issuer; the bits are the platform's, shared.
        """
        did = self.issuer_did(organisation_id)
        unsigned = status_list_credential(self.status_list_url(list_id, organisation_id), did, purpose, bits, now)
        return self.sign(unsigned, now, did)


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
