"""Certificates as signed W3C Verifiable Credentials (Open Badges 3.0).

Every certificate is a VC Data Model 2.0 ``OpenBadgeCredential``::

    {
      "@context": [VC v2, Open Badges 3.0.3],
      "id": "urn:uuid:…",
      "type": ["VerifiableCredential", "OpenBadgeCredential"],
      "name": "<achievement name>",
      "issuer": {"id": "did:web:…", "type": ["Profile"], "name": "…"},
      "validFrom": "2026-06-30T00:00:00Z", "validUntil": … (optional),
      "credentialSubject": {
        "type": ["AchievementSubject"],
        "licenseNumber": "<certificate number>",
        "identifier": [
          {"type": "IdentityObject", "identityType": "nationalIdentityNumber",
           "identityHash": "sha256$<hex>", "hashed": true, "salt": "<salt>"},
          {"type": "IdentityObject", "identityType": "name",
           "identityHash": "sha256$<hex>", "hashed": true, "salt": "<salt>"}
        ],
        "achievement": {"id", "type": ["Achievement"], "achievementType", "name",
                        "description", "criteria": {"narrative"}, "certificateKind",
                        skill_level only: "occupation", "workType", "level",
                        "levelName": {"zh", "en"}}
      },
      "credentialStatus": [BitstringStatusListEntry, …] (optional),
      "proof": {…}
    }

Neither the national ID number nor the holder's name appears in clear: only
their salted SHA-256 hashes (one salt for both), in the Open Badges
``IdentityObject`` form (``sha256$`` + hex of SHA-256(value + salt)). Whoever
knows the holder's name can check it with :func:`holder_name_matches`.
Custom achievement terms fall under the VC v2 context's issuer-dependent
``@vocab``.

Proofs are Data Integrity proofs with the ``eddsa-jcs-2022`` cryptosuite
(W3C vc-di-eddsa): the proof options (the proof without ``proofValue``, with
the document's ``@context`` copied in) and the unsecured document are each
canonicalised with JCS (RFC 8785) and hashed with SHA-256; Ed25519 signs
``hash(options) || hash(document)``; ``proofValue`` is the signature in
multibase base58btc (``z…``). The ``@context`` stays in the published proof,
as in the specification's test vectors.
"""

from __future__ import annotations

import copy
import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import base58
import rfc8785
from cryptography.exceptions import InvalidSignature

from certificates_svc.keys import (
    KeyResolutionError,
    SigningKey,
    resolve_verification_method,
)
from certificates_svc.numbers import CERTIFICATE_KINDS, SKILL_LEVELS
from certificates_svc.status_list import read_status
from services.identity import contains_national_id, name_hash, normalise_name

VC_CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_PURPOSE = "assertionMethod"

ACTIVE = "active"
SUSPENDED = "suspended"
REVOKED = "revoked"
EXPIRED = "expired"
NOT_YET_VALID = "not_yet_valid"
NAME_MISMATCH = "name_mismatch"
INVALID_SIGNATURE = "invalid_signature"
INVALID = "invalid"
STATUS_UNVERIFIABLE = "status_unverifiable"

# Open Badges 3.0 AchievementType vocabulary.
ACHIEVEMENT_TYPES = {
    "skill_level": "Certification",
    "competition_award": "Award",
    "training_completion": "CertificateOfCompletion",
    "participation": "Achievement",
}

_ACHIEVEMENT_NAMESPACE = uuid.UUID("8f0c6a0e-4d1b-5b7e-9a57-3c2f0d1e6b42")
_IDENTITY_HASH_RE = re.compile(r"\Asha256\$[0-9a-f]{64}\Z")
# Random encodings that could by chance contain 18 digits in a row.
_NOT_SCANNED_FOR_IDS = frozenset({"salt", "proofValue", "encodedList"})
_ACHIEVEMENT_KEYS = frozenset(
    {
        "kind",
        "name",
        "title",
        "description",
        "criteria",
        "occupation",
        "work_type",
        "level",
        "id",
    }
)


@dataclass
class VerificationResult:
    """The outcome of verifying a credential."""

    valid: bool
    status: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def format_timestamp(moment: datetime) -> str:
    """Return ``moment`` as an RFC 3339 UTC timestamp with ``Z``, to the second."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValueError(f"a timezone-aware datetime is required, got {moment!r}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 timestamp that carries a time zone."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        # Credentials under verification are untrusted: any bad value is a ValueError.
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"timestamp has no time zone: {value!r}")
    return moment


def holder_name_matches(credential: dict[str, Any], name: str) -> bool:
    """Whether ``name`` is the holder's name hashed into ``credential``."""
    subject = credential.get("credentialSubject") if isinstance(credential, dict) else None
    identifiers = subject.get("identifier") if isinstance(subject, dict) else None
    for identifier in identifiers if isinstance(identifiers, list) else []:
        if not isinstance(identifier, dict) or identifier.get("identityType") != "name":
            continue
        salt = identifier.get("salt")
        if identifier.get("hashed") is True and isinstance(salt, str) and salt and normalise_name(name):
            return secrets.compare_digest(str(identifier.get("identityHash")), name_hash(name, salt))
    return False


def _assert_no_national_id(value: Any, path: str = "credential") -> None:
    # The design forbids ID numbers in clear; refuse to build such a credential.
    if isinstance(value, dict):
        for key, item in value.items():
            hashed = key == "identityHash" and value.get("hashed") is True
            if key not in _NOT_SCANNED_FOR_IDS and not hashed:
                _assert_no_national_id(item, f"{path}.{key}")
    elif isinstance(value, list):
        for position, item in enumerate(value):
            _assert_no_national_id(item, f"{path}[{position}]")
    elif isinstance(value, str) and contains_national_id(value):
        raise ValueError(f"{path} looks like a national ID number; pass its identity hash")


def _issuer_profile(issuer: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(issuer, dict) or not issuer.get("id") or not issuer.get("name"):
        raise ValueError("issuer needs an id (DID or URL) and a name")
    profile = {"id": issuer["id"], "type": ["Profile"], "name": issuer["name"]}
    profile.update({k: v for k, v in issuer.items() if k not in profile})
    return profile


def _identifiers(holder: dict[str, Any]) -> list[dict[str, Any]]:
    hashed = holder.get("identityHash")
    if not isinstance(hashed, str) or not _IDENTITY_HASH_RE.match(hashed):
        raise ValueError("holder.identityHash must look like 'sha256$' + 64 lowercase hex digits")
    if not holder.get("salt"):
        raise ValueError("holder.salt is required with identityHash")
    name = holder.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("holder.name (display name) is required")
    # Hashing would hide an ID number typed into the name field; refuse it instead.
    _assert_no_national_id(name, "holder.name")
    return [
        {
            "type": "IdentityObject",
            "identityType": holder.get("identityType", "nationalIdentityNumber"),
            "identityHash": hashed,
            "hashed": True,
            "salt": holder["salt"],
        },
        {
            "type": "IdentityObject",
            "identityType": "name",
            "identityHash": name_hash(name, holder["salt"]),
            "hashed": True,
            "salt": holder["salt"],
        },
    ]


def _achievement(achievement: dict[str, Any], issuer_id: str) -> dict[str, Any]:
    unknown = set(achievement) - _ACHIEVEMENT_KEYS
    if unknown:
        raise ValueError(f"unknown achievement fields: {', '.join(sorted(unknown))}")
    kind = achievement.get("kind")
    if kind not in CERTIFICATE_KINDS:
        raise ValueError(f"achievement.kind must be one of {', '.join(CERTIFICATE_KINDS)}")
    name = achievement.get("name") or achievement.get("title")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("achievement needs a name (or title)")
    extra: dict[str, Any] = {}
    if kind == "skill_level":
        level, occupation = achievement.get("level"), achievement.get("occupation")
        if isinstance(level, bool) or level not in SKILL_LEVELS:
            raise ValueError(f"achievement.level must be 1..5, got {level!r}")
        if not isinstance(occupation, str) or not occupation.strip():
            raise ValueError("a skill_level achievement needs an occupation")
        extra["occupation"] = occupation
        if achievement.get("work_type"):
            extra["workType"] = achievement["work_type"]
        extra["level"] = level
        extra["levelName"] = {
            "zh": SKILL_LEVELS[level].zh,
            "en": SKILL_LEVELS[level].en,
        }
        work = f" ({extra['workType']})" if "workType" in extra else ""
        default_description = f"{occupation}{work}, {SKILL_LEVELS[level].zh}"
        default_criteria = (
            f"Passed the vocational skill level assessment for {occupation}{work} "
            f"at {SKILL_LEVELS[level].en}."
        )
    else:
        for key in ("occupation", "work_type", "level"):
            if achievement.get(key) is not None:
                extra[{"work_type": "workType"}.get(key, key)] = achievement[key]
        default_description = name
        default_criteria = {
            "competition_award": "Awarded for a placing in the named competition.",
            "training_completion": "Completed the named training programme.",
            "participation": "Took part in the named activity.",
        }[kind]
    criteria = achievement.get("criteria") or {"narrative": default_criteria}
    if isinstance(criteria, str):
        criteria = {"narrative": criteria}
    # The same achievement from the same issuer always gets the same id.
    identity = "|".join(
        str(part)
        for part in (
            issuer_id,
            kind,
            name,
            extra.get("occupation"),
            extra.get("workType"),
            extra.get("level"),
        )
    )
    return {
        "id": achievement.get("id") or f"urn:uuid:{uuid.uuid5(_ACHIEVEMENT_NAMESPACE, identity)}",
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPES[kind],
        "name": name,
        "description": achievement.get("description") or default_description,
        "criteria": criteria,
        "certificateKind": kind,
        **extra,
    }


def build_credential(
    *,
    credential_id: str,
    issuer: dict[str, Any],
    holder: dict[str, Any],
    achievement: dict[str, Any],
    number: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    status: dict[str, Any] | Sequence[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return the unsigned ``OpenBadgeCredential`` of one certificate."""
    if not credential_id:
        raise ValueError("credential_id is required")
    if not isinstance(number, str) or not number:
        raise ValueError("number is required")
    profile = _issuer_profile(issuer)
    body = _achievement(achievement, profile["id"])
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT_V2, OB3_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": body["name"],
        "issuer": profile,
        "validFrom": format_timestamp(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = format_timestamp(valid_until)
        if valid_until <= valid_from:
            raise ValueError("valid_until must be later than valid_from")
    credential["credentialSubject"] = {
        "type": ["AchievementSubject"],
        "licenseNumber": number,
        "identifier": _identifiers(holder),
        "achievement": body,
    }
    if status:
        entries = [status] if isinstance(status, dict) else list(status)
        credential["credentialStatus"] = entries[0] if len(entries) == 1 else entries
    _assert_no_national_id(credential)
    return credential


def _hash_data(unsecured: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    return (
        hashlib.sha256(rfc8785.dumps(proof_options)).digest()
        + hashlib.sha256(rfc8785.dumps(unsecured)).digest()
    )


def sign_credential(
    credential: dict[str, Any],
    key: SigningKey,
    verification_method: str,
    created: datetime,
) -> dict[str, Any]:
    """Return a copy of ``credential`` with an ``eddsa-jcs-2022`` Data Integrity proof."""
    if "proof" in credential:
        raise ValueError("the credential already has a proof")
    unsecured = copy.deepcopy(credential)
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": format_timestamp(created),
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
    }
    if "@context" in unsecured:
        proof["@context"] = copy.deepcopy(unsecured["@context"])
    signature = key.sign(_hash_data(unsecured, proof))
    proof["proofValue"] = "z" + base58.b58encode(signature).decode("ascii")
    return {**unsecured, "proof": proof}


def _issuer_id(document: dict[str, Any]) -> Any:
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def verify_proof(document: dict[str, Any], did_document: dict[str, Any]) -> list[str]:
    """Check the ``eddsa-jcs-2022`` proof of ``document``; return the problems found."""
    proof = document.get("proof")
    if proof is None:
        return ["the document has no proof"]
    if not isinstance(proof, dict):
        return ["only a single proof object is supported"]
    problems = []
    if proof.get("type") != PROOF_TYPE:
        problems.append(f"proof type is {proof.get('type')!r}, expected {PROOF_TYPE}")
    if proof.get("cryptosuite") != CRYPTOSUITE:
        problems.append(f"cryptosuite is {proof.get('cryptosuite')!r}, expected {CRYPTOSUITE}")
    if proof.get("proofPurpose") != PROOF_PURPOSE:
        problems.append(f"proof purpose is {proof.get('proofPurpose')!r}, expected {PROOF_PURPOSE}")
    if "created" in proof:
        try:
            parse_timestamp(proof["created"])
        except ValueError as exc:
            problems.append(f"proof created: {exc}")
    vm_id = proof.get("verificationMethod")
    issuer_id = _issuer_id(document)
    if did_document.get("id") != issuer_id:
        problems.append(
            f"the issuer {issuer_id!r} is not the DID document subject {did_document.get('id')!r}"
        )
    try:
        public_key = resolve_verification_method(did_document, vm_id, PROOF_PURPOSE)
    except KeyResolutionError as exc:
        problems.append(f"signing key: {exc}")
        public_key = None

    proof_value = proof.get("proofValue")
    signature = None
    if not isinstance(proof_value, str) or not proof_value.startswith("z"):
        problems.append("proofValue must be multibase base58btc, starting with 'z'")
    else:
        try:
            signature = base58.b58decode(proof_value[1:])
        except ValueError:
            problems.append("proofValue is not valid base58btc")
        if signature is not None and len(signature) != 64:
            problems.append(f"proofValue decodes to {len(signature)} bytes, not a 64-byte signature")
            signature = None

    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in options:
        # The document's contexts must begin with the ones that were signed.
        signed_context = options["@context"]
        signed_context = signed_context if isinstance(signed_context, list) else [signed_context]
        document_context = unsecured.get("@context")
        document_context = document_context if isinstance(document_context, list) else [document_context]
        if document_context[: len(signed_context)] != signed_context:
            problems.append("the document @context does not start with the proof @context")
        unsecured["@context"] = options["@context"]

    if public_key is None or signature is None or problems:
        return problems
    try:
        hash_data = _hash_data(unsecured, options)
    except (TypeError, ValueError) as exc:
        return [f"the document cannot be canonicalised with JCS: {exc}"]
    try:
        public_key.verify(signature, hash_data)
    except InvalidSignature:
        return ["the signature does not match the document: it was altered or signed by another key"]
    return []


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
    holder_name: str | None = None,
) -> VerificationResult:
    """Verify a credential's proof, validity period, status (given its lists) and holder name."""
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not isinstance(credential, dict):
        return VerificationResult(False, INVALID, ["the credential is not a JSON object"])
    proof_problems = verify_proof(credential, did_document)
    if proof_problems:
        return VerificationResult(False, INVALID_SIGNATURE, proof_problems)

    problems: list[str] = []
    warnings: list[str] = []
    found: set[str] = set()
    try:
        valid_from = parse_timestamp(credential["validFrom"]) if "validFrom" in credential else None
        valid_until = parse_timestamp(credential["validUntil"]) if "validUntil" in credential else None
    except ValueError as exc:
        return VerificationResult(False, INVALID, [f"validity period: {exc}"])
    if valid_from is not None and now < valid_from:
        found.add(NOT_YET_VALID)
        problems.append(f"not valid before {credential['validFrom']}")
    if valid_until is not None and now >= valid_until:
        found.add(EXPIRED)
        problems.append(f"expired at {credential['validUntil']}")
    if holder_name is not None and not holder_name_matches(credential, holder_name):
        found.add(NAME_MISMATCH)
        problems.append("the credential was not issued to the name given")

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
            found.add(STATUS_UNVERIFIABLE)
            problems.extend(list_problems)
            continue
        try:
            is_set = read_status(entry, list_credential)
        except ValueError as exc:
            found.add(STATUS_UNVERIFIABLE)
            problems.append(f"{purpose} status: {exc}")
            continue
        if is_set and purpose == "revocation":
            found.add(REVOKED)
            problems.append("the issuer has revoked this credential")
        elif is_set and purpose == "suspension":
            found.add(SUSPENDED)
            problems.append("the issuer has suspended this credential")

    # Definite outcomes first; an unverifiable list only matters if nothing else is known.
    for status in (NAME_MISMATCH, REVOKED, SUSPENDED, EXPIRED, NOT_YET_VALID, STATUS_UNVERIFIABLE):
        if status in found:
            return VerificationResult(False, status, problems, warnings)
    return VerificationResult(True, ACTIVE, problems, warnings)


def _status_list_problems(
    list_credential: dict[str, Any],
    credential: dict[str, Any],
    did_document: dict[str, Any],
    now: datetime,
) -> list[str]:
    name = list_credential.get("id")
    if _issuer_id(list_credential) != _issuer_id(credential):
        return [f"status list {name} was not issued by the credential's issuer"]
    problems = [f"status list {name}: {p}" for p in verify_proof(list_credential, did_document)]
    try:
        if "validFrom" in list_credential and now < parse_timestamp(list_credential["validFrom"]):
            problems.append(f"status list {name} is not valid yet")
        if "validUntil" in list_credential and now >= parse_timestamp(list_credential["validUntil"]):
            problems.append(f"status list {name} has expired")
    except ValueError as exc:
        problems.append(f"status list {name}: {exc}")
    return problems
