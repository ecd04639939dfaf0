"""No ID number, and nothing from which an ID number or a name can be recovered, leaves the system.

People are registered with ID numbers, then a whole flow runs over HTTP: a school and its
membership, people (one by one and as a cohort), a competition with a registration and
results (award certificates), an assessment (skill-level certificates), public verification,
the PDF, the credential, the status lists, the DID document, the pages and the calendar,
and the usual mistakes (duplicates, invalid fields). Every response body, every event the
three services publish, every log line they write and every public document is then searched
for the ID numbers and for SHA-256, SHA-1 and MD5 digests of the ID numbers and the names,
bare and with each salt that appears anywhere.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

import pypdfium2
import requests

from services.identity import check_character, mask_identifier
from tests.interface.test_certificates import status_entries
from tests.support.api import Api, create
from tests.support.events import EventTap
from tests.support.schedule import move_into_the_past
from tests.support.waiting import wait_for

CST = timezone(timedelta(hours=8))


def national_id(body: str) -> str:
    return body + check_character(body)


PEOPLE = {
    "张三丰": national_id("11010519491231002"),  # ends in X
    "欧阳娜娜": national_id("50010320050101123"),
    "李明": national_id("51010720060315002"),
}
assert PEOPLE["张三丰"].endswith("X")
SCHOOL = {
    "name": "重庆市渝中职业教育中心",
    "kind": "secondary_vocational_school",
    "region": "重庆",
    "accredited_evaluator": True,
    "evaluator": {"type": "S", "code": "5001", "province": "50", "site": "000123"},
}


@dataclass
class RecordingApi(Api):
    """The gateway client, keeping the text of every answer (a PDF as the text printed on it)."""

    answers: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        response = super().request(method, path, **kwargs)
        if response.headers.get("Content-Type", "").startswith("application/pdf"):
            document = pypdfium2.PdfDocument(response.content)
            self.answers.append("\n".join(page.get_textpage().get_text_range() for page in document))
        else:
            self.answers.append(response.text)
        return response


def digests(value: str) -> set[str]:
    return {hashlib.new(name, value.encode("utf-8")).hexdigest() for name in ("sha256", "sha1", "md5")}


def forbidden_values(salts: Iterable[str]) -> dict[str, str]:
    """Each value that must not appear, with what it is (for the failure message)."""
    forbidden: dict[str, str] = {}
    for name, number in PEOPLE.items():
        for variant in {number, number.lower()}:
            forbidden[variant] = f"the ID number of {name}"
        forbidden[number[:17]] = f"the first 17 characters of the ID number of {name}"
        for what, value in ((f"the ID number of {name}", number), (f"the name {name}", name)):
            for variant in {value, value.lower()}:
                for salted in {variant, *(variant + s for s in salts), *(s + variant for s in salts)}:
                    for digest in digests(salted):
                        forbidden[digest] = f"a digest of {what}"
    return forbidden


def salts_in(texts: Iterable[str]) -> set[str]:
    """Every value published under a key that names a salt."""
    pattern = re.compile(r'"(?:\w*_)?salt"\s*:\s*"([^"]+)"', re.IGNORECASE)
    return {salt for text in texts for salt in pattern.findall(text)}


def leaks(sources: dict[str, str]) -> list[str]:
    salts = salts_in(sources.values())
    forbidden = forbidden_values(salts)
    return sorted(
        {
            f"{what} in {source}"
            for source, text in sources.items()
            for value, what in forbidden.items()
            if value in text
        }
    )


def certificates_of(api: RecordingApi, *kinds: str) -> list[dict]:
    response = api.get("/api/v1/certificates", params={"limit": 100})
    assert response.status_code == 200, response.text
    return [c for c in response.json()["items"] if not kinds or c["kind"] in kinds]


def register_school(api: RecordingApi) -> tuple[dict, dict]:
    alliance = create(api, "/api/v1/alliances", {"name": "成渝地区教学研究校际联盟", "region": "成渝"})
    school = create(api, "/api/v1/organisations", SCHOOL)
    membership = create(
        api, f"/api/v1/alliances/{alliance['id']}/memberships", {"organisation_id": school["id"], "role": "lead"}
    )
    approved = api.post(f"/api/v1/memberships/{membership['id']}/approve", json={"reason": "founding school"})
    assert approved.status_code == 200, approved.text
    return alliance, school


def register_people(api: RecordingApi, school: dict) -> dict[str, str]:
    path = f"/api/v1/organisations/{school['id']}/people"
    (first, *cohort) = PEOPLE.items()
    single = create(
        api, path, {"name": first[0], "kind": "student", "student_number": "S2022-001", "national_id": first[1].lower()}
    )
    assert single["national_id_masked"] == mask_identifier(first[1])
    batch = create(
        api,
        f"{path}/batch",
        {
            "people": [
                {"name": name, "kind": "student", "student_number": f"S2022-{index + 2:03d}", "national_id": number}
                for index, (name, number) in enumerate(cohort)
            ]
        },
    )
    return {person["name"]: person["id"] for person in [single, *batch["items"]]}


def make_mistakes(api: RecordingApi, school: dict) -> None:
    """Duplicates and invalid fields: each refused, none repeating the personal value it was given."""
    path = f"/api/v1/organisations/{school['id']}/people"
    name, number = next(iter(PEOPLE.items()))
    refused = [
        api.post(path, json={"name": "王芳", "kind": "student", "student_number": "S2022-001"}),
        api.post(path, json={"name": name, "kind": "student", "national_id": number[:17] + "0"}),
        api.post(path, json={"name": name, "kind": "student", "student_number": f"G{number}"}),
        api.post(path, json={"name": f"{name} {number}", "kind": "student"}),
        api.post(
            f"{path}/batch",
            json={"people": [{"name": n, "kind": "student", "student_number": "S2023-009"} for n in ("赵六", "钱七")]},
        ),
        api.post("/api/v1/organisations", json={**SCHOOL, "name": f"职业学校 {number.lower()}"}),
    ]
    assert [r.status_code for r in refused] == [409, 400, 400, 400, 409, 400]


def run_competition(api: RecordingApi, alliance: dict, school: dict, person_ids: dict[str, str]) -> dict:
    starts = (datetime.now(CST) + timedelta(days=30)).replace(hour=9, minute=0, second=0, microsecond=0)
    event = create(
        api,
        "/api/v1/events",
        {
            "alliance_id": alliance["id"],
            "organiser_id": school["id"],
            "kind": "skills_competition",
            "title": "网络搭建与应用 技能竞赛",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=8)).isoformat(),
            "registration_closes_at": (starts - timedelta(days=10)).isoformat(),
            "capacity": 4,
            "team_size_max": 2,
        },
    )
    assert api.post(f"/api/v1/events/{event['id']}/publish").status_code == 200
    team = [person_ids["张三丰"], person_ids["欧阳娜娜"]]
    body = {"organisation_id": school["id"], "person_ids": team, "team_name": "渝中一队"}

    def registered():
        response = api.post(f"/api/v1/events/{event['id']}/registrations", json=body)
        assert response.status_code in (201, 422), response.text
        return response.json() if response.status_code == 201 else None

    registration = wait_for(registered, timeout=20, message="events_svc to know the team")
    assert api.post(f"/api/v1/events/{event['id']}/close").status_code == 200
    move_into_the_past(api, event["id"])
    results = api.post(
        f"/api/v1/events/{event['id']}/results",
        json={"results": [{"registration_id": registration["id"], "score": 96.5, "rank": 1, "award": "first_prize"}]},
    )
    assert results.status_code in (200, 201), results.text
    return event


def run_assessment(api: RecordingApi, school: dict, person_ids: dict[str, str]) -> None:
    submitted = api.post(
        "/api/v1/assessments",
        json={
            "issuer_id": school["id"],
            "occupation": "网络与信息安全管理员",
            "level": 4,
            "assessed_on": (date.today() - timedelta(days=7)).isoformat(),
            "external_ref": "YZ-2026-06",
            "results": [{"person_id": person_id, "passed": True, "score": 90.0} for person_id in person_ids.values()],
        },
    )
    assert submitted.status_code == 202, submitted.text

    def finished():
        job = api.get(f"/api/v1/jobs/{submitted.json()['id']}").json()
        return job if job["status"] in ("done", "failed") else None

    assert wait_for(finished, timeout=60, message="the assessment job")["status"] == "done"


def read_everything_public(api: RecordingApi, event: dict, certificates: list[dict], names: dict[str, str]) -> None:
    """What anyone may fetch, and what the holder's school reads, for every certificate."""
    for certificate in certificates:
        number = certificate["number"]
        credential = api.get(f"/api/v1/certificates/{number}/credential")
        assert credential.status_code == 200, credential.text
        api.get(f"/api/v1/certificates/{number}/credential", role=None)
        link = api.post(f"/api/v1/certificates/{number}/share-links", json={})
        assert link.status_code == 201, link.text
        token = link.json()["token"]
        for path in (f"/api/v1/shared/{token}", f"/api/v1/shared/{token}.pdf", f"/s/{token}"):
            assert api.get(path, role=None).status_code == 200, path
        api.get(f"/api/v1/certificates/{number}/share-links")
        for entry in status_entries(credential.json()):
            api.get(urlsplit(entry["statusListCredential"]).path, role=None)
        api.get(f"/api/v1/certificates/{number}.pdf", role=None)
        api.get(f"/api/v1/certificates/{number}.pdf", role=None, params={"name": names[certificate["holder_id"]]})
        api.get(f"/api/v1/verify/{number}", role=None, params={"name": names[certificate["holder_id"]]})
        api.get(f"/api/v1/verify/{number}", role=None, params={"name": "张三"})
        api.get(f"/api/v1/certificates/{number}")
    for person_id in names:
        api.get(f"/api/v1/people/{person_id}")
    for path in (
        "/.well-known/did.json",
        "/verify",
        "/calendar",
        "/api/v1/events.ics",
        f"/api/v1/events/{event['id']}.ics",
    ):
        assert api.get(path, role=None).status_code == 200, path
    api.get("/api/v1/events", role=None)


def test_no_id_number_or_digest_of_one_or_of_a_name_leaves_the_system(start_services, config, caplog):
    # The level the services run at; at DEBUG the database driver logs whole documents.
    caplog.set_level(logging.INFO)
    start_services()
    api = RecordingApi(f"http://{config['WEB_SERVER_ADDRESS']}", config["JWT_SECRET"], requests.Session())
    taps = {producer: EventTap(config, producer) for producer in ("members", "events", "certificates")}
    try:
        alliance, school = register_school(api)
        person_ids = register_people(api, school)
        names = {person_id: name for name, person_id in person_ids.items()}
        make_mistakes(api, school)
        event = run_competition(api, alliance, school, person_ids)
        awards = wait_for(
            lambda: certificates_of(api, "competition_award") or None,
            timeout=30,
            message="award certificates from the results",
        )
        assert {c["holder_id"] for c in awards} == {person_ids["张三丰"], person_ids["欧阳娜娜"]}
        run_assessment(api, school, person_ids)
        certificates = certificates_of(api)
        assert len(certificates) == len(awards) + len(PEOPLE)
        read_everything_public(api, event, certificates, names)
        wait_for(
            lambda: len(taps["certificates"].of_type("certificate_issued")) == len(certificates),
            message="every certificate_issued event",
        )
        events = {producer: json.dumps(tap.drain(), ensure_ascii=False) for producer, tap in taps.items()}
    finally:
        for tap in taps.values():
            tap.close()

    assert caplog.records, "the services' log output was captured"
    assert all(events.values()), "each service published events"
    sources = {
        "the HTTP answers": "\n".join(api.answers),
        **{f"the {producer} events": text for producer, text in events.items()},
        "the log lines": caplog.text,
    }
    found = leaks(sources)
    assert found == [], "\n".join(found)
