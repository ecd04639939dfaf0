"""A new school signs in through the HTTP API: its admin, its teacher and its students, each with
their own account and role, and every change recorded under the account that made it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.api import Api, create, create_admin, ok
from tests.support.schedule import move_into_the_past
from tests.support.waiting import wait_for

ADMIN_PASSWORD = "alliance-admin-2026"


def set_password_by_reset_link(api: Api, manager_token: str, account_id: str, password: str) -> None:
    """What a new colleague does: the manager hands over a reset link, the colleague sets a password."""
    link = create(api, f"/api/v1/accounts/{account_id}/reset-link", None, token=manager_token)
    response = api.post("/api/v1/auth/reset", role=None, json={"token": link["token"], "new_password": password})
    assert response.status_code == 204, response.text


def test_a_new_school_admin_teacher_and_student_each_sign_in_and_act_as_themselves(api, config):
    # the operator creates the first alliance admin, who signs in
    admin_account = create_admin(config, "admin@alliance.cq", ADMIN_PASSWORD)
    admin = api.sign_in("admin@alliance.cq", ADMIN_PASSWORD)
    admin_subject = f"account:{admin_account['id']}"

    alliance = create(api, "/api/v1/alliances", {"name": "成渝地区双城经济圈职教联盟"}, token=admin)["id"]
    lead = create(
        api,
        "/api/v1/organisations",
        {"name": "重庆市渝中职业教育中心", "kind": "secondary_vocational_school"},
        token=admin,
    )["id"]
    school = create(
        api, "/api/v1/organisations", {"name": "巫溪县职业教育中心", "kind": "secondary_vocational_school"}, token=admin
    )["id"]
    lead_membership = create(
        api, f"/api/v1/alliances/{alliance}/memberships", {"organisation_id": lead, "role": "lead"}, token=admin
    )["id"]
    ok(api.post(f"/api/v1/memberships/{lead_membership}/approve", token=admin))

    # the alliance admin creates the school's admin, who sets a password through a reset link and signs in
    principal = create(
        api, f"/api/v1/organisations/{school}/people", {"name": "周校长", "kind": "teacher"}, token=admin
    )
    school_admin_account = create(
        api,
        "/api/v1/accounts",
        {
            "login": "zhou@wuxi.edu.cn",
            "person_id": principal["id"],
            "roles": [{"role": "org_admin", "organisation_id": school}],
        },
        token=admin,
    )
    set_password_by_reset_link(api, admin, school_admin_account["id"], "wuxi-principal-2026")
    school_admin = api.sign_in("zhou@wuxi.edu.cn", "wuxi-principal-2026")
    school_admin_subject = f"account:{school_admin_account['id']}"

    # the school applies to join; the alliance admin approves; the history names both accounts
    membership = create(
        api,
        f"/api/v1/alliances/{alliance}/memberships",
        {"organisation_id": school, "role": "member"},
        token=school_admin,
    )["id"]
    approved = ok(api.post(f"/api/v1/memberships/{membership}/approve", token=admin))
    assert [line["by"] for line in approved["history"]] == [school_admin_subject, admin_subject]

    # the school admin registers students and a teacher, and gives them accounts
    students = create(
        api,
        f"/api/v1/organisations/{school}/people/batch",
        {"people": [{"name": "向明", "kind": "student"}, {"name": "谭静", "kind": "student"}]},
        token=school_admin,
    )["items"]
    teacher_person = create(
        api, f"/api/v1/organisations/{school}/people", {"name": "杨老师", "kind": "teacher"}, token=school_admin
    )
    teacher_account = create(
        api,
        "/api/v1/accounts",
        {
            "login": "yang@wuxi.edu.cn",
            "person_id": teacher_person["id"],
            "roles": [{"role": "teacher", "organisation_id": school}],
            "password": "wuxi-teacher-2026",
        },
        token=school_admin,
    )
    assert teacher_account["history"][0]["by"] == school_admin_subject
    student_account = create(
        api,
        "/api/v1/accounts",
        {
            "login": "xiangming",
            "person_id": students[0]["id"],
            "roles": [{"role": "student", "organisation_id": school}],
            "password": "xiangming-2026",
        },
        token=school_admin,
    )
    # a school admin gives no roles outside its school
    outside = api.post(
        "/api/v1/accounts",
        token=school_admin,
        json={"login": "intruder", "roles": [{"role": "org_admin", "organisation_id": lead}]},
    )
    assert outside.status_code == 403

    # the lead school's competition, published by the alliance admin
    starts = datetime.now(UTC) + timedelta(days=20)
    event = create(
        api,
        "/api/v1/events",
        {
            "alliance_id": alliance,
            "organiser_id": lead,
            "kind": "skills_competition",
            "title": "网络搭建与应用",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=8)).isoformat(),
            "registration_closes_at": (starts - timedelta(days=1)).isoformat(),
            "team_size_min": 2,
            "team_size_max": 2,
        },
        token=admin,
    )["id"]
    ok(api.post(f"/api/v1/events/{event}/publish", token=admin))

    # the teacher signs in and registers a team of the school's two students
    teacher = api.sign_in("yang@wuxi.edu.cn", "wuxi-teacher-2026")
    me = ok(api.get("/api/v1/me", token=teacher))
    assert me["person"]["name"] == "杨老师" and me["roles"] == [{"role": "teacher", "organisation_id": school}]
    team = {"organisation_id": school, "person_ids": [s["id"] for s in students], "team_name": "巫溪一队"}

    def registered():
        response = api.post(f"/api/v1/events/{event}/registrations", token=teacher, json=team)
        return response.json() if response.status_code == 201 else None

    registration = wait_for(registered, timeout=30, message="events_svc to know the school's membership and people")
    assert registration["status"] == "confirmed"
    # the teacher manages the school's people and registrations, not the school itself
    assert (
        api.request("PATCH", f"/api/v1/organisations/{school}", token=teacher, json={"district": "巫溪县"}).status_code
        == 403
    )

    # the competition ends; the organiser's result gives the team a first prize, and certificates follow
    ok(api.post(f"/api/v1/events/{event}/close", token=admin))
    move_into_the_past(api, event, token=admin)
    results = create(
        api,
        f"/api/v1/events/{event}/results",
        {"results": [{"registration_id": registration["id"], "score": 96.5, "rank": 1, "award": "first_prize"}]},
        token=admin,
    )
    assert results["published_by"] == admin_subject

    # a student signs in, sees their certificates and shares one
    student = api.sign_in("xiangming", "xiangming-2026")
    me = ok(api.get("/api/v1/me", token=student))
    assert me["account"]["id"] == student_account["id"] and me["person"]["id"] == students[0]["id"]

    def award():
        items = ok(api.get("/api/v1/me/certificates", token=student))["items"]
        return items or None

    (certificate,) = wait_for(award, timeout=30, message="the award certificate to be issued")
    assert certificate["kind"] == "competition_award" and certificate["holder_id"] == students[0]["id"]
    own_record = ok(api.get(f"/api/v1/people/{students[0]['id']}", token=student))
    assert own_record["name"] == "向明"
    assert api.get(f"/api/v1/people/{students[1]['id']}", token=student).status_code == 403
    share = create(api, f"/api/v1/certificates/{certificate['number']}/share-links", {}, token=student)
    shared = ok(api.get(f"/api/v1/shared/{share['token']}", role=None))
    assert shared["certificate"]["number"] == certificate["number"]

    def classmate_award():
        portfolio = ok(api.get(f"/api/v1/people/{students[1]['id']}", token=teacher))["certificates"]
        return portfolio or None

    (other,) = wait_for(classmate_award, timeout=30, message="the classmate's award in their portfolio")
    assert api.post(f"/api/v1/certificates/{other['number']}/share-links", token=student, json={}).status_code == 403

    # certificates the school issues and suspends name the school admin's account
    training = create(
        api,
        "/api/v1/certificates",
        {"kind": "training_completion", "holder_id": students[1]["id"], "issuer_id": school, "title": "网络安全培训"},
        token=school_admin,
    )
    assert training["issued_by"] == school_admin_subject
    suspended = ok(
        api.post(f"/api/v1/certificates/{training['number']}/suspend", token=school_admin, json={"reason": "复核"})
    )
    assert suspended["status"] == "suspended" and suspended["status_changed_by"] == school_admin_subject
