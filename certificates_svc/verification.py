"""Verifying a certificate's credential offline: proof, validity period, status lists.

The credential names its holder only by a random subject id, so the holder's
name is checked online, by number and full name, never offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from certificates_svc.proof import issuer_id, verify_proof
from certificates_svc.status_list import MESSAGE, read_status, status_message
from services.clock import parse_rfc3339, utcnow


class VerificationStatus(str, Enum):
    """The one word that sums up a verification."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    INVALID_SIGNATURE = "invalid_signature"
    INVALID = "invalid"
    STATUS_UNVERIFIABLE = "status_unverifiable"


# Definite outcomes first; an unverifiable list only matters if nothing else is known.
_PRECEDENCE = (
    VerificationStatus.REVOKED,
    VerificationStatus.SUSPENDED,
    VerificationStatus.EXPIRED,
    VerificationStatus.NOT_YET_VALID,
    VerificationStatus.STATUS_UNVERIFIABLE,
)


@dataclass
class VerificationResult:
    """The outcome of verifying a credential; ``status`` is a VerificationStatus value."""

    valid: bool
    status: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _status_entries(credential: dict[str, Any]) -> list[dict[str, Any]]:
    status = credential.get("credentialStatus")
    if status is None:
        return []
    entries = status if isinstance(status, list) else [status]
    return [entry for entry in entries if isinstance(entry, dict)]


def verify_credential(
    credential: dict[str, Any],
    did_document: dict[str, Any],
    status_list_credential: dict[str, Any] | Sequence[dict[str, Any]] | None = None,
    now: datetime | None = None,
) -> VerificationResult:
    """Verify a credential's proof, validity period and status (given its lists)."""
    now = now or utcnow()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not isinstance(credential, dict):
        return VerificationResult(False, VerificationStatus.INVALID.value, ["the credential is not a JSON object"])
    proof_problems = verify_proof(credential, did_document)
    if proof_problems:
        return VerificationResult(False, VerificationStatus.INVALID_SIGNATURE.value, proof_problems)

    problems: list[str] = []
    warnings: list[str] = []
    found: set[VerificationStatus] = set()
    try:
        valid_from = parse_rfc3339(credential["validFrom"]) if "validFrom" in credential else None
        valid_until = parse_rfc3339(credential["validUntil"]) if "validUntil" in credential else None
    except ValueError as exc:
        return VerificationResult(False, VerificationStatus.INVALID.value, [f"validity period: {exc}"])
    if valid_from is not None and now < valid_from:
        found.add(VerificationStatus.NOT_YET_VALID)
        problems.append(f"not valid before {credential['validFrom']}")
    if valid_until is not None and now >= valid_until:
        found.add(VerificationStatus.EXPIRED)
        problems.append(f"expired at {credential['validUntil']}")

    if isinstance(status_list_credential, dict):
        lists = [status_list_credential]
    else:
        lists = list(status_list_credential or [])
    by_id = {lst.get("id"): lst for lst in lists if isinstance(lst, dict)}
    for entry in _status_entries(credential):
        purpose = entry.get("statusPurpose")
        list_credential = by_id.get(entry.get("statusListCredential"))
        if list_credential is None:
            warnings.append(f"{purpose} status not checked: {entry.get('statusListCredential')}")
            continue
        list_problems = _status_list_problems(list_credential, credential, did_document, now)
        if list_problems:
            found.add(VerificationStatus.STATUS_UNVERIFIABLE)
            problems.extend(list_problems)
            continue
        try:
            value = read_status(entry, list_credential)
        except ValueError as exc:
            found.add(VerificationStatus.STATUS_UNVERIFIABLE)
            problems.append(f"{purpose} status: {exc}")
            continue
        # A message entry names its value; a one-bit entry means what its purpose says.
        meaning = status_message(entry, value) if purpose == MESSAGE else purpose if value else "active"
        if meaning in ("revocation", "revoked"):
            found.add(VerificationStatus.REVOKED)
            problems.append("the issuer has revoked this credential")
        elif meaning in ("suspension", "suspended"):
            found.add(VerificationStatus.SUSPENDED)
            problems.append("the issuer has suspended this credential")
        elif meaning != "active":
            found.add(VerificationStatus.STATUS_UNVERIFIABLE)
            problems.append(f"{purpose} status: unknown status {meaning!r}")

    for status in _PRECEDENCE:
        if status in found:
            return VerificationResult(False, status.value, problems, warnings)
    return VerificationResult(True, VerificationStatus.ACTIVE.value, problems, warnings)


def _status_list_problems(
    list_credential: dict[str, Any],
    credential: dict[str, Any],
    did_document: dict[str, Any],
    now: datetime,
) -> list[str]:
    name = list_credential.get("id")
    if issuer_id(list_credential) != issuer_id(credential):
        return [f"status list {name} was not issued by the credential's issuer"]
    problems = [f"status list {name}: {p}" for p in verify_proof(list_credential, did_document)]
    try:
        if "validFrom" in list_credential and now < parse_rfc3339(list_credential["validFrom"]):
            problems.append(f"status list {name} is not valid yet")
        if "validUntil" in list_credential and now >= parse_rfc3339(list_credential["validUntil"]):
            problems.append(f"status list {name} has expired")
    except ValueError as exc:
        problems.append(f"status list {name}: {exc}")
    return problems
