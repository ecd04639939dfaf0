"""List pages: 200-item pages of certificates and of people through the HTTP API, with 10,000
certificates stored, against a bare pymongo ``find`` of the same page measured in the same run.

Run alone with ``python -m bench.list_pages``; ``make bench`` runs it on a stack of its own.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from bench.load import percentile
from bench.scenarios import Client, certificate_copies, person_name, register_people, stored_template
from bench.stack import Stack, Vhost
from certificates_svc.repository import LIST_PROJECTION, CertificatesRepository

CERTIFICATES = 10_000
SCHOOLS = 5
PEOPLE_PER_SCHOOL = 500
PAGE = 200
INSERT_CHUNK = 1_000
SAMPLES = 40
# The bare find of the unfiltered page reads every stored certificate on the embedded server (about
# 2 s each): fewer samples of it. The project's own page, read by positions, gets SAMPLES like the others.
ALL_SAMPLES = 10
TARGET_P95_MS = 150


def timed(label: str, call: Callable[[], Any], samples: int) -> dict[str, float]:
    """p50 and p95 (ms) of ``samples`` calls, one after another (a failed call counts as an error)."""
    latencies, errors = [], 0
    for _ in range(samples):
        started = time.perf_counter()
        try:
            call()
        except (requests.RequestException, RuntimeError):
            errors += 1
        latencies.append((time.perf_counter() - started) * 1000)
    figures = {
        "samples": samples,
        "errors": errors,
        "p50_ms": percentile(latencies, 0.5),
        "p95_ms": percentile(latencies, 0.95),
    }
    print(f"  {label}: p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms, {errors} errors", flush=True)
    return figures


def prepare(stack: Stack, client: Client) -> dict[str, Any]:
    """An evaluator, schools of registered people, and 10,000 certificates stored straight through the repository."""
    evaluator = client.post(
        "/api/v1/organisations",
        {
            "name": "重庆市渝中职业教育中心",
            "kind": "secondary_vocational_school",
            "accredited_evaluator": True,
            "evaluator": {"type": "S", "code": "5001", "province": "50", "site": "000123"},
        },
    )["id"]
    schools: dict[str, list[str]] = {}
    for s in range(SCHOOLS):
        school = client.post(
            "/api/v1/organisations", {"name": f"成渝联盟成员学校{s + 1}", "kind": "secondary_vocational_school"}
        )["id"]
        people = [
            {"name": person_name(s * PEOPLE_PER_SCHOOL + i), "kind": "student", "student_number": f"{s}{i:06d}"}
            for i in range(PEOPLE_PER_SCHOOL)
        ]
        schools[school] = register_people(client, school, people)
    first_school, first_people = next(iter(schools.items()))
    stored = stored_template(stack, client, first_people[0], evaluator)
    database = stack.mongo["alliance_certificates"]
    repository = CertificatesRepository(database, "certificates")
    holders = [(school, person) for school, people in schools.items() for person in people]

    def holder(i: int) -> dict[str, str]:
        school, person = holders[i % len(holders)]
        return {"holder_id": person, "holder_organisation_id": school}

    started = time.monotonic()
    for chunk in certificate_copies(repository, stored, CERTIFICATES, INSERT_CHUNK, holder):
        repository.transaction(lambda session, chunk=chunk: repository.insert_certificates(session, chunk))
    return {
        "evaluator": evaluator,
        "school": first_school,
        "stored": database["certificates"].estimated_document_count(),
        "insert_seconds": round(time.monotonic() - started, 1),
    }


def measure(stack: Stack, client: Client) -> dict[str, Any]:
    """Latencies of 200-item pages through the API and of the bare find of the same first page."""
    prepared = prepare(stack, client)
    print(f"  {prepared['stored']} certificates stored ({prepared['insert_seconds']} s to insert)", flush=True)
    school = prepared["school"]
    school_admin = requests.Session()
    school_admin.headers["Authorization"] = f"Bearer {stack.token('--role', 'org_admin', '--org', school)}"

    def api_page(session: requests.Session, path: str, **params: Any) -> Callable[[], None]:
        def call() -> None:
            response = session.get(f"{stack.url}{path}", params={"limit": PAGE, **params}, timeout=60)
            response.raise_for_status()
            if len(response.json()["items"]) != PAGE:
                raise RuntimeError(f"{path} answered fewer than {PAGE} items")

        return call

    certificates = stack.mongo["alliance_certificates"]["certificates"]
    people = stack.mongo["alliance_members"]["people"]

    def bare_page(collection: Any, selector: dict[str, Any], projection: dict[str, Any]) -> Callable[[], None]:
        return lambda: list(collection.find(selector, projection).sort("_id", 1).limit(PAGE))

    held = {"holder_organisation_id": school}
    figures = {
        "stored_certificates": prepared["stored"],
        "insert_seconds": prepared["insert_seconds"],
        "certificates_school": timed("certificates_school", api_page(school_admin, "/api/v1/certificates"), SAMPLES),
        "certificates_school_floor": timed(
            "certificates_school_floor", bare_page(certificates, held, LIST_PROJECTION), SAMPLES
        ),
        "certificates_admin_all": timed(
            "certificates_admin_all", api_page(client.session, "/api/v1/certificates"), SAMPLES
        ),
        "certificates_admin_all_floor": timed(
            "certificates_admin_all_floor", bare_page(certificates, {}, LIST_PROJECTION), ALL_SAMPLES
        ),
        "people": timed("people", api_page(school_admin, f"/api/v1/organisations/{school}/people"), SAMPLES),
        "people_floor": timed("people_floor", bare_page(people, {"organisation_id": school}, {"identity": 0}), SAMPLES),
    }
    return figures


def run(workdir: Path) -> dict[str, Any]:
    """The scenario on a fresh stack of its own."""
    vhost = Vhost()
    workdir.mkdir(parents=True, exist_ok=True)
    stack = Stack(workdir, vhost.uri)
    try:
        return measure(stack, Client(stack))
    finally:
        stack.stop()
        vhost.delete()


def rows(figures: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """The benchmark table's rows: the project's p95 against the bare find's, per list."""
    lines = []
    for key, label in (
        ("certificates_school", "certificates page (school admin)"),
        ("certificates_admin_all", "certificates page (alliance admin, all)"),
        ("people", "people page"),
    ):
        own, floor = figures[key], figures[f"{key}_floor"]
        lines.append(
            (
                label,
                f"p95 {own['p95_ms']:.0f} ms (p50 {own['p50_ms']:.0f})"
                + (f", {own['errors']} of {own['samples']} failed" if own["errors"] else ""),
                f"p95 {floor['p95_ms']:.0f} ms (p50 {floor['p50_ms']:.0f})",
                f"{own['p95_ms'] / floor['p95_ms']:.2f}",
                f"p95 ≤ {TARGET_P95_MS} ms: {own['p95_ms'] <= TARGET_P95_MS}",
            )
        )
    return lines


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="alliance-bench-lists-") as tmp:
        figures = run(Path(tmp))
    print(f"{figures['stored_certificates']} certificates stored ({figures['insert_seconds']} s to insert)")
    for row in rows(figures):
        print(" | ".join(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
