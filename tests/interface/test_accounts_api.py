"""Signing in through the HTTP API: tokens, refresh rotation, sign-out, passwords, reset links, JWKS."""

from __future__ import annotations

import jwt
import pytest

from tests.support.api import Api, create, create_admin, ok
from tests.support.waiting import wait_for

PASSWORD = "两江-admin-2026"
PROBLEM = "application/problem+json"


@pytest.fixture
def admin(api: Api, config) -> dict:
    account = create_admin(config, "admin@lj.edu.cn", PASSWORD)
    return {**account, "token": api.sign_in("admin@lj.edu.cn", PASSWORD)}


def test_an_access_token_verifies_with_the_published_jwks_and_names_the_account(api, admin):
    jwks = ok(api.get("/.well-known/jwks.json", role=None))
    header = jwt.get_unverified_header(admin["token"])
    (key,) = [jwt.PyJWK(k).key for k in jwks["keys"] if k["kid"] == header["kid"]]
    claims = jwt.decode(admin["token"], key, algorithms=["EdDSA"], issuer="vocational-alliance")
    assert claims["sub"] == f"account:{admin['id']}" and claims["exp"] - claims["iat"] <= 15 * 60
    me = ok(api.get("/api/v1/me", token=admin["token"]))
    assert me["account"]["login"] == "admin@lj.edu.cn" and me["roles"] == [
        {"role": "alliance_admin", "organisation_id": None}
    ]
    assert "argon2" not in str(me) and "password_hash" not in str(me)
    organisation = create(
        api,
        "/api/v1/organisations",
        {"name": "重庆市两江职业教育中心", "kind": "secondary_vocational_school"},
        token=admin["token"],
    )
    assert organisation["name"] == "重庆市两江职业教育中心"
    # operators' service tokens keep working beside account tokens, and have no /me
    assert api.get("/api/v1/me").status_code == 403


def test_wrong_passwords_are_401_problems_and_lock_the_account(api, admin):
    for _ in range(5):
        response = api.post("/api/v1/auth/login", role=None, json={"login": "admin@lj.edu.cn", "password": "nope!"})
        assert response.status_code == 401 and response.headers["Content-Type"].startswith(PROBLEM)
    locked = api.post("/api/v1/auth/login", role=None, json={"login": "admin@lj.edu.cn", "password": PASSWORD})
    assert locked.status_code == 401 and "try again later" in locked.json()["detail"]


def test_refresh_rotates_reuse_ends_the_sign_in_and_logout_ends_it_too(api, admin):
    tokens = api.sign_in_tokens("admin@lj.edu.cn", PASSWORD)
    refreshed = ok(api.post("/api/v1/auth/refresh", role=None, json={"refresh_token": tokens["refresh_token"]}))
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    assert ok(api.get("/api/v1/me", token=refreshed["access_token"]))["account"]["id"] == admin["id"]
    reused = api.post("/api/v1/auth/refresh", role=None, json={"refresh_token": tokens["refresh_token"]})
    assert reused.status_code == 401
    revoked = api.post("/api/v1/auth/refresh", role=None, json={"refresh_token": refreshed["refresh_token"]})
    assert revoked.status_code == 401

    other = api.sign_in_tokens("admin@lj.edu.cn", PASSWORD)
    assert api.post("/api/v1/auth/logout", role=None, json={"refresh_token": other["refresh_token"]}).status_code == 204
    after = api.post("/api/v1/auth/refresh", role=None, json={"refresh_token": other["refresh_token"]})
    assert after.status_code == 401


def test_password_change_and_an_admin_issued_reset_link(api, admin):
    changed = api.post(
        "/api/v1/auth/password",
        token=admin["token"],
        json={"current_password": PASSWORD, "new_password": "a new long password"},
    )
    assert changed.status_code == 204, changed.text
    assert (
        api.post("/api/v1/auth/login", role=None, json={"login": "admin@lj.edu.cn", "password": PASSWORD}).status_code
        == 401
    )
    staff = create(
        api,
        "/api/v1/accounts",
        {"login": "second-admin", "roles": [{"role": "alliance_admin"}]},
        token=admin["token"],
    )
    assert staff["has_password"] is False and staff["history"][0]["by"] == f"account:{admin['id']}"
    link = create(api, f"/api/v1/accounts/{staff['id']}/reset-link", None, token=admin["token"])
    assert link["token"] in link["url"]
    short = api.post("/api/v1/auth/reset", role=None, json={"token": link["token"], "new_password": "short"})
    assert short.status_code == 422
    used = api.post("/api/v1/auth/reset", role=None, json={"token": link["token"], "new_password": "second admin pw"})
    assert used.status_code == 204
    again = api.post("/api/v1/auth/reset", role=None, json={"token": link["token"], "new_password": "third admin pw"})
    assert again.status_code == 401
    assert api.sign_in("second-admin", "second admin pw")


def test_a_disabled_account_cannot_sign_in_or_refresh(api, admin):
    staff = create(
        api,
        "/api/v1/accounts",
        {"login": "temp-admin", "roles": [{"role": "alliance_admin"}], "password": "temporary pw 1"},
        token=admin["token"],
    )
    tokens = api.sign_in_tokens("temp-admin", "temporary pw 1")
    disabled = ok(
        api.request("PATCH", f"/api/v1/accounts/{staff['id']}", token=admin["token"], json={"disabled": True})
    )
    assert disabled["disabled"] is True
    assert (
        api.post("/api/v1/auth/refresh", role=None, json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    )
    refused = api.post("/api/v1/auth/login", role=None, json={"login": "temp-admin", "password": "temporary pw 1"})
    assert refused.status_code == 401


def test_an_assessor_records_an_assessment_for_its_evaluator_and_the_job_names_the_account(api, admin):
    evaluator = create(
        api,
        "/api/v1/organisations",
        {
            "name": "重庆市工业学校",
            "kind": "secondary_vocational_school",
            "accredited_evaluator": True,
            "evaluator": {"type": "S", "code": "5002", "province": "50", "site": "000456"},
        },
        token=admin["token"],
    )["id"]
    candidate = create(api, f"/api/v1/organisations/{evaluator}/people", {"name": "冉涛", "kind": "student"})["id"]
    assessor = create(
        api,
        "/api/v1/accounts",
        {
            "login": "assessor@gy.edu.cn",
            "roles": [{"role": "assessor", "organisation_id": evaluator}],
            "password": "assessor-2026",
        },
        token=admin["token"],
    )
    token = api.sign_in("assessor@gy.edu.cn", "assessor-2026")
    assessment = {
        "issuer_id": evaluator,
        "occupation": "电工",
        "level": 4,
        "assessed_on": "2026-05-20",
        "results": [{"person_id": candidate, "passed": True, "score": 81}],
    }
    job = ok(api.post("/api/v1/assessments", token=token, json=assessment), 202)
    assert job["submitted_by"] == f"account:{assessor['id']}"
    assert ok(api.get(f"/api/v1/jobs/{job['id']}", token=token))["submitted_by"] == f"account:{assessor['id']}"
    # an assessor registers nobody and issues nothing outside assessments
    person = api.post(
        f"/api/v1/organisations/{evaluator}/people", token=token, json={"name": "某人", "kind": "student"}
    )
    assert person.status_code == 403


def test_an_assessor_imports_a_results_sheet_and_reads_its_own_schools_figures_and_no_others(api):
    evaluator = create(
        api,
        "/api/v1/organisations",
        {
            "name": "武隆职业教育中心",
            "kind": "secondary_vocational_school",
            "accredited_evaluator": True,
            "evaluator": {"type": "S", "code": "5012", "province": "50", "site": "000156"},
        },
    )["id"]
    other = create(api, "/api/v1/organisations", {"name": "四川邻水职业中学", "kind": "secondary_vocational_school"})
    people = [{"name": name, "kind": "student", "student_number": f"WL-{i}"} for i, name in enumerate(("冉涛", "田甜"))]
    create(api, f"/api/v1/organisations/{evaluator}/people/batch", {"people": people})
    assessor = create(
        api,
        "/api/v1/accounts",
        {
            "login": "assessor@wl.edu.cn",
            "roles": [{"role": "assessor", "organisation_id": evaluator}],
            "password": "assessor-2026",
        },
    )
    token = api.sign_in("assessor@wl.edu.cn", "assessor-2026")
    sheet = "学号 Student number,是否通过 Passed,成绩 Score\nWL-0,是,86\nWL-1,否,41\n".encode()
    query = {"issuer_id": evaluator, "occupation": "电工", "level": 4, "assessed_on": "2025-06-18"}

    def upload(mode: str):
        files = {"file": ("results.csv", sheet, "text/csv")}
        return api.post("/api/v1/assessments/import", token=token, params={**query, "mode": mode}, files=files)

    wait_for(lambda: ok(upload("preview"))["valid"] == 2, timeout=20, message="certificates_svc to know the students")
    job = ok(upload("row_level"), 202)["job"]
    assert job["submitted_by"] == f"account:{assessor['id']}"
    assessment = job["assessment"]
    assert (job["total"], job["passed"], assessment["occupation"], assessment["level"]) == (2, 1, "电工", 4)

    def finished():
        current = ok(api.get(f"/api/v1/jobs/{job['id']}", token=token))
        return current if current["status"] == "done" else None

    done = wait_for(finished, timeout=30, message="the assessment job")
    assert (done["issued"], done["passed"], done["assessment"]["assessed_on"]) == (1, 1, "2025-06-18")
    (listed,) = ok(api.get("/api/v1/jobs", token=token))["items"]
    assert (listed["id"], listed["passed"], listed["assessment"]["occupation"]) == (job["id"], 1, "电工")

    own = ok(api.get("/api/v1/stats/attainment", token=token, params={"organisation_id": evaluator, "year": 2025}))
    assert (own["assessed"], own["certified"], own["attainment_rate"]) == (2, 1, 0.5)
    assert own["by_occupation_and_level"] == [
        {"occupation": "电工", "level": 4, "assessed": 2, "certified": 1, "attainment_rate": 0.5}
    ]
    assert ok(api.get("/api/v1/stats/attainment", token=token, params={"year": 2025}))["organisation_id"] == evaluator
    exported = api.get("/api/v1/stats/attainment.csv", token=token, params={"year": 2025})
    assert exported.status_code == 200 and "电工" in exported.content.decode("utf-8-sig")
    others = {"organisation_id": other["id"], "year": 2025}
    refused = api.get("/api/v1/stats/attainment", token=token, params=others)
    assert refused.status_code == 403 and refused.headers["Content-Type"].startswith(PROBLEM)
    assert api.get("/api/v1/stats/attainment.csv", token=token, params=others).status_code == 403


def test_without_single_sign_on_the_only_sign_in_method_is_the_password(api):
    assert ok(api.get("/api/v1/auth/methods", role=None)) == {"password": True, "oidc": []}
    assert api.get("/api/v1/auth/oidc/login", role=None, params={"return_to": "app"}).status_code == 404
    assert api.get("/api/v1/auth/oidc/login", role=None, params={"return_to": "elsewhere"}).status_code == 400


def test_an_org_admin_gives_accounts_only_to_its_own_people(api, admin):
    school, other = (
        create(api, "/api/v1/organisations", {"name": name, "kind": "secondary_vocational_school"})["id"]
        for name in ("重庆市两江职业教育中心", "四川邻水职业中学")
    )
    theirs = create(api, f"/api/v1/organisations/{other}/people", {"name": "孙丽", "kind": "teacher"})["id"]
    ours = create(api, f"/api/v1/organisations/{school}/people", {"name": "何老师", "kind": "teacher"})["id"]
    roles = [{"role": "teacher", "organisation_id": school}]
    taken = api.post(
        "/api/v1/accounts", role="org_admin", org=school, json={"login": "sunli", "person_id": theirs, "roles": roles}
    )
    assert taken.status_code == 403
    made = api.post(
        "/api/v1/accounts",
        role="org_admin",
        org=school,
        json={"login": "he@lj.edu.cn", "person_id": ours, "roles": roles},
    )
    assert made.status_code == 201, made.text
    again = api.post(
        "/api/v1/accounts",
        role="org_admin",
        org=school,
        json={"login": "he2@lj.edu.cn", "person_id": ours, "roles": roles},
    )
    assert again.status_code == 409 and "already has an account" in again.json()["detail"]
