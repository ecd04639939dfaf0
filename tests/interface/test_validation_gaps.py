"""The validation gaps of issue #19, through the HTTP API: each refused with the field, and nothing changed."""

from __future__ import annotations

from tests.interface.test_certificates import register_evaluator
from tests.interface.test_certificates_jobs import finished_job
from tests.support.api import Api, create, ok

# Numbers with valid check characters; the last two have a birth date in 2030 and area code 000000.
NATIONAL_ID = "11010519491231002X"
OTHER_ID = "110101199003077774"
BORN_IN_2030 = "110101203001010014"
AREA_000000 = "000000199003077777"


def organisation(api: Api, name: str, **extra) -> str:
    return create(api, "/api/v1/organisations", {"name": name, "kind": "secondary_vocational_school", **extra})["id"]


def people_of(api: Api, organisation_id: str) -> list[dict]:
    return api.get(f"/api/v1/organisations/{organisation_id}/people", params={"limit": 200}).json()["items"]


def test_the_same_national_id_twice_in_one_school_is_refused(api):
    school = organisation(api, "重庆市工业学校")
    path = f"/api/v1/organisations/{school}/people"
    create(api, path, {"name": "张三丰", "kind": "student", "national_id": NATIONAL_ID})

    again = api.post(path, json={"name": "张三", "kind": "teacher", "national_id": NATIONAL_ID.lower()})
    assert again.status_code == 409, again.text
    assert again.json()["errors"] == {"national_id": ["already registered in this organisation"]}

    cohort = [
        {"name": "李四", "kind": "student", "national_id": OTHER_ID},
        {"name": "王五", "kind": "student", "national_id": NATIONAL_ID},
    ]
    taken = api.post(f"{path}/batch", json={"people": cohort})
    assert taken.status_code == 409, taken.text
    assert taken.json()["errors"] == {"/people/1/national_id": ["already registered in this organisation"]}

    repeated = api.post(f"{path}/batch", json={"people": [cohort[0], {**cohort[0], "name": "赵六"}]})
    assert repeated.status_code == 409, repeated.text
    assert repeated.json()["errors"] == {"/people/1/national_id": ["also given at /people/0/national_id"]}
    assert [p["name"] for p in people_of(api, school)] == ["张三丰"]

    elsewhere = organisation(api, "重庆海尔工业园", kind="enterprise")
    placed = api.post(
        f"/api/v1/organisations/{elsewhere}/people",
        json={"name": "张三丰", "kind": "student", "national_id": NATIONAL_ID},
    )
    assert placed.status_code == 201, placed.text


def test_names_of_spaces_and_impossible_national_ids_are_refused(api):
    school = organisation(api, "巫溪县职业教育中心")
    path = f"/api/v1/organisations/{school}/people"
    cases = [
        ({"name": "   ", "kind": "student"}, "name", "visible character"),
        ({"name": "\u3000", "kind": "student"}, "name", "visible character"),
        ({"name": "钱七", "kind": "student", "national_id": BORN_IN_2030}, "national_id", "in the future"),
        ({"name": "孙八", "kind": "student", "national_id": AREA_000000}, "national_id", "address code"),
    ]
    for body, field, words in cases:
        refused = api.post(path, json=body)
        assert refused.status_code == 400, (body, refused.text)
        [message] = refused.json()["errors"][field]
        assert words in message
        if "national_id" in body:
            assert body["national_id"] not in refused.text  # personal data is never echoed

    blank_in_cohort = api.post(f"{path}/batch", json={"people": [{"name": "周九", "kind": "student"}, cases[0][0]]})
    assert blank_in_cohort.status_code == 400
    assert blank_in_cohort.json()["errors"] == {"/people/1/name": ["must contain a visible character"]}
    assert people_of(api, school) == []


def test_an_assessment_in_the_future_is_refused_and_counts_nowhere(api):
    evaluator = register_evaluator(api)["id"]
    person = create(api, f"/api/v1/organisations/{evaluator}/people", {"name": "吴十", "kind": "student"})["id"]
    assessment = {
        "issuer_id": evaluator,
        "occupation": "电工",
        "level": 4,
        "assessed_on": "2030-06-18",
        "results": [{"person_id": person, "passed": True}],
    }

    refused = api.post("/api/v1/assessments", json=assessment)
    assert refused.status_code == 400, refused.text
    assert refused.json()["errors"] == {"assessed_on": ["must not be in the future"]}
    stats = api.get("/api/v1/stats/attainment", params={"organisation_id": evaluator, "year": 2030}).json()
    assert (stats["assessed"], stats["certified"]) == (0, 0)


def test_a_teacher_of_another_school_is_not_certified_through_an_assessment(api):
    evaluator = register_evaluator(api)["id"]
    other = organisation(api, "重庆市两江职业教育中心")
    own_student = create(api, f"/api/v1/organisations/{evaluator}/people", {"name": "郑一", "kind": "student"})["id"]
    their_student = create(api, f"/api/v1/organisations/{other}/people", {"name": "冯二", "kind": "student"})["id"]
    their_teacher = create(api, f"/api/v1/organisations/{other}/people", {"name": "陈三", "kind": "teacher"})["id"]
    assessment = {
        "issuer_id": evaluator,
        "occupation": "网络与信息安全管理员",
        "level": 4,
        "assessed_on": "2025-06-18",
        "results": [{"person_id": p, "passed": True} for p in (own_student, their_teacher, their_student)],
    }

    job = finished_job(
        api, ok(api.post("/api/v1/assessments", json=assessment, role="org_admin", org=evaluator), 202)["id"]
    )

    assert (job["done"], job["failed"], job["issued"]) == (2, 1, 2)
    [error] = job["errors"]
    assert (error["index"], error["pointer"], error["holder_id"]) == (1, "/results/1/person_id", their_teacher)
    assert error["error"].startswith(f"{their_teacher} is a teacher of another organisation")
    holders = {c["holder_id"] for c in api.get("/api/v1/certificates", params={"limit": 200}).json()["items"]}
    assert holders == {own_student, their_student}
