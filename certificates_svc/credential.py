"""A certificate as an unsigned W3C Verifiable Credential 2.0 (Open Badges 3.0).

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
``@vocab``. The ``proof`` is added by :mod:`certificates_svc.proof`.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from certificates_svc.numbers import CERTIFICATE_KINDS, SKILL_LEVELS, level_name
from services.clock import rfc3339
from services.identity import contains_national_id, name_hash, normalise_name

VC_CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

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
        extra["levelName"] = level_name(level)
        work = f" ({extra['workType']})" if "workType" in extra else ""
        default_description = f"{occupation}{work}, {SKILL_LEVELS[level].zh}"
        default_criteria = (
            f"Passed the vocational skill level assessment for {occupation}{work} at {SKILL_LEVELS[level].en}."
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
        "validFrom": rfc3339(valid_from, "seconds"),
    }
    if valid_until is not None:
        credential["validUntil"] = rfc3339(valid_until, "seconds")
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
