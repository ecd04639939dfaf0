"""Who may issue to whom, under whose name: the issuing rules, unique issuer names, each
organisation's own DID and the statistics an org_admin may read, over HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from tests.interface.test_certificates import cli_verify, independently_verify, status_entries
from tests.support.api import Api, create, ok
from tests.support.schedule import move_into_the_past
from tests.support.waiting import wait_for

LEAD = "重庆市渝中职业教育中心"
OTHER = "四川邻水职业中学"
PARTICIPATION = "职业体验日 参与证书"


def as_org(organisation_id: str) -> dict:
    return {"role": "org_admin", "org": organisation_id}


def school(api: Api, name: str, **extra) -> str:
    return create(api, "/api/v1/organisations", {"name": name, "kind": "secondary_vocational_school", **extra})["id"]


def student(api: Api, organisation_id: str, name: str) -> str:
    return create(api, f"/api/v1/organisations/{organisation_id}/people", {"name": name, "kind": "student"})["id"]


def participation(holder_id: str, issuer_id: str) -> dict:
    return {"kind": "participation", "holder_id": holder_id, "issuer_id": issuer_id, "title": PARTICIPATION}


def issued_by(api: Api, issuer_id: str, holder_id: str) -> list[dict]:
    """The certificates ``issuer_id`` issued to ``holder_id``."""
    listed = ok(api.get("/api/v1/certificates", params={"limit": 200}, **as_org(issuer_id)))["items"]
    return [certificate for certificate in listed if certificate["holder_id"] == holder_id]


def two_schools_in_an_alliance(api: Api) -> tuple[str, str, str]:
    """An alliance led by A with B as a member; (alliance, A, B)."""
    alliance = create(api, "/api/v1/alliances", {"name": "成渝教研联盟"})["id"]
    a, b = school(api, LEAD), school(api, OTHER)
    for organisation_id, role in ((a, "lead"), (b, "member")):
        membership = create(
            api, f"/api/v1/alliances/{alliance}/memberships", {"organisation_id": organisation_id, "role": role}
        )
        ok(api.post(f"/api/v1/memberships/{membership['id']}/approve", json={}))
    return alliance, a, b


def published_event(api: Api, alliance: str, organiser: str) -> str:
    starts = datetime.now(UTC) + timedelta(days=30)
    event = create(
        api,
        "/api/v1/events",
        {
            "alliance_id": alliance,
            "organiser_id": organiser,
            "kind": "skills_competition",
            "title": "网络搭建与应用",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=8)).isoformat(),
            "registration_closes_at": (starts - timedelta(days=1)).isoformat(),
        },
    )
    ok(api.post(f"/api/v1/events/{event['id']}/publish", json={}))
    return event["id"]


def registered(api: Api, event_id: str, organisation_id: str, person_ids: list[str]) -> str:
    def attempt():
        response = api.post(
            f"/api/v1/events/{event_id}/registrations",
            json={"organisation_id": organisation_id, "person_ids": person_ids},
            **as_org(organisation_id),
        )
        return response.json()["id"] if response.status_code == 201 else None

    return wait_for(attempt, timeout=20, message="events_svc to know the member and its people")


def test_a_school_issues_to_its_own_people_and_not_to_another_schools(api):
    a, b = school(api, LEAD), school(api, OTHER)
    own, theirs = student(api, a, "张三丰"), student(api, b, "孙丽")

    refused = api.post("/api/v1/certificates", json=participation(theirs, a), **as_org(a))
    assert refused.status_code == 403, refused.text
    problem = refused.json()
    assert problem["missing_rules"] == ["own_people", "event_participants", "alliance_admin"]
    assert "event_participants" in problem["detail"] and theirs in problem["errors"]["holder_id"][0]

    batch = {
        "issuer_id": a,
        "items": [participation(own, a), {**participation(theirs, a), "kind": "competition_award"}],
    }
    refused_batch = api.post("/api/v1/certificates/batch", json=batch, **as_org(a))
    assert refused_batch.status_code == 403, refused_batch.text
    assert list(refused_batch.json()["errors"]) == ["/items/1/holder_id"]
    assert refused_batch.json()["missing_rules"] == [
        "own_people",
        "event_participants",
        "alliance_admin",
    ]
    assert issued_by(api, a, theirs) == []

    assert create(api, "/api/v1/certificates", participation(own, a), **as_org(a))["holder_id"] == own
    job = ok(api.post("/api/v1/certificates/batch", json={**batch, "items": batch["items"][:1]}, **as_org(a)), 202)
    wait_for(lambda: api.get(f"/api/v1/jobs/{job['id']}").json()["status"] == "done", message="the batch to finish")
    # The alliance admin may issue what no organisation's own rule allows.
    assert create(api, "/api/v1/certificates", participation(theirs, a))["issuer_id"] == a


def test_a_confirmed_participant_of_an_own_event_gets_the_organisers_certificates(api):
    alliance, a, b = two_schools_in_an_alliance(api)
    participant, bystander = student(api, b, "孙丽"), student(api, b, "周杰")
    event_id = published_event(api, alliance, a)
    registration = registered(api, event_id, b, [participant])

    def issued_to_participant():
        response = api.post("/api/v1/certificates", json=participation(participant, a), **as_org(a))
        assert response.status_code in (201, 403), response.text
        return response.status_code == 201

    wait_for(issued_to_participant, message="certificates_svc to learn of B's confirmed place at A's event")
    refused = api.post("/api/v1/certificates", json=participation(bystander, a), **as_org(a))
    assert refused.status_code == 403 and "event_participants" in refused.json()["missing_rules"]

    ok(api.post(f"/api/v1/events/{event_id}/close", json={}))
    move_into_the_past(api, event_id)
    results = {"results": [{"registration_id": registration, "score": 91, "rank": 1, "award": "first_prize"}]}
    ok(api.post(f"/api/v1/events/{event_id}/results", json=results, **as_org(a)), 201)

    def award():
        awards = [c for c in issued_by(api, a, participant) if c["kind"] == "competition_award"]
        return awards[0] if awards else None

    certificate = wait_for(award, message="the award from the published results")
    assert certificate["issuer_id"] == a and certificate["holder_organisation_id"] == b

    # The issuer changes its certificate's status; the holder's school may not; the admin may.
    number = certificate["number"]
    by_holder_school = api.post(f"/api/v1/certificates/{number}/suspend", json={"reason": "x"}, **as_org(b))
    assert by_holder_school.status_code == 403
    suspended = api.post(f"/api/v1/certificates/{number}/suspend", json={"reason": "under review"}, **as_org(a))
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    assert api.post(f"/api/v1/certificates/{number}/reinstate", json={}, **as_org(a)).json()["status"] == "active"
    assert api.post(f"/api/v1/certificates/{number}/revoke", json={"reason": "x"}, **as_org(b)).status_code == 403
    revoked = api.post(f"/api/v1/certificates/{number}/revoke", json={"reason": "results annulled"})
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"


def test_a_school_cannot_take_the_lead_schools_name(api):
    lead, a = school(api, LEAD), school(api, OTHER)

    by_org_admin = api.request("PATCH", f"/api/v1/organisations/{a}", json={"name": LEAD}, **as_org(a))
    assert by_org_admin.status_code == 403 and by_org_admin.json()["errors"].keys() == {"name"}
    recode = api.request("PATCH", f"/api/v1/organisations/{a}", json={"code": "5001ABCD"}, **as_org(a))
    assert recode.status_code == 403 and recode.json()["errors"].keys() == {"code"}
    assert (
        api.request("PATCH", f"/api/v1/organisations/{a}", json={"district": "邻水县"}, **as_org(a)).status_code == 200
    )

    for look_alike in (LEAD, " 重庆市 渝中职业教育中心\u3000", "重庆市渝中\u200b职业教育中心"):
        renamed = api.request("PATCH", f"/api/v1/organisations/{a}", json={"name": look_alike})
        assert renamed.status_code == 409, renamed.text
        assert renamed.json()["errors"]["name"] == ["already registered"]
    full_width = api.post("/api/v1/organisations", json={"name": "ＣＱ Ｖｏｃａｔｉｏｎａｌ", "kind": "enterprise"})
    assert full_width.status_code == 201
    again = api.post("/api/v1/organisations", json={"name": "cq  vocational", "kind": "enterprise"})
    assert again.status_code == 409 and again.json()["errors"]["name"] == ["already registered"]
    assert api.get(f"/api/v1/organisations/{a}").json()["name"] == OTHER
    assert api.get(f"/api/v1/organisations/{lead}").json()["name"] == LEAD
    assert api.request("PATCH", f"/api/v1/organisations/{a}", json={"name": "四川省邻水县职业中学"}).status_code == 200


def test_a_credential_is_issued_under_the_organisations_own_did_and_keeps_its_name(api, tmp_path):
    a = school(api, LEAD)
    holder = student(api, a, "张三丰")
    certificate = create(api, "/api/v1/certificates", participation(holder, a), **as_org(a))
    number = certificate["number"]
    credential = api.get(f"/api/v1/certificates/{number}/credential").json()
    platform_did = api.get("/.well-known/did.json", role=None).json()

    did = credential["issuer"]["id"]
    assert did == f"{platform_did['id']}:organisations:{a}"
    assert credential["proof"][0]["verificationMethod"].startswith(f"{did}#")
    document = api.get(f"/organisations/{a}/did.json", role=None)
    assert document.status_code == 200 and document.headers["Content-Type"].startswith("application/did+json")
    assert document.json()["id"] == did
    assert [m["publicKeyMultibase"] for m in document.json()["verificationMethod"]] == [
        m["publicKeyMultibase"] for m in platform_did["verificationMethod"]
    ]
    independently_verify(credential, document.json())
    lists = []
    for entry in status_entries(credential):
        response = api.get(urlsplit(entry["statusListCredential"]).path, role=None)
        assert response.status_code == 200, response.text
        assert response.json()["issuer"] in (did, {"id": did}) or response.json()["issuer"]["id"] == did
        lists.append(response.json())
    code, out = cli_verify(tmp_path, credential, document.json(), lists)
    assert code == 0, out
    assert cli_verify(tmp_path, credential, platform_did, lists)[0] == 1
    assert api.get("/organisations/000000000000000000000000/did.json", role=None).status_code == 404

    ok(api.request("PATCH", f"/api/v1/organisations/{a}", json={"name": "重庆市渝中区职业教育中心"}))
    answer = ok(api.get(f"/api/v1/verify/{number}", params={"name": "张三丰"}, role=None))
    assert answer["issuer"] == {"id": a, "name": LEAD, "did": did}
    assert api.get(f"/api/v1/certificates/{number}/credential").json()["issuer"]["name"] == LEAD


def test_an_org_admin_reads_only_its_own_statistics_and_the_admin_all(api):
    a = school(
        api,
        LEAD,
        accredited_evaluator=True,
        evaluator={"type": "S", "code": "5001", "province": "50", "site": "000123"},
    )
    b = school(api, OTHER)
    year = date.today().year
    candidates = [student(api, a, "张三丰"), student(api, b, "孙丽")]
    job = ok(
        api.post(
            "/api/v1/assessments",
            json={
                "issuer_id": a,
                "occupation": "电工",
                "level": 4,
                "assessed_on": date.today().isoformat(),
                "results": [
                    {"person_id": candidates[0], "passed": True},
                    {"person_id": candidates[1], "passed": False},
                ],
            },
            **as_org(a),
        ),
        202,
    )
    wait_for(lambda: api.get(f"/api/v1/jobs/{job['id']}").json()["status"] == "done", message="the assessment job")

    path = "/api/v1/stats/attainment"
    others = api.get(path, params={"organisation_id": a, "year": year}, **as_org(b))
    assert others.status_code == 403
    own = ok(api.get(path, params={"year": year}, **as_org(b)))
    assert (own["organisation_id"], own["assessed"], own["certified"]) == (b, 1, 0)
    assert ok(api.get(path, params={"organisation_id": a, "year": year}, **as_org(a)))["certified"] == 1
    everyone = ok(api.get(path, params={"year": year}))
    assert (everyone["organisation_id"], everyone["assessed"], everyone["certified"]) == (None, 2, 1)
    unknown = api.get(path, params={"organisation_id": "000000000000000000000000", "year": year})
    assert unknown.status_code == 404 and unknown.json()["errors"]["organisation_id"] == ["unknown organisation"]
