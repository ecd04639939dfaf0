"""Finding certificates, people and jobs over HTTP: filters, who sees what, and alliance-wide statistics."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from services.logging import JsonFormatter
from tests.interface.test_certificates import register_evaluator
from tests.interface.test_certificates_jobs import finished_job
from tests.support.api import Api, all_items, create, ok
from tests.support.waiting import wait_for

OCCUPATION = "网络与信息安全管理员"
OTHER_OCCUPATION = "电工"


def as_org(organisation_id: str) -> dict:
    return {"role": "org_admin", "org": organisation_id}


def school(api: Api, name: str) -> str:
    return create(api, "/api/v1/organisations", {"name": name, "kind": "secondary_vocational_school"})["id"]


def students(api: Api, organisation_id: str, names: list[str]) -> list[str]:
    people = [{"name": name, "kind": "student", "student_number": f"S{i:04d}"} for i, name in enumerate(names)]
    created = create(api, f"/api/v1/organisations/{organisation_id}/people/batch", {"people": people})
    return [person["id"] for person in created["items"]]


def issue(api: Api, holder_id: str, issuer_id: str, **overrides) -> dict:
    """A certificate the alliance admin issues in ``issuer_id``'s name (any holder)."""
    body = {
        "kind": "skill_level",
        "holder_id": holder_id,
        "issuer_id": issuer_id,
        "title": f"{OCCUPATION} 职业技能等级证书",
        "occupation": OCCUPATION,
        "level": 4,
        **overrides,
    }
    return create(api, "/api/v1/certificates", body)


def listed(api: Api, caller: dict | None = None, **params) -> list[dict]:
    """Every certificate the listing answers ``caller`` (default: the alliance admin), page by page."""
    return all_items(lambda query: ok(api.get("/api/v1/certificates", params=query, **(caller or {}))), **params)


def numbers(certificates: list[dict]) -> set[str]:
    return {certificate["number"] for certificate in certificates}


@pytest.fixture
def certified_schools(api):
    """An accredited evaluator that certified the students of two schools; (evaluator, a, b, issued by school)."""
    evaluator = register_evaluator(api)["id"]
    a, b = school(api, "重庆市两江职业教育中心"), school(api, "巫溪县职业教育中心")
    a_students = students(api, a, ["王伟", "李娜", "张敏"])
    b_students = students(api, b, ["刘强"])
    issued = {
        a: [issue(api, person, evaluator) for person in a_students]
        + [issue(api, a_students[0], evaluator, occupation=OTHER_OCCUPATION, level=3, title="电工 三级")],
        b: [issue(api, person, evaluator, kind="participation", title="职业体验日") for person in b_students],
    }
    issued[a].append(issue(api, a_students[0], a, kind="participation", title="开放日 参与证书"))
    issued[b].append(issue(api, b_students[0], a, kind="participation", title="开放日 参与证书"))
    return evaluator, a, b, issued


def test_a_schools_org_admin_lists_its_students_certificates_issued_by_another_organisation(api, certified_schools):
    evaluator, a, b, issued = certified_schools

    by_a_to_b = {c["number"] for c in issued[b] if c["issuer_id"] == a}
    assert numbers(listed(api, as_org(a))) == numbers(issued[a]) | by_a_to_b
    assert numbers(listed(api, as_org(b))) == numbers(issued[b])
    from_evaluator = numbers(listed(api, as_org(a), issuer_id=evaluator))
    assert from_evaluator == {c["number"] for c in issued[a] if c["issuer_id"] == evaluator}
    assert numbers(listed(api, as_org(evaluator))) == {
        c["number"] for c in issued[a] + issued[b] if c["issuer_id"] == evaluator
    }
    assert numbers(listed(api, as_org(evaluator), holder_organisation_id=b)) == {
        c["number"] for c in issued[b] if c["issuer_id"] == evaluator
    }

    # Page by page, the two ways a certificate concerns the school make one listing without repeats, in
    # the order the certificates were issued in (the fixture's: a's four and b's first, then the open days).
    in_issue_order = [c["number"] for c in issued[a][:4] + issued[b][:1] + issued[a][4:] + issued[b][1:]]
    paged, cursor = [], None
    while True:
        page = ok(
            api.get("/api/v1/certificates", params={"limit": 1, **({"cursor": cursor} if cursor else {})}, **as_org(a))
        )
        paged += [c["number"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert paged == [number for number in in_issue_order if number in numbers(issued[a]) | by_a_to_b]

    # Another school's people's certificates: only those the school issued itself, and no wider scope.
    assert numbers(listed(api, as_org(a), holder_organisation_id=b)) == by_a_to_b
    assert not listed(api, as_org(a), issuer_id=b)
    for params in ({"organisation_id": b}, {"issuer_id": evaluator, "holder_organisation_id": b}):
        refused = api.get("/api/v1/certificates", params=params, **as_org(a))
        assert refused.status_code == 403, (params, refused.text)
        assert refused.headers["Content-Type"].startswith("application/problem+json")


def test_certificates_filter_by_every_listed_field_and_lists_carry_no_credentials(api, certified_schools):
    evaluator, a, b, issued = certified_schools
    everything = issued[a] + issued[b]
    holder = issued[a][0]["holder_id"]
    this_year = date.today().year  # issued moments ago, in any time zone but around midnight of 31 December

    expectations = {
        "holder_id": (holder, lambda c: c["holder_id"] == holder),
        "issuer_id": (evaluator, lambda c: c["issuer_id"] == evaluator),
        "holder_organisation_id": (b, lambda c: c["holder_organisation_id"] == b),
        "organisation_id": (b, lambda c: b in (c["issuer_id"], c["holder_organisation_id"])),
        "kind": ("participation", lambda c: c["kind"] == "participation"),
        "occupation": (OTHER_OCCUPATION, lambda c: c["occupation"] == OTHER_OCCUPATION),
        "level": (4, lambda c: c["level"] == 4),
        "status": ("active", lambda c: True),
        "year": (this_year, lambda c: True),
    }
    for name, (value, wanted) in expectations.items():
        expected = {c["number"] for c in everything if wanted(c)}
        assert expected, name
        assert numbers(listed(api, **{name: value})) == expected, name
    assert not listed(api, year=this_year - 1)
    assert not listed(api, event_id="no-such-event")

    combined = numbers(listed(api, holder_organisation_id=a, kind="skill_level", level=4))
    assert combined == {c["number"] for c in issued[a] if c["kind"] == "skill_level" and c["level"] == 4}

    one = issued[a][1]["number"]
    assert numbers(listed(api, q=one)) == {one}
    assert numbers(listed(api, q=one[:-1])) >= {one}
    assert not listed(api, q=one + "9")

    revoked = ok(api.post(f"/api/v1/certificates/{one}/revoke", json={"reason": "issued in error"}))
    assert revoked["status"] == "revoked"
    assert numbers(listed(api, status="revoked")) == {one}

    page = ok(api.get("/api/v1/certificates", params={"holder_organisation_id": a, "limit": 2}))
    assert len(page["items"]) == 2 and page["next_cursor"]
    names = {c["holder_id"]: name for c, name in zip(issued[a], ["王伟", "李娜", "张敏", "王伟", "王伟"], strict=True)}
    for item in page["items"]:
        assert "credential" not in item
        assert item["credential_id"] == ok(api.get(f"/api/v1/certificates/{item['number']}"))["credential_id"]
        # The alliance admin (and an org_admin) may print these certificates, so the list names their holders.
        assert item["holder_name"] == names[item["holder_id"]]
    # A teacher lists the school's certificates without the holders' names.
    password = "两江-teacher-2026"
    teacher = {"login": "teacher@lj", "password": password, "roles": [{"role": "teacher", "organisation_id": a}]}
    create(api, "/api/v1/accounts", teacher)
    token = api.sign_in("teacher@lj", password)
    taught = ok(api.get("/api/v1/certificates", params={"holder_organisation_id": a}, token=token))
    assert taught["items"] and all(item["holder_name"] is None for item in taught["items"])
    for params in ({"colour": "red"}, {"level": 9}, {"year": "last"}, {"kind": "diploma"}):
        refused = api.get("/api/v1/certificates", params=params)
        assert refused.status_code == 400, (params, refused.text)


def test_people_are_found_by_name_student_number_kind_and_status_by_their_staff_only(api, caplog):
    a, b = school(api, "重庆市工艺美术学校"), school(api, "四川邻水职业中学")
    people = {
        name: create(api, f"/api/v1/organisations/{a}/people", {"name": name, **extra})
        for name, extra in {
            "王小明": {"kind": "student", "student_number": "2024001"},
            "王小红": {"kind": "student", "student_number": "2024002"},
            "李王芳": {"kind": "teacher"},
            "Wang Lei": {"kind": "expert"},
        }.items()
    }
    create(api, f"/api/v1/organisations/{b}/people", {"name": "王小刚", "kind": "student"})
    path = f"/api/v1/organisations/{a}/people"

    def found(**params) -> set[str]:
        return {p["name"] for p in all_items(lambda query: ok(api.get(path, params=query, **as_org(a))), **params)}

    assert found(name="王") == {"王小明", "王小红", "李王芳"}
    assert found(name="王", name_match="prefix") == {"王小明", "王小红"}
    assert found(name="  wang   LEI ") == {"Wang Lei"}
    assert found(name="wang l", name_match="prefix") == {"Wang Lei"}
    assert found(student_number="2024002") == {"王小红"}
    assert found(kind="teacher") == {"李王芳"}
    assert found(name="王", kind="student") == {"王小明", "王小红"}

    ok(api.request("DELETE", f"/api/v1/people/{people['王小红']['id']}"))
    assert found(name="王小") == {"王小明"}
    assert found(status="archived") == {"王小红"}

    assert api.get(path, params={"name": "王"}, **as_org(b)).status_code == 403
    assert api.get(path, params={"name": "王"}, role=None).status_code == 401
    for params in ({"name": ""}, {"status": "gone"}, {"name_match": "fuzzy"}, {"surname": "王"}):
        assert api.get(path, params=params, **as_org(a)).status_code == 400, params


def test_a_name_in_a_query_string_never_reaches_a_log_line(api, caplog):
    """The web server's access log writes each request line: a searched or verified name is masked there."""
    organisation = school(api, "重庆市工艺美术学校")
    create(api, f"/api/v1/organisations/{organisation}/people", {"name": "王小明", "kind": "student"})
    caplog.set_level(logging.INFO)
    people = f"/api/v1/organisations/{organisation}/people"
    assert ok(api.get(people, params={"name": "王小明"}, **as_org(organisation)))["items"]
    assert api.get("/api/v1/verify/S000000000000000000000", params={"name": "王小明"}, role=None).status_code == 404

    def access_log() -> list[str]:
        lines = [JsonFormatter().format(record) for record in caplog.records]
        requested = [line for line in lines if f"{people}?" in line or "/api/v1/verify/S0" in line]
        return lines if len(requested) >= 2 else []

    lines = wait_for(access_log, message="the access log lines of the search and the verification")
    assert not [line for line in lines if "王小明" in line or "%E7%8E%8B" in line.upper()]
    assert [line for line in lines if "name=***" in line]


def test_jobs_are_listed_for_their_organisation_by_kind_and_status(api):
    evaluator, other = (
        register_evaluator(api)["id"],
        register_evaluator(
            api, name="重庆市工业学校", evaluator={"type": "S", "code": "5002", "province": "50", "site": "000124"}
        )["id"],
    )
    mine = students(api, evaluator, ["赵强", "孙丽"])
    theirs = students(api, other, ["周杰"])

    def assess(issuer: str, people: list[str], ref: str) -> dict:
        body = {
            "issuer_id": issuer,
            "occupation": OCCUPATION,
            "level": 4,
            "assessed_on": date.today().isoformat(),
            "external_ref": ref,
            "results": [{"person_id": person, "passed": True} for person in people],
        }
        return ok(api.post("/api/v1/assessments", json=body, **as_org(issuer)), 202)

    own_job, their_job = assess(evaluator, mine, "A-1"), assess(other, theirs, "B-1")
    for job in (own_job, their_job):
        assert finished_job(api, job["id"])["status"] == "done"

    def jobs(caller: dict | None = None, **params) -> list[dict]:
        return all_items(lambda query: ok(api.get("/api/v1/jobs", params=query, **(caller or {}))), **params)

    assert [job["id"] for job in jobs(as_org(evaluator))] == [own_job["id"]]
    assert {job["id"] for job in jobs()} == {own_job["id"], their_job["id"]}
    assert [job["id"] for job in jobs(issuer_id=other)] == [their_job["id"]]
    assert [job["id"] for job in jobs(as_org(evaluator), kind="assessment", status="done")] == [own_job["id"]]
    assert not jobs(as_org(evaluator), kind="batch")
    assert not jobs(as_org(evaluator), status="running")
    (listed_job,) = jobs(as_org(evaluator))
    assert listed_job["issued"] == 2 and "errors" not in listed_job
    assert api.get("/api/v1/jobs", params={"issuer_id": other}, **as_org(evaluator)).status_code == 403
    assert api.get("/api/v1/jobs", params={"status": "lost"}).status_code == 400


def test_alliance_wide_attainment_breaks_down_by_organisation_and_matches_the_certificates(api):
    evaluator = register_evaluator(api)["id"]
    a, b = school(api, "武隆职业教育中心"), school(api, "张家界市旅游学校")
    cohorts = {a: students(api, a, ["陈一", "陈二", "陈三"]), b: students(api, b, ["黄一", "黄二"])}
    passed = {a: 2, b: 1}
    body = {
        "issuer_id": evaluator,
        "occupation": OCCUPATION,
        "level": 4,
        "assessed_on": date.today().isoformat(),
        "results": [
            {"person_id": person, "passed": i < passed[organisation]}
            for organisation, people in cohorts.items()
            for i, person in enumerate(people)
        ],
    }
    job = ok(api.post("/api/v1/assessments", json=body), 202)
    assert finished_job(api, job["id"])["status"] == "done"

    year = date.today().year
    figures = ok(api.get("/api/v1/stats/attainment", params={"year": year}))
    assert figures["organisation_id"] is None
    shares = {share["organisation_id"]: share for share in figures["by_organisation"]}
    assert set(shares) == {a, b}
    for organisation, people in cohorts.items():
        held = listed(api, holder_organisation_id=organisation, kind="skill_level", year=year)
        assert shares[organisation]["certified"] == len(held) == passed[organisation]
        assert shares[organisation]["assessed"] == len(people)
    assert figures["certified"] == sum(share["certified"] for share in shares.values()) == 3
    assert figures["assessed"] == 5

    own = ok(api.get("/api/v1/stats/attainment", params={"year": year}, **as_org(a)))
    assert (own["organisation_id"], own["certified"], own["assessed"]) == (a, 2, 3)
    assert "by_organisation" not in own


def test_the_openapi_document_describes_every_filter(api):
    document = ok(api.get("/openapi.json", role=None))

    def parameters(path: str) -> set[str]:
        return {p["name"] for p in document["paths"][path]["get"]["parameters"] if p["in"] == "query"}

    assert parameters("/api/v1/certificates") >= {
        "holder_id", "issuer_id", "holder_organisation_id", "organisation_id", "kind", "status",
        "event_id", "occupation", "level", "year", "q", "limit", "cursor",
    }  # fmt: skip
    assert parameters("/api/v1/organisations/{organisation_id}/people") >= {
        "name", "name_match", "student_number", "kind", "status", "limit", "cursor",
    }  # fmt: skip
    assert parameters("/api/v1/jobs") >= {"issuer_id", "kind", "status", "limit", "cursor"}
