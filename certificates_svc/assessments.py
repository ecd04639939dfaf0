"""Assessments and batches as jobs: their keys, items, outcomes and attainment statistics."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from enum import Enum
from typing import Any

from certificates_svc import authority
from certificates_svc.numbers import SKILL_LEVELS
from services.clock import alliance_today
from services.errors import InvalidInput, error_key
from services.lifecycle import Lifecycle


class JobKind(str, Enum):
    ASSESSMENT = "assessment"
    BATCH = "batch"


class JobStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ItemState(str, Enum):
    """Where one job item stands: waiting, leased to a worker, or finished either way."""

    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"
    FAILED = "failed"


UNFINISHED = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})

# action -> (statuses it may start from, status it leads to)
JOB_ACTIONS: dict[str, tuple[frozenset[JobStatus], JobStatus]] = {
    "start": (frozenset({JobStatus.QUEUED}), JobStatus.RUNNING),
    "complete": (UNFINISHED, JobStatus.DONE),
    "fail": (UNFINISHED, JobStatus.FAILED),
}

JOB_LIFECYCLE = Lifecycle("job", JobStatus, JOB_ACTIONS)


def job_transition(action: str) -> tuple[list[str], str]:
    """The stored statuses a job may leave by ``action``, and the one it reaches."""
    sources, target = JOB_LIFECYCLE.actions[action]
    return sorted(status.value for status in sources), target.value


def _digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def job_key(kind: str, issuer_id: str, request: dict[str, Any]) -> str:
    """What makes two submissions the same: their external reference, else their content."""
    kind = JobKind(kind).value
    if request.get("external_ref"):
        return f"{kind}:{issuer_id}:ref:{request['external_ref']}"
    content = {k: v for k, v in request.items() if k != "external_ref"}
    if kind == JobKind.ASSESSMENT:
        content["results"] = sorted(content["results"], key=lambda r: r["person_id"])
    return f"{kind}:{issuer_id}:sha256:{_digest(content)}"


def check_assessment(request: dict[str, Any], today: date | None = None) -> None:
    """Each candidate appears once in an assessment, and it took place by ``today`` (the alliance's date)."""
    seen: set[str] = set()
    errors: dict[str, Any] = {}
    if request["assessed_on"] > (today or alliance_today()):
        errors["assessed_on"] = ["must not be in the future"]
    for position, result in enumerate(request["results"]):
        if result["person_id"] in seen:
            errors[error_key("results", position, "person_id")] = ["appears more than once"]
        seen.add(result["person_id"])
    if errors:
        raise InvalidInput("the assessment has invalid fields", errors)


def check_batch(request: dict[str, Any]) -> None:
    """Every item of a batch is issued by the batch's issuer."""
    errors = {
        error_key("items", position, "issuer_id"): ["must be the batch's issuer_id"]
        for position, item in enumerate(request["items"])
        if item["issuer_id"] != request["issuer_id"]
    }
    if errors:
        raise InvalidInput("a batch is issued by one issuer", errors)


def skill_level_title(occupation: str, work_type: str | None, level: int) -> str:
    """The default title of a skill-level certificate, e.g. ``电工 四级/中级工 职业技能等级证书``."""
    work = f"（{work_type}）" if work_type else ""
    return f"{occupation}{work} {SKILL_LEVELS[level].zh} 职业技能等级证书"


def new_job(job_id: str, kind: str, key: str, request: dict[str, Any], total: int, now: datetime) -> dict[str, Any]:
    """A queued job as stored: the request without its items, and zeroed progress."""
    spec = {k: v for k, v in request.items() if k not in ("results", "items")}
    if isinstance(spec.get("assessed_on"), date):
        spec["assessed_on"] = spec["assessed_on"].isoformat()
    passed = sum(1 for result in request["results"] if result["passed"]) if kind == JobKind.ASSESSMENT else None
    return {
        "_id": job_id,
        "kind": JobKind(kind).value,
        "key": key,
        "issuer_id": request["issuer_id"],
        "spec": spec,
        "status": JobStatus.QUEUED.value,
        "total": total,
        "passed": passed,
        "done": 0,
        "failed": 0,
        "issued": 0,
        "already_issued": 0,
        "errors": [],
        "created_at": now,
        "updated_at": now,
    }


def job_items(job_id: str, kind: str, key: str, request: dict[str, Any]) -> list[dict[str, Any]]:
    """One work item per candidate or certificate, each with the key that stops a second issue."""
    items = []
    if kind == JobKind.ASSESSMENT:
        for index, result in enumerate(request["results"]):
            items.append(
                {
                    "_id": f"{job_id}:{index:06d}",
                    "job_id": job_id,
                    "index": index,
                    "state": ItemState.PENDING.value,
                    "holder_id": result["person_id"],
                    "result": result,
                    "issuance_key": f"{key}|{result['person_id']}",
                }
            )
    else:
        for index, body in enumerate(request["items"]):
            items.append(
                {
                    "_id": f"{job_id}:{index:06d}",
                    "job_id": job_id,
                    "index": index,
                    "state": ItemState.PENDING.value,
                    "holder_id": body["holder_id"],
                    "request": body,
                    "issuance_key": f"{key}|{_digest(body)}",
                }
            )
    return items


def item_request(job: dict[str, Any], item: dict[str, Any]) -> dict[str, Any] | None:
    """The certificate an item asks for; None for a candidate who did not pass."""
    if job["kind"] == JobKind.BATCH:
        return item["request"]
    result = item["result"]
    if not result["passed"]:
        return None
    spec = job["spec"]
    score = "" if result.get("score") is None else f", score {result['score']:g}"
    return {
        "kind": "skill_level",
        "holder_id": item["holder_id"],
        "issuer_id": job["issuer_id"],
        "title": spec.get("title") or skill_level_title(spec["occupation"], spec.get("work_type"), spec["level"]),
        "description": None,
        "occupation": spec["occupation"],
        "work_type": spec.get("work_type"),
        "level": spec["level"],
        "valid_until": None,
        "evidence": [
            {
                "name": "职业技能等级认定 / skill level assessment",
                "url": None,
                "narrative": f"assessed on {spec['assessed_on']}{score}",
            }
        ],
    }


def candidate_refusal(job: dict[str, Any], holder: dict[str, Any]) -> str | None:
    """Why an assessment job may not assess ``holder`` (see authority); None for a batch item."""
    if job["kind"] != JobKind.ASSESSMENT:
        return None
    return authority.assessment_candidate_refusal(job["issuer_id"], holder, bool(job.get("by_admin")))


def item_pointer(job: dict[str, Any], item: dict[str, Any]) -> str:
    """The JSON Pointer, in the submitted request, of the person an item names."""
    if job["kind"] == JobKind.ASSESSMENT:
        return error_key("results", item["index"], "person_id")
    return error_key("items", item["index"], "holder_id")


def outcome_of(
    job: dict[str, Any], item: dict[str, Any], holder: dict[str, Any], certified: bool
) -> dict[str, Any] | None:
    """The statistics record of one assessed candidate (None for batch items)."""
    if job["kind"] != JobKind.ASSESSMENT:
        return None
    spec = job["spec"]
    return {
        "_id": item["issuance_key"],
        "organisation_id": holder.get("organisation_id"),
        "issuer_id": job["issuer_id"],
        "occupation": spec["occupation"],
        "level": spec["level"],
        "year": int(spec["assessed_on"][:4]),
        "passed": bool(item["result"]["passed"]),
        "certified": certified,
    }


def _rate(certified: int, assessed: int) -> float | None:
    return round(certified / assessed, 3) if assessed else None


def attainment(organisation_id: str | None, year: int, outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """Assessed, certified and attainment rate (certified ÷ assessed), by occupation and level."""
    groups: dict[tuple[str, int], list[int]] = {}
    for outcome in outcomes:
        counts = groups.setdefault((outcome["occupation"], outcome["level"]), [0, 0])
        counts[0] += 1
        counts[1] += 1 if outcome["certified"] else 0
    assessed = sum(c[0] for c in groups.values())
    certified = sum(c[1] for c in groups.values())
    return {
        "organisation_id": organisation_id,
        "year": year,
        "assessed": assessed,
        "certified": certified,
        "attainment_rate": _rate(certified, assessed),
        "by_occupation_and_level": [
            {"occupation": occupation, "level": level, "assessed": a, "certified": c, "attainment_rate": _rate(c, a)}
            for (occupation, level), (a, c) in sorted(groups.items(), key=lambda g: (g[0][0], -g[0][1]))
        ],
    }


def finishing_action(job: dict[str, Any]) -> str:
    """A job ends ``failed`` only when none of its items succeeded."""
    return "fail" if job["total"] and job["failed"] == job["total"] else "complete"


def completed_event(job: dict[str, Any]) -> dict[str, Any]:
    """The ``batch_completed`` payload of a finished job."""
    return {
        "job_id": job["_id"],
        "issuer_id": job["issuer_id"],
        "total": job["total"],
        "issued": job["issued"],
        "failed": job["failed"],
    }
