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
        "id": "urn:uuid:<the holder's random subject id>",
        "type": ["AchievementSubject"],
        "licenseNumber": "<certificate number>",
        "achievement": {"id", "type": ["Achievement"], "achievementType", "name",
                        "description", "criteria": {"narrative"},
                        with an occupation: "fieldOfStudy", with a work type: "specialization",
                        with a level: "resultDescription": [the five skill levels]},
        with a level: "result": [{"type": ["Result"], "resultDescription", "achievedLevel"}]
      },
      "credentialStatus": BitstringStatusListEntry (optional, one),
      "proof": [{…}]
    }

Only terms of the VC 2.0 and Open Badges 3.0 contexts are used, so the
credential expands in JSON-LD safe mode and validates against the 1EdTech
AchievementCredential JSON Schema. The certificate kind is the
``achievementType`` (one per kind); the occupation is the ``fieldOfStudy`` and
the work type the ``specialization``; a skill level is a ``Result`` whose
``achievedLevel`` names one of the five ``RubricCriterionLevel`` of the
achievement's ``ResultDescription``.

The holder is bound by ``credentialSubject.id`` alone: a ``urn:uuid:`` drawn
at random once per person, so the same person carries the same id in every
credential, and nothing in it says who they are. Neither the national ID
number nor the name appears, in clear or hashed: a hash of an 18-digit number
or of a short name, published with its salt, falls to an offline search. The
name is checked online (number + full name), against the name the platform
keeps. See the README's "Credentials and personal data".
The ``proof`` is added by :mod:`certificates_svc.proof`.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from certificates_svc.numbers import CERTIFICATE_KINDS, SKILL_LEVELS
from services.clock import rfc3339
from services.identity import contains_national_id

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
_SUBJECT_ID_RE = re.compile(r"\Aurn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
# Random encodings that could by chance contain 18 digits in a row.
_NOT_SCANNED_FOR_IDS = frozenset({"proofValue", "encodedList"})
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


def _assert_no_national_id(value: Any, path: str = "credential") -> None:
    # The design forbids ID numbers in clear; refuse to build such a credential.
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in _NOT_SCANNED_FOR_IDS:
                _assert_no_national_id(item, f"{path}.{key}")
    elif isinstance(value, list):
        for position, item in enumerate(value):
            _assert_no_national_id(item, f"{path}[{position}]")
    elif isinstance(value, str) and contains_national_id(value):
        raise ValueError(f"{path} looks like a national ID number")


def _issuer_profile(issuer: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(issuer, dict) or not issuer.get("id") or not issuer.get("name"):
        raise ValueError("issuer needs an id (DID or URL) and a name")
    profile = {"id": issuer["id"], "type": ["Profile"], "name": issuer["name"]}
    profile.update({k: v for k, v in issuer.items() if k not in profile})
    return profile


def _subject_id(holder: dict[str, Any]) -> str:
    subject_id = holder.get("id") if isinstance(holder, dict) else None
    if not isinstance(subject_id, str) or not _SUBJECT_ID_RE.match(subject_id):
        raise ValueError("holder.id must be the holder's random 'urn:uuid:' subject id")
    return subject_id


def _level_description(achievement_id: str) -> dict[str, Any]:
    """The five vocational skill levels as the achievement's ``ResultDescription``."""
    return {
        "id": f"{achievement_id}#level",
        "type": ["ResultDescription"],
        "name": "职业技能等级 / Vocational skill level",
        "resultType": "RubricCriterionLevel",
        "rubricCriterionLevel": [
            {
                "id": f"{achievement_id}#level-{level}",
                "type": ["RubricCriterionLevel"],
                "name": names.zh,
                "description": names.en,
                "level": str(level),
            }
            for level, names in SKILL_LEVELS.items()
        ],
    }


def level_result(achievement: dict[str, Any], level: int) -> dict[str, Any]:
    """The holder's ``Result``: the skill level achieved, by the id of its rubric level."""
    return {
        "type": ["Result"],
        "resultDescription": f"{achievement['id']}#level",
        "achievedLevel": f"{achievement['id']}#level-{level}",
    }


def _achievement(achievement: dict[str, Any], issuer_id: str) -> tuple[dict[str, Any], int | None]:
    """The ``Achievement`` and the skill level achieved (None without one)."""
    unknown = set(achievement) - _ACHIEVEMENT_KEYS
    if unknown:
        raise ValueError(f"unknown achievement fields: {', '.join(sorted(unknown))}")
    kind = achievement.get("kind")
    if kind not in CERTIFICATE_KINDS:
        raise ValueError(f"achievement.kind must be one of {', '.join(CERTIFICATE_KINDS)}")
    name = achievement.get("name") or achievement.get("title")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("achievement needs a name (or title)")
    occupation, work_type, level = achievement.get("occupation"), achievement.get("work_type"), achievement.get("level")
    if level is not None and (isinstance(level, bool) or level not in SKILL_LEVELS):
        raise ValueError(f"achievement.level must be 1..5, got {level!r}")
    if kind == "skill_level":
        if level is None:
            raise ValueError("a skill_level achievement needs a level (1..5)")
        if not isinstance(occupation, str) or not occupation.strip():
            raise ValueError("a skill_level achievement needs an occupation")
        work = f" ({work_type})" if work_type else ""
        default_description = f"{occupation}{work}, {SKILL_LEVELS[level].zh}"
        default_criteria = (
            f"Passed the vocational skill level assessment for {occupation}{work} at {SKILL_LEVELS[level].en}."
        )
    else:
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
    identity = "|".join(str(part) for part in (issuer_id, kind, name, occupation, work_type or None, level))
    body: dict[str, Any] = {
        "id": achievement.get("id") or f"urn:uuid:{uuid.uuid5(_ACHIEVEMENT_NAMESPACE, identity)}",
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPES[kind],
        "name": name,
        "description": achievement.get("description") or default_description,
        "criteria": criteria,
    }
    if occupation:
        body["fieldOfStudy"] = occupation
    if work_type:
        body["specialization"] = work_type
    if level is not None:
        body["resultDescription"] = [_level_description(body["id"])]
    return body, level


def build_credential(
    *,
    credential_id: str,
    issuer: dict[str, Any],
    holder: dict[str, Any],
    achievement: dict[str, Any],
    number: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the unsigned ``OpenBadgeCredential`` of one certificate, with at most one status entry."""
    if not credential_id:
        raise ValueError("credential_id is required")
    if not isinstance(number, str) or not number:
        raise ValueError("number is required")
    profile = _issuer_profile(issuer)
    body, level = _achievement(achievement, profile["id"])
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
        "id": _subject_id(holder),
        "type": ["AchievementSubject"],
        "licenseNumber": number,
        "achievement": body,
    }
    if level is not None:
        credential["credentialSubject"]["result"] = [level_result(body, level)]
    if status:
        if not isinstance(status, dict):
            raise ValueError("a credential has one status entry (the OB 3.0 schema allows one)")
        credential["credentialStatus"] = status
    _assert_no_national_id(credential)
    return credential
