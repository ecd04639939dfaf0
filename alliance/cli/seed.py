"""``alliance seed --demo``: load the demo alliance through the gateway's public HTTP API.

Everything goes through HTTP like any client's calls: the seed looks each thing
up before creating it, sends an ``Idempotency-Key`` with every creating POST and
an ``external_ref`` with the assessment, so running it again changes nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

from alliance import demo
from gateway.auth import ALLIANCE_ADMIN, jwt_secret, mint_token
from services.clock import parse_rfc3339
from services.config import DEFAULT_PUBLIC_BASE_URL, load_config, public_base_url
from services.waiting import wait_until

PAGE = 200
PARALLEL_REQUESTS = 16
READ_MODEL_WAIT_SECONDS = 60.0
JOB_WAIT_SECONDS = 600.0
KEY_PREFIX = "alliance-seed-demo"
# Next in a lifecycle, by the status an event is in.
NEXT_ACTION = {"draft": "publish", "published": "close", "closed": "complete"}


class SeedError(Exception):
    """The gateway refused a step; the message says which and why."""


def register(commands) -> None:
    parser = commands.add_parser("seed", help="load the demo alliance through the HTTP API")
    parser.add_argument(
        "--demo",
        action="store_true",
        required=True,
        help="the Chengdu–Chongqing alliance of the design, its people, events and certificates",
    )
    parser.add_argument(
        "--url", default=None, help=f"gateway URL (default: PUBLIC_BASE_URL, else {DEFAULT_PUBLIC_BASE_URL})"
    )
    parser.add_argument(
        "--token", default=None, help="an alliance_admin bearer token (default: minted from the local secret)"
    )
    parser.add_argument(
        "--cohort-size",
        type=int,
        default=demo.COHORT_SIZE,
        metavar="N",
        help=f"candidates of the 2022 assessment (default {demo.COHORT_SIZE}; "
        "fewer for a quick run, with the same pass rate)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = load_config()
    url = (args.url or public_base_url(config)).rstrip("/")
    if args.cohort_size < 1:
        print("alliance seed: --cohort-size must be at least 1", file=sys.stderr)
        return 2
    token = args.token or mint_token(jwt_secret(config), ALLIANCE_ADMIN, lifetime=timedelta(hours=2))
    started = time.monotonic()
    try:
        summary = Seeder(Client(url, token), args.cohort_size).run()
    except requests.ConnectionError as exc:
        print(
            f"alliance seed: the gateway at {url} does not answer ({exc}); start it with `alliance up`", file=sys.stderr
        )
        return 2
    except (SeedError, TimeoutError) as exc:
        print(f"alliance seed: {exc}", file=sys.stderr)
        return 1
    print(render_summary(summary, url, time.monotonic() - started))
    return 0


class Client:
    """JSON over HTTP with an admin token; one requests session per thread."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            self._local.session.headers["Authorization"] = f"Bearer {self.token}"
        return self._local.session

    def call(
        self, method: str, path: str, *, json: Any = None, key: str | None = None, params: dict[str, Any] | None = None
    ) -> requests.Response:
        headers = {"Idempotency-Key": idempotency_key(key)} if key else {}
        return self.session.request(method, self.base_url + path, json=json, params=params, headers=headers, timeout=60)

    def get(self, path: str, **params: Any) -> Any:
        return _ok(self.call("GET", path, params=params or None), f"GET {path}")

    def post(self, path: str, body: dict[str, Any] | None = None, key: str | None = None) -> Any:
        return _ok(self.call("POST", path, json=body or {}, key=key), f"POST {path}")

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return _ok(self.call("PATCH", path, json=body), f"PATCH {path}")

    def all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a cursor-paginated list."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.get(path, **params, limit=PAGE, **({"cursor": cursor} if cursor else {}))
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return items


def idempotency_key(text: str) -> str:
    """A header-safe key (names are Chinese; headers are Latin-1) that is the same on every run."""
    return f"{KEY_PREFIX}-{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def _ok(response: requests.Response, what: str) -> Any:
    if response.status_code >= 400:
        raise SeedError(f"{what} answered {response.status_code}: {response.text[:500]}")
    return response.json()


class Seeder:
    """Loads the demo alliance step by step, finding before creating."""

    def __init__(self, client: Client, cohort_size: int) -> None:
        self.api = client
        self.cohort_size = cohort_size
        self.created: Counter[str] = Counter()
        self.found: Counter[str] = Counter()
        self.org_ids: dict[str, str] = {}
        self.people: dict[str, dict[str, str]] = {}  # organisation name -> student_number -> person id

    def run(self) -> dict[str, Any]:
        wait_until(self._ready, READ_MODEL_WAIT_SECONDS, "the gateway to be ready")
        for organisation in demo.ORGANISATIONS:
            self.org_ids[organisation.name] = self._organisation(organisation)
        alliance_id = self._alliance()
        memberships = self._memberships(alliance_id)
        self._people(demo.PEOPLE)
        candidates = demo.cohort(self.cohort_size, demo.cohort_passed(self.cohort_size))
        self._people([person for person, _, _ in candidates])
        events = {event.key: self._event(alliance_id, event) for event in demo.events(date.today())}
        winners = self._competition(events["competition"])
        self._training_certificates(events["training"])
        attainment = self._assessment(candidates)
        awards = wait_until(
            lambda: self._award_certificates(winners),
            READ_MODEL_WAIT_SECONDS,
            "the award certificates of the winning team",
        )
        return {
            "alliance_id": alliance_id,
            "memberships": memberships,
            "events": events,
            "attainment": attainment,
            "awards": awards,
            "created": self.created,
            "found": self.found,
        }

    def _ready(self) -> bool:
        return self.api.call("GET", "/ready").status_code == 200

    def _tally(self, kind: str, created: bool) -> None:
        (self.created if created else self.found)[kind] += 1

    def _organisation(self, organisation: demo.Organisation) -> str:
        matches = [
            o for o in self.api.all("/api/v1/organisations", name=organisation.name) if o["name"] == organisation.name
        ]
        self._tally("organisations", not matches)
        if matches:
            return matches[0]["id"]
        return self.api.post("/api/v1/organisations", organisation.body(), key=f"organisation:{organisation.name}")[
            "id"
        ]

    def _alliance(self) -> str:
        matches = [a for a in self.api.all("/api/v1/alliances") if a["name"] == demo.ALLIANCE["name"]]
        self._tally("alliances", not matches)
        if matches:
            return matches[0]["id"]
        return self.api.post("/api/v1/alliances", demo.ALLIANCE, key="alliance")["id"]

    def _memberships(self, alliance_id: str) -> Counter[str]:
        """Each organisation applies with its role and is approved; the lead first."""
        path = f"/api/v1/alliances/{alliance_id}/memberships"
        held = {m["organisation_id"]: m for m in self.api.all(path)}
        for organisation in demo.ORGANISATIONS:
            org_id = self.org_ids[organisation.name]
            membership = held.get(org_id)
            self._tally("memberships", membership is None)
            if membership is None:
                membership = self.api.post(
                    path,
                    {"organisation_id": org_id, "role": organisation.role},
                    key=f"membership:{alliance_id}:{org_id}",
                )
            if membership["status"] == "applied":
                membership = self.api.post(
                    f"/api/v1/memberships/{membership['id']}/approve", {"reason": "演示数据 demo data"}
                )
            held[org_id] = membership
        return Counter(f"{m['role']}:{m['status']}" for m in held.values())

    def _people(self, people: Iterable[demo.Person]) -> None:
        by_org: dict[str, list[demo.Person]] = {}
        for person in people:
            by_org.setdefault(person.organisation, []).append(person)
        for organisation, wanted in by_org.items():
            org_id = self.org_ids[organisation]
            path = f"/api/v1/organisations/{org_id}/people"
            known = self.people.setdefault(organisation, {})
            if not all(p.student_number in known for p in wanted):
                known.update({p["student_number"]: p["id"] for p in self.api.all(path) if p["student_number"]})
            missing = [p for p in wanted if p.student_number not in known]
            self.found["people"] += len(wanted) - len(missing)

            def create(person: demo.Person, org_id: str = org_id, path: str = path) -> tuple[str, str]:
                made = self.api.post(path, person.body(), key=f"person:{org_id}:{person.student_number}")
                return person.student_number, made["id"]

            with ThreadPoolExecutor(PARALLEL_REQUESTS) as pool:
                for number, person_id in pool.map(create, missing):
                    known[number] = person_id
                    self.created["people"] += 1

    def person_id(self, organisation: str, student_number: str) -> str:
        return self.people[organisation][student_number]

    def _event(self, alliance_id: str, event: demo.Event) -> dict[str, Any]:
        existing = [
            e
            for e in self.api.all("/api/v1/events", alliance_id=alliance_id, kind=event.body["kind"])
            if e["title"] == event.body["title"]
        ]
        self._tally("events", not existing)
        if existing:
            record = existing[0]
        else:
            body = {"alliance_id": alliance_id, "organiser_id": self.org_ids[event.organiser], **event.body}
            record = self.api.post("/api/v1/events", body, key=f"event:{alliance_id}:{event.body['title']}")
        # The competition stays open until its teams are registered (see _competition).
        actions = event.actions[:1] if event.key == "competition" else event.actions
        return self._advance(record, actions)

    def _advance(self, record: dict[str, Any], actions: tuple[str, ...]) -> dict[str, Any]:
        """Take an event through ``actions`` from wherever its status is now."""
        while NEXT_ACTION.get(record["status"]) in actions:
            record = self.api.post(f"/api/v1/events/{record['id']}/{NEXT_ACTION[record['status']]}")
        return record

    def _competition(self, event: dict[str, Any]) -> list[str]:
        """Register the teams, close registration, publish the results; the winners' person ids."""
        path = f"/api/v1/events/{event['id']}/registrations"
        registered = {r["team_name"]: r for r in self.api.all(path) if r["status"] != "cancelled"}
        for index, (school, team, members, *_rest) in enumerate(demo.TEAMS):
            self._tally("registrations", team not in registered)
            if team in registered:
                continue
            body = {
                "organisation_id": self.org_ids[school],
                "team_name": team,
                "person_ids": [self.person_id(school, f"NET-{index + 1}-{n + 1}") for n in range(len(members))],
            }
            registered[team] = self._post_once_known(
                path, body, f"registration:{event['id']}:{team}", 422, f"events_svc to accept team {team}"
            )
        event = self._advance(self.api.get(f"/api/v1/events/{event['id']}"), ("close",))
        if parse_rfc3339(event["starts_at"]) > datetime.now(UTC):
            event = self.api.patch(f"/api/v1/events/{event['id']}", demo.competition_held(date.today()))
        results = self.api.get(f"/api/v1/events/{event['id']}/results")
        self._tally("results", not results["results"])
        if not results["results"]:
            rows = [
                {"registration_id": registered[team]["id"], "award": award, "rank": rank, "score": score}
                for _, team, _, award, rank, score in demo.TEAMS
            ]
            self.api.post(f"/api/v1/events/{event['id']}/results", {"results": rows}, key=f"results:{event['id']}")
        school, _, members, *_ = demo.TEAMS[0]
        return [self.person_id(school, f"NET-1-{n + 1}") for n in range(len(members))]

    def _post_once_known(self, path: str, body: dict[str, Any], key: str, refused: int, what: str) -> dict[str, Any]:
        """POST until the service's read models know what ``body`` names (it answers ``refused`` till then).

        Each attempt has its own Idempotency-Key: the gateway replays a refused attempt as it was.
        """
        attempt = 0
        deadline = time.monotonic() + READ_MODEL_WAIT_SECONDS
        while True:
            response = self.api.call("POST", path, json=body, key=f"{key}:{attempt}")
            if response.status_code != refused or time.monotonic() > deadline:
                return _ok(response, f"POST {path} (waiting for {what})")
            attempt += 1
            time.sleep(0.25)

    def _training_certificates(self, event: dict[str, Any]) -> None:
        issuer_id = event["organiser_id"]
        wanted = demo.training_certificate(event["title"])
        held = {(c["holder_id"], c["title"]) for c in self.api.all("/api/v1/certificates")}
        for teacher in demo.TRAINED_TEACHERS:
            person = next(p for p in demo.PEOPLE if p.student_number == teacher)
            holder_id = self.person_id(person.organisation, teacher)
            self._tally("certificates", (holder_id, wanted["title"]) not in held)
            if (holder_id, wanted["title"]) in held:
                continue
            body = {**wanted, "holder_id": holder_id, "issuer_id": issuer_id}
            self._post_once_known(
                "/api/v1/certificates",
                body,
                f"certificate:{issuer_id}:{holder_id}:{wanted['title']}",
                404,
                f"certificates_svc to know holder {holder_id}",
            )

    def _assessment(self, candidates: list[tuple[demo.Person, bool, float]]) -> dict[str, Any]:
        """The 2022 assessment at 武隆职业教育中心; its attainment statistics once every candidate counts."""
        wulong = self.org_ids[demo.WULONG]
        year = int(demo.ASSESSMENT["assessed_on"][:4])
        stats_path = "/api/v1/stats/attainment"
        stats = self.api.get(stats_path, organisation_id=wulong, year=year)
        self._tally("assessments", stats["assessed"] < len(candidates))
        if stats["assessed"] < len(candidates):
            body = {
                "issuer_id": wulong,
                **demo.ASSESSMENT,
                "external_ref": demo.assessment_ref(len(candidates)),
                "results": [
                    {"person_id": self.person_id(demo.WULONG, person.student_number), "passed": passed, "score": score}
                    for person, passed, score in candidates
                ],
            }
            job = self.api.post("/api/v1/assessments", body, key=f"assessment:{body['external_ref']}")
            job = wait_until(lambda: self._finished(job["id"]), JOB_WAIT_SECONDS, f"assessment job {job['id']}")
            if job["status"] != "done":
                raise SeedError(f"the assessment job {job['id']} failed: {job['errors'][:3]}")
            stats = self.api.get(stats_path, organisation_id=wulong, year=year)
        return stats

    def _finished(self, job_id: str) -> dict[str, Any] | None:
        job = self.api.get(f"/api/v1/jobs/{job_id}")
        return job if job["status"] in ("done", "failed") else None

    def _award_certificates(self, winners: list[str]) -> list[dict[str, Any]] | None:
        """The winning team's award certificates, once the results flow has issued them all."""
        awards = []
        for person_id in winners:
            portfolio = self.api.get(f"/api/v1/people/{person_id}")["certificates"]
            held = [c for c in portfolio if c["kind"] == "competition_award" and c["status"] == "active"]
            if not held:
                return None
            awards.extend(held)
        return awards


def render_summary(summary: dict[str, Any], url: str, seconds: float) -> str:
    created, found = summary["created"], summary["found"]
    kinds = (
        "organisations",
        "alliances",
        "memberships",
        "people",
        "events",
        "registrations",
        "results",
        "certificates",
        "assessments",
    )
    stats = summary["attainment"]
    rate = stats["attainment_rate"]
    lines = [
        f"Seeded the demo alliance at {url} in {seconds:.1f} s (alliance {summary['alliance_id']}).",
        "  " + ", ".join(f"{kind}: {created[kind]} new, {found[kind]} existing" for kind in kinds),
        "  memberships: " + ", ".join(f"{n} {k}" for k, n in sorted(summary["memberships"].items())),
        "  events: " + "; ".join(f"{e['title']} ({e['status']})" for e in summary["events"].values()),
        f"  first prize (网络搭建与应用): {len(summary['awards'])} award certificates, e.g. "
        f"{summary['awards'][0]['number']}",
        f"  2022 assessment at {demo.WULONG}: {stats['certified']} of {stats['assessed']} certified ({rate * 100:.1f}%)"
        if rate is not None
        else "  2022 assessment: no candidates",
        f"  verify at {url}/verify?number={quote(summary['awards'][0]['number'], safe='')}",
    ]
    return "\n".join(lines)
