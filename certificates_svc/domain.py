"""Certificate rules, free of I/O: who may issue what, numbering, the issued record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from certificates_svc.access import holder_named, no_certificate_for_name
from certificates_svc.lifecycle import (
    DEFAULT_REVOCATION_CATEGORY,
    SUPERSEDED,
    CertificateStatus,
    effective_status,
)
from certificates_svc.numbers import (
    SKILL_LEVELS,
    counter_key,
    format_certificate_number,
    format_skill_level_number,
    skill_level_counter_key,
)
from certificates_svc.status_list import MESSAGE, MIN_LIST_SIZE, STATUS_PURPOSES, status_entry
from services.clock import rfc3339
from services.errors import Forbidden, Unprocessable
from services.identity import mask_name


def check_may_issue(kind: str, issuer: dict[str, Any]) -> None:
    """Only an accredited evaluation organisation with a numbering profile issues skill levels."""
    if kind != "skill_level":
        return
    if not issuer.get("accredited_evaluator"):
        raise Forbidden(
            "only an accredited evaluation organisation may issue skill_level certificates",
            {"issuer_id": "not an accredited evaluator"},
        )
    if not issuer.get("evaluator"):
        raise Unprocessable(
            "the issuer has no evaluator numbering profile (type, code, province, site)",
            {"issuer_id": "no evaluator profile"},
        )


def number_plan(kind: str, level: int | None, issuer: dict[str, Any], year: int) -> tuple[str, Callable[[int], str]]:
    """The counter key to draw a serial from, and how to render the number from it."""
    if kind == "skill_level":
        ev = issuer["evaluator"]
        key = skill_level_counter_key(ev["type"], ev["code"], ev["province"], ev["site"], year, level)
        return key, lambda serial: format_skill_level_number(
            ev["type"], ev["code"], ev["province"], ev["site"], year, level, serial
        )
    return counter_key(kind, year), lambda serial: format_certificate_number(kind, year, serial)


def status_location(status_index: int) -> tuple[str, int]:
    """Which status list (by number) and which bit in it a certificate's status lives at."""
    return str(status_index // MIN_LIST_SIZE), status_index % MIN_LIST_SIZE


def status_list_id(list_number: str, purpose: str) -> str:
    """The public id of a status list, e.g. ``message-0`` (or the stored one-bit ``revocation-0``)."""
    return f"{purpose}-{list_number}"


def status_list_in_use(list_number: int, reserved: int) -> bool:
    """Whether list ``list_number`` holds any of the first ``reserved`` status-list slots."""
    return list_number * MIN_LIST_SIZE < reserved


def status_entry_of(signer: Any, status_index: int, issuer_id: str) -> dict[str, Any]:
    """The ``credentialStatus`` of a certificate's slot: one two-bit message entry (active,
    suspended, revoked), pointing at the list as issued by the certificate's issuer."""
    list_number, entry = status_location(status_index)
    return status_entry(signer.status_list_url(status_list_id(list_number, MESSAGE), issuer_id), entry, MESSAGE)


def holder_from_person(person: dict[str, Any]) -> dict[str, Any]:
    """The read-model record of a person, from ``person_registered`` or members' RPC."""
    return {
        "_id": person["person_id"],
        "organisation_id": person["organisation_id"],
        "name": person["name"],
        "kind": person.get("kind"),
        "subject_id": person["subject_id"],
    }


def issuer_from_organisation(organisation: dict[str, Any]) -> dict[str, Any]:
    """The read-model record of an organisation, from its events or members' RPC."""
    return {
        "_id": organisation["organisation_id"],
        "name": organisation["name"],
        "kind": organisation.get("kind"),
        "accredited_evaluator": bool(organisation.get("accredited_evaluator")),
        "evaluator": organisation.get("evaluator"),
    }


def credential_holder(holder: dict[str, Any]) -> dict[str, Any]:
    """A holder as :func:`certificates_svc.credential.build_credential` takes it: the random subject id only."""
    return {"id": holder["subject_id"]}


def new_certificate(
    request: dict[str, Any],
    number: str,
    holder: dict[str, Any],
    issuer: dict[str, Any],
    now: datetime,
    status_index: int,
    issuer_did: str,
) -> dict[str, Any]:
    """The stored certificate (its credential is added once signed)."""
    return {
        "_id": number,
        "number": number,
        "kind": request["kind"],
        "title": request["title"],
        "description": request.get("description"),
        "holder_id": holder["_id"],
        "holder_name": holder["name"],
        "holder_organisation_id": holder.get("organisation_id"),
        "issuer_id": issuer["_id"],
        # Fixed at issue time: a later rename never changes what an issued certificate claims.
        "issuer_name": issuer["name"],
        "issuer_did": issuer_did,
        "occupation": request.get("occupation"),
        "work_type": request.get("work_type"),
        "level": request.get("level"),
        "evidence": request.get("evidence") or [],
        "issued_at": now,
        "valid_until": request.get("valid_until"),
        "status": CertificateStatus.ACTIVE.value,
        "status_index": status_index,
    }


def achievement_of(certificate: dict[str, Any]) -> dict[str, Any]:
    """A stored certificate's achievement as :func:`certificates_svc.credential.build_credential` takes it."""
    achievement = {"kind": certificate["kind"], "name": certificate["title"]}
    if certificate.get("description"):
        achievement["description"] = certificate["description"]
    for key in ("occupation", "work_type", "level"):
        if certificate.get(key) is not None:
            achievement[key] = certificate[key]
    return achievement


def issued_event(certificate: dict[str, Any]) -> dict[str, Any]:
    """The ``certificate_issued`` payload: everything a subscriber needs to record it."""
    valid_until = certificate.get("valid_until")
    return {
        "number": certificate["number"],
        "kind": certificate["kind"],
        "title": certificate["title"],
        "holder_id": certificate["holder_id"],
        "holder_organisation_id": certificate.get("holder_organisation_id"),
        "issuer_id": certificate["issuer_id"],
        "occupation": certificate.get("occupation"),
        "work_type": certificate.get("work_type"),
        "level": certificate.get("level"),
        "issued_at": rfc3339(certificate["issued_at"]),
        "valid_until": rfc3339(valid_until) if valid_until else None,
        "credential_id": certificate["credential"]["id"],
        "status": certificate["status"],
    }


def current_view(certificate: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The certificate as answered: its status is ``expired`` once past ``valid_until``."""
    return {**certificate, "status": effective_status(certificate, now).value}


def list_number(list_id: str) -> tuple[str, int] | None:
    """``(purpose, n)`` of a status list id like ``revocation-0``; None for anything else."""
    purpose, _, number = list_id.rpartition("-")
    if purpose not in STATUS_PURPOSES or not number.isascii() or not number.isdigit():
        return None
    if len(number) > 1 and number.startswith("0"):
        return None
    return purpose, int(number)


def public_status(certificate: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A certificate's status as the public learns it: ``superseded`` (with the replacement's number
    and the correction) for a revoked certificate a corrected one replaced; the date of a suspension
    or revocation and the category of a revocation, never the reason typed for it."""
    status = effective_status(certificate, now)
    answer: dict[str, Any] = {
        "valid": status is CertificateStatus.ACTIVE,
        "status": status.value,
        "status_changed_at": None,
        "reason_category": None,
        "public_reason": None,
        "replaced_by": None,
    }
    if status in (CertificateStatus.SUSPENDED, CertificateStatus.REVOKED):
        answer["status_changed_at"] = certificate.get("status_changed_at")
    if status is CertificateStatus.REVOKED:
        answer["reason_category"] = certificate.get("status_category") or DEFAULT_REVOCATION_CATEGORY
        if certificate.get("superseded_by"):
            # Only the platform supersedes, and its reason names a results revision, no one.
            answer["status"] = SUPERSEDED
            answer["public_reason"] = certificate.get("status_reason")
            answer["replaced_by"] = certificate["superseded_by"]
    return answer


def public_verification(certificate: dict[str, Any] | None, name: str, now: datetime) -> dict[str, Any]:
    """What anyone who knows a certificate's number and holder's full name may learn of it."""
    if not holder_named(certificate, name):
        raise no_certificate_for_name()
    level = certificate.get("level")
    return {
        **public_status(certificate, now),
        "number": certificate["number"],
        "holder": mask_name(certificate["holder_name"]),
        "kind": certificate["kind"],
        "title": certificate["title"],
        "occupation": certificate.get("occupation"),
        "work_type": certificate.get("work_type"),
        "level": level,
        "level_name": SKILL_LEVELS[level].zh if level in SKILL_LEVELS else None,
        "issuer": {
            "id": certificate["issuer_id"],
            "name": certificate["issuer_name"],
            "did": certificate.get("issuer_did"),
        },
        "issued_at": certificate["issued_at"],
        "valid_until": certificate.get("valid_until"),
        "credential_url": certificate["credential"]["id"],
    }
