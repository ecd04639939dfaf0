"""Every route × every kind of caller: who gets in, who is turned away, and nobody gets a 5xx.

One world of real resources owned by organisation A (an accredited evaluator) is built
through the API; organisation B is another member of the alliance. Each route is called
without a token, by B's org_admin, by A's org_admin, by A's teacher, A's assessor and A's
student (signed-in accounts; the student holds A's skill certificate) and by the alliance
admin, and the answer is compared with what DESIGN.md §6 lets that caller do. A route
without a row fails the test.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import gateway.service  # noqa: F401 - importing the gateway declares every route
from gateway.api import ADMIN, PUBLIC, ROUTES, Route
from tests.support.api import Api, create, ok
from tests.support.schedule import move_into_the_past
from tests.support.waiting import wait_for

NO_TOKEN, OTHER_ORG, OWN_ORG, ALLIANCE_ADMIN = "no token", "other org_admin", "own org_admin", "alliance_admin"
TEACHER, ASSESSOR, STUDENT = "own teacher", "own assessor", "own student"
# The accounts come after A's org_admin: where it changes something, they find it changed.
CALLERS = (NO_TOKEN, OTHER_ORG, OWN_ORG, TEACHER, ASSESSOR, STUDENT, ALLIANCE_ADMIN)
ACCOUNT_CALLERS = (TEACHER, ASSESSOR, STUDENT)
PASSWORD = "matrix-password-2026"

# What a caller may get back: a named outcome or one exact status.
OK = "2xx"
ALLOWED = "authorised"  # 2xx or a domain 4xx (409, 422...): anything but 401/403 and never 5xx
UNAUTHORIZED = "401 problem"
FORBIDDEN = "403 problem"
HIDDEN = "404 problem"  # the route deliberately denies that the resource exists
REFUSED = "4xx problem"  # turned away, whether as forbidden or as invalid: never a success
Outcome = str | int

# The token callers' outcomes by what the design says of a route.
READ = {caller: OK for caller in CALLERS if caller != NO_TOKEN}  # public, or any token
ADMIN_ONLY = {**{caller: FORBIDDEN for caller in READ}, ALLIANCE_ADMIN: ALLOWED}
OWN = {**ADMIN_ONLY, OWN_ORG: ALLOWED}  # A's org_admin: scoped to A's resources
PEOPLE = {**OWN, TEACHER: ALLOWED}  # A's people, also its teacher
REGISTERING = {**OWN, TEACHER: ALLOWED}  # A's registrations, also its teacher
ASSESSING = {**OWN, ASSESSOR: ALLOWED}  # A's assessments, also its assessor
HOLDERS = {**OWN, STUDENT: ALLOWED}  # the student's own certificate and its share links
SELF = {**READ, OTHER_ORG: FORBIDDEN, OWN_ORG: FORBIDDEN, ALLIANCE_ADMIN: FORBIDDEN}  # accounts only

PROBLEM = "application/problem+json"
HOLDER = "张三丰"
DRAFT_TITLE = "draft-only teaching research session"


@dataclass
class Case:
    """One request to one route, and the outcome expected for each caller (tried in CALLERS order)."""

    route: str
    rule: dict[str, Outcome]
    values: dict[str, str] = field(default_factory=dict)
    body: Any = None
    params: dict[str, Any] | None = None
    override: dict[str, Outcome] = field(default_factory=dict)
    secret: str | None = None  # must not appear in what the other org or the public reads


def event_body(alliance_id: str, organiser_id: str, title: str) -> dict[str, Any]:
    starts = datetime.now(UTC) + timedelta(days=30)
    return {
        "alliance_id": alliance_id,
        "organiser_id": organiser_id,
        "kind": "skills_competition",
        "title": title,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=8)).isoformat(),
        "registration_closes_at": (starts - timedelta(days=1)).isoformat(),
    }


def build_world(api: Api) -> dict[str, str]:
    """Real resources, every one owned by organisation A; returns their ids by name."""
    alliance = ok(api.post("/api/v1/alliances", json={"name": "成渝教研联盟", "region": "川渝"}), 201)["id"]
    second = ok(api.post("/api/v1/alliances", json={"name": "渝东北职教联盟"}), 201)["id"]
    third = ok(api.post("/api/v1/alliances", json={"name": "川南职教联盟"}), 201)["id"]
    a = ok(
        api.post(
            "/api/v1/organisations",
            json={
                "name": "重庆市渝中职业教育中心",
                "kind": "secondary_vocational_school",
                "region": "重庆",
                "accredited_evaluator": True,
                "evaluator": {"type": "S", "code": "5001", "province": "50", "site": "000123"},
            },
        ),
        201,
    )["id"]
    b = ok(
        api.post(
            "/api/v1/organisations",
            json={"name": "四川邻水职业中学", "kind": "secondary_vocational_school", "region": "四川"},
        ),
        201,
    )["id"]
    lead = ok(api.post(f"/api/v1/alliances/{alliance}/memberships", json={"organisation_id": a, "role": "lead"}), 201)[
        "id"
    ]
    ok(api.post(f"/api/v1/memberships/{lead}/approve"))
    member = ok(
        api.post(f"/api/v1/alliances/{alliance}/memberships", json={"organisation_id": b, "role": "member"}), 201
    )["id"]
    ok(api.post(f"/api/v1/memberships/{member}/approve"))
    applied = ok(
        api.post(f"/api/v1/alliances/{second}/memberships", json={"organisation_id": a, "role": "member"}), 201
    )["id"]
    people = ok(
        api.post(
            f"/api/v1/organisations/{a}/people/batch",
            json={
                "people": [
                    {"name": HOLDER, "kind": "student"},
                    {"name": "李娜", "kind": "student"},
                    {"name": "王强", "kind": "student"},
                    {"name": "赵敏", "kind": "student"},
                ]
            },
        ),
        201,
    )["items"]
    p1, p2, p3, p4 = (person["id"] for person in people)
    q1, q2 = (
        person["id"]
        for person in ok(
            api.post(
                f"/api/v1/organisations/{b}/people/batch",
                json={"people": [{"name": "孙丽", "kind": "student"}, {"name": "周杰", "kind": "student"}]},
            ),
            201,
        )["items"]
    )

    def created_event(title: str, publish: bool = True) -> str:
        event_id = ok(api.post("/api/v1/events", json=event_body(alliance, a, title)), 201)["id"]
        if publish:
            ok(api.post(f"/api/v1/events/{event_id}/publish"))
        return event_id

    def registration(event_id: str, person_ids: list[str], organisation_id: str = a) -> str:
        def registered():
            response = api.post(
                f"/api/v1/events/{event_id}/registrations",
                json={"organisation_id": organisation_id, "person_ids": person_ids},
            )
            return response.json()["id"] if response.status_code == 201 else None

        return wait_for(registered, timeout=20, message="events_svc to know A's membership and people")

    results_event, open_event = created_event("网络搭建与应用"), created_event("学生企业面对面")
    status_event, draft_event = created_event("职业体验日"), created_event(DRAFT_TITLE, publish=False)
    scored = registration(results_event, [p1, p2])
    cancellable = registration(open_event, [p3])
    registration(status_event, [q1], organisation_id=b)
    participation = {"kind": "participation", "holder_id": q1, "issuer_id": a, "title": "职业体验日 参与证书"}

    def participant_known():
        return api.post("/api/v1/certificates", json=participation, role="org_admin", org=a).status_code == 201

    wait_for(participant_known, timeout=20, message="certificates_svc to know B's participant in A's event")
    ok(api.post(f"/api/v1/events/{results_event}/close"))
    move_into_the_past(api, results_event)
    ok(
        api.post(
            f"/api/v1/events/{results_event}/results",
            json={"results": [{"registration_id": scored, "score": 98, "rank": 1, "award": "first_prize"}]},
        ),
        201,
    )
    skill = ok(
        api.post(
            "/api/v1/certificates",
            json={
                "kind": "skill_level",
                "holder_id": p1,
                "issuer_id": a,
                "title": "网络与信息安全管理员 职业技能等级证书",
                "occupation": "网络与信息安全管理员",
                "level": 4,
            },
        ),
        201,
    )["number"]
    training = ok(
        api.post(
            "/api/v1/certificates",
            json={"kind": "training_completion", "holder_id": p2, "issuer_id": a, "title": "师资培训"},
        ),
        201,
    )["number"]
    job = ok(
        api.post(
            "/api/v1/assessments",
            json={
                "issuer_id": a,
                "occupation": "网络与信息安全管理员",
                "level": 4,
                "assessed_on": date.today().isoformat(),
                "results": [{"person_id": p4, "passed": True, "score": 88}],
            },
        ),
        202,
    )["id"]
    teacher_person = ok(api.post(f"/api/v1/organisations/{a}/people", json={"name": "陈老师", "kind": "teacher"}), 201)[
        "id"
    ]

    def account(login: str, role: str, person_id: str | None = None) -> str:
        body = {"login": login, "person_id": person_id, "roles": [{"role": role, "organisation_id": a}]}
        return create(api, "/api/v1/accounts", {**body, "password": PASSWORD})["id"]

    teacher = account("teacher@a", "teacher", teacher_person)
    account("assessor@a", "assessor")
    account("student@a", "student", p1)
    spare = account("spare@a", "teacher")
    roster = "姓名 Name,类别 Kind,学号 Student number\n刘畅,student,2026-M-001\n".encode()
    people_import = ok(
        api.post(
            f"/api/v1/organisations/{a}/people/import",
            params={"mode": "row_level"},
            files={"file": ("roster.csv", roster, "text/csv")},
        ),
        202,
    )["job"]["id"]
    credential = ok(api.get(f"/api/v1/certificates/{skill}/credential"))
    status_list = credential["credentialStatus"]["statusListCredential"].rsplit("/", 1)[-1]
    share = ok(api.post(f"/api/v1/certificates/{skill}/share-links", json={}), 201)
    revocable_share = ok(api.post(f"/api/v1/certificates/{skill}/share-links", json={}), 201)
    return {
        "alliance": alliance,
        "second_alliance": second,
        "third_alliance": third,
        "a": a,
        "b": b,
        "lead": lead,
        "applied": applied,
        "p1": p1,
        "p2": p2,
        "p3": p3,
        "p4": p4,
        "q1": q1,
        "q2": q2,
        "results_event": results_event,
        "open_event": open_event,
        "status_event": status_event,
        "draft_event": draft_event,
        "scored": scored,
        "cancellable": cancellable,
        "skill": skill,
        "training": training,
        "job": job,
        "status_list": status_list,
        "share_token": share["token"],
        "revocable_share": revocable_share["id"],
        "teacher_account": teacher,
        "people_import": people_import,
        "spare_account": spare,
    }


def matrix(w: dict[str, str]) -> list[Case]:
    """The cases, in the order they run: a side effect comes after the checks that need its absence."""
    a = w["a"]
    certificate = {"kind": "training_completion", "holder_id": w["p1"], "issuer_id": a, "title": "教学能力提升培训"}
    return [
        # system, documents and web pages: public
        Case("health", READ),
        Case("ready", READ),
        Case("openapi", READ),
        Case("docs", READ),
        Case("docs_asset", READ, {"name": "swagger-ui.css"}),
        Case("asyncapi", READ),
        Case("did_document", READ),
        Case("organisation_did_document", READ, {"organisation_id": a}),
        Case(
            "organisation_did_document",
            READ,
            {"organisation_id": "000000000000000000000000"},
            override={caller: HIDDEN for caller in CALLERS},
        ),
        Case("web_app", READ),
        Case("reset_password_page", READ),
        Case("app_asset", READ, {"name": "main.js"}),
        Case("verify_page", READ),
        Case("calendar_page", READ),
        Case("dashboard_page", READ),
        Case("web_asset", READ, {"name": "app.css"}),
        Case("shared_page", READ, {"token": w["share_token"]}),
        # alliances and organisations: the admin creates, any token reads
        Case("create_alliance", ADMIN_ONLY, body={"name": "川渝职教集团"}, override={ALLIANCE_ADMIN: 201}),
        Case("list_alliances", READ),
        Case("get_alliance", READ, {"alliance_id": w["alliance"]}),
        Case(
            "correct_alliance",
            ADMIN_ONLY,
            {"alliance_id": w["third_alliance"]},
            body={"description": "川南片区中职学校教研协作", "reason": "章程修订"},
            override={ALLIANCE_ADMIN: 200},
        ),
        Case(
            "create_organisation",
            ADMIN_ONLY,
            body={"name": "重庆宗申集团", "kind": "enterprise"},
            override={ALLIANCE_ADMIN: 201},
        ),
        Case("list_organisations", READ),
        Case("get_organisation", READ, {"organisation_id": a}),
        Case(
            "update_organisation",
            OWN,
            {"organisation_id": a},
            body={"district": "渝中区"},
            override={OWN_ORG: 200, ALLIANCE_ADMIN: 200},
        ),
        # renaming (here to B's name) is the admin's alone, and names are unique
        Case(
            "update_organisation",
            OWN,
            {"organisation_id": a},
            body={"name": "四川邻水职业中学"},
            override={OWN_ORG: FORBIDDEN, ALLIANCE_ADMIN: 409},
        ),
        Case(
            "update_organisation",
            OWN,
            {"organisation_id": a},
            body={"accredited_evaluator": True},
            override={OWN_ORG: FORBIDDEN, ALLIANCE_ADMIN: 200},
        ),
        # memberships: an org_admin applies for, reads and leaves its own; the rest is the admin's
        Case(
            "apply_for_membership",
            OWN,
            {"alliance_id": w["third_alliance"]},
            body={"organisation_id": a, "role": "member"},
            override={OWN_ORG: 201, ALLIANCE_ADMIN: 409},
        ),
        Case("list_memberships", READ, {"alliance_id": w["alliance"]}, secret=w["lead"], override={STUDENT: FORBIDDEN}),
        Case("get_membership", OWN, {"membership_id": w["lead"]}, override={OWN_ORG: 200, ALLIANCE_ADMIN: 200}),
        Case(
            "change_membership_role",
            ADMIN_ONLY,
            {"membership_id": w["applied"]},
            body={"role": "partner"},
            override={ALLIANCE_ADMIN: 200},
        ),
        Case(
            "change_membership",
            ADMIN_ONLY,
            {"membership_id": w["applied"], "action": "approve"},
            body={},
            override={ALLIANCE_ADMIN: 200},
        ),
        Case(
            "change_membership",
            OWN,
            {"membership_id": w["applied"], "action": "leave"},
            body={},
            override={OWN_ORG: 200, ALLIANCE_ADMIN: 409},
        ),
        # people: A's org_admin and the admin
        Case(
            "create_person",
            PEOPLE,
            {"organisation_id": a},
            body={"name": "陈静", "kind": "teacher"},
            override={OWN_ORG: 201, ALLIANCE_ADMIN: 201},
        ),
        Case(
            "create_people",
            PEOPLE,
            {"organisation_id": a},
            body={"people": [{"name": "刘洋", "kind": "expert"}]},
            override={OWN_ORG: 201, ALLIANCE_ADMIN: 201},
        ),
        Case("list_people", PEOPLE, {"organisation_id": a}, override={OWN_ORG: 200, ALLIANCE_ADMIN: 200}),
        # spreadsheets: templates are public; imports and exports follow the JSON routes they stand for
        Case("roster_template", READ),
        Case("assessment_results_template", READ),
        Case(
            "import_roster",
            PEOPLE,
            {"organisation_id": a},
            body={"people": []},  # not a spreadsheet: refused as such, after the caller is checked
        ),
        Case(
            "get_people_import",
            PEOPLE,
            {"import_id": w["people_import"]},
            override={OWN_ORG: 200, TEACHER: 200, ALLIANCE_ADMIN: 200},
        ),
        Case(
            "export_people",
            PEOPLE,
            {"organisation_id": a, "file_format": "csv"},
            secret=HOLDER,
            override={OWN_ORG: 200, TEACHER: 200, ALLIANCE_ADMIN: 200},
        ),
        # the student reads their own record, not a classmate's
        Case(
            "get_person",
            {**PEOPLE, STUDENT: OK},
            {"person_id": w["p1"]},
            override={OWN_ORG: 200, ALLIANCE_ADMIN: 200},
        ),
        Case("get_person", PEOPLE, {"person_id": w["p2"]}, override={OWN_ORG: 200, ALLIANCE_ADMIN: 200}),
        Case(
            "correct_person",
            PEOPLE,
            {"person_id": w["p2"]},
            body={"student_number": "2022002", "reason": "roster check"},
            override={OWN_ORG: 200, ALLIANCE_ADMIN: 200},
        ),
        # events: the public sees published ones; a draft exists only for its organiser and the admin
        Case(
            "create_event",
            OWN,
            body=event_body(w["alliance"], a, "教师教学能力比赛"),
            override={OWN_ORG: 201, ALLIANCE_ADMIN: 201},
        ),
        Case("list_events", READ, secret=DRAFT_TITLE),
        Case("events_calendar", READ, secret=DRAFT_TITLE),
        Case("get_event", READ, {"event_id": w["results_event"]}),
        Case(
            "get_event",
            OWN,
            {"event_id": w["draft_event"]},
            override={**A_STAFF_SEE_DRAFTS, NO_TOKEN: HIDDEN, OTHER_ORG: HIDDEN, OWN_ORG: 200, ALLIANCE_ADMIN: 200},
        ),
        Case("event_calendar", READ, {"event_id": w["results_event"]}),
        Case(
            "event_calendar",
            OWN,
            {"event_id": w["draft_event"]},
            override={**A_STAFF_SEE_DRAFTS, NO_TOKEN: HIDDEN, OTHER_ORG: HIDDEN, OWN_ORG: 200, ALLIANCE_ADMIN: 200},
        ),
        Case(
            "change_event_status",
            OWN,
            {"event_id": w["status_event"], "action": "close"},
            override={OWN_ORG: 200, ALLIANCE_ADMIN: 409},
        ),
        Case(
            "correct_event",
            OWN,
            {"event_id": w["open_event"]},
            body={"location": "渝中区 实训楼 3 楼", "reason": "the room changed"},
            override={OWN_ORG: 200, ALLIANCE_ADMIN: 200},
        ),
        # registrations: the registrant's org_admin (the organiser sees them all) and the admin
        Case(
            "register",
            REGISTERING,
            {"event_id": w["open_event"]},
            body={"organisation_id": a, "person_ids": [w["p4"]]},
            override={OWN_ORG: 201, ALLIANCE_ADMIN: 409},
        ),
        Case(
            "list_registrations",
            READ,
            {"event_id": w["results_event"]},
            secret=w["scored"],
            override={ASSESSOR: FORBIDDEN, STUDENT: FORBIDDEN},
        ),
        Case(
            "list_registrations",
            REGISTERING,
            {"event_id": w["results_event"]},
            params={"organisation_id": a},
            override={OWN_ORG: 200, ALLIANCE_ADMIN: 200},
        ),
        Case(
            "get_registration",
            REGISTERING,
            {"event_id": w["results_event"], "registration_id": w["scored"]},
            secret=HOLDER,
            override={OWN_ORG: 200, TEACHER: 200, ALLIANCE_ADMIN: 200},
        ),
        Case(
            "export_registrations",
            REGISTERING,
            {"event_id": w["results_event"], "file_format": "xlsx"},
            params={"organisation_id": a},
            override={OWN_ORG: 200, TEACHER: 200, ALLIANCE_ADMIN: 200},
        ),
        # B may not register A's people under its own name
        Case(
            "register",
            OWN,
            {"event_id": w["open_event"]},
            body={"organisation_id": w["b"], "person_ids": [w["p2"]]},
            override={OTHER_ORG: REFUSED, OWN_ORG: FORBIDDEN, ALLIANCE_ADMIN: REFUSED},
        ),
        Case(
            "cancel_registration",
            REGISTERING,
            {"event_id": w["open_event"], "registration_id": w["cancellable"]},
            override={OWN_ORG: 200, ALLIANCE_ADMIN: 409},
        ),
        # results: the organiser and the admin
        # published results are public, with masked names and no person ids but for the organiser
        Case("get_results", READ, {"event_id": w["results_event"]}, secret=w["p1"]),
        Case("export_results", READ, {"event_id": w["results_event"], "file_format": "csv"}, secret=HOLDER),
        Case(
            "publish_results",
            OWN,
            {"event_id": w["results_event"]},
            body={"results": [{"registration_id": w["scored"], "score": 99, "rank": 1, "award": "first_prize"}]},
            override={OWN_ORG: 201, ALLIANCE_ADMIN: 201},
        ),
        # certificates: the issuer's org_admin and the admin; verification is public; the full credential
        # and the PDF need staff, the holder's name or a share link, and every "no" to the PDF is one 404
        Case("list_certificates", READ, secret=w["skill"], override={STUDENT: FORBIDDEN}),
        Case(
            "export_certificates",
            READ,
            {"file_format": "xlsx"},
            secret=w["skill"],
            override={STUDENT: FORBIDDEN},
        ),
        # the PDFs of what the list shows, for the schools' and the alliance's admins: B's admin gets B's only
        Case(
            "certificates_zip", OWN, secret=w["skill"], override={OTHER_ORG: ALLOWED, OWN_ORG: 200, ALLIANCE_ADMIN: 200}
        ),
        Case("get_certificate", HOLDERS, {"number": w["skill"]}, override={OWN_ORG: 200, ALLIANCE_ADMIN: 200}),
        Case("get_certificate", OWN, {"number": w["training"]}, override={OWN_ORG: 200, ALLIANCE_ADMIN: 200}),
        Case("get_credential", HOLDERS, {"number": w["skill"]}, override={OWN_ORG: 200, ALLIANCE_ADMIN: 200}),
        Case(
            "certificate_pdf",
            HOLDERS,
            {"number": w["skill"]},
            override={
                NO_TOKEN: HIDDEN,
                OTHER_ORG: HIDDEN,
                TEACHER: HIDDEN,
                ASSESSOR: HIDDEN,
                OWN_ORG: 200,
                STUDENT: 200,
                ALLIANCE_ADMIN: 200,
            },
        ),
        Case("certificate_pdf", READ, {"number": w["skill"]}, params={"name": HOLDER}),
        Case("open_share_link", READ, {"token": w["share_token"]}),
        Case("shared_certificate_pdf", READ, {"token": w["share_token"]}),
        Case(
            "list_share_links",
            HOLDERS,
            {"number": w["skill"]},
            secret=w["share_token"],
            override={OWN_ORG: 200, ALLIANCE_ADMIN: 200},
        ),
        Case(
            "create_share_link",
            HOLDERS,
            {"number": w["skill"]},
            body={},
            override={OWN_ORG: 201, STUDENT: 201, ALLIANCE_ADMIN: 201},
        ),
        Case(
            "create_share_link", OWN, {"number": w["training"]}, body={}, override={OWN_ORG: 201, ALLIANCE_ADMIN: 201}
        ),
        Case(
            "revoke_share_link",
            HOLDERS,
            {"number": w["skill"], "link_id": w["revocable_share"]},
            override={OWN_ORG: 200, ALLIANCE_ADMIN: 200},
        ),
        Case("verify_certificate", READ, {"number": w["skill"]}, params={"name": HOLDER}),
        Case("get_status_list", READ, {"list_id": w["status_list"]}),
        Case("get_organisation_status_list", READ, {"organisation_id": a, "list_id": w["status_list"]}),
        # statistics: an org_admin and its assessors see their own organisation's, the admin any and alliance-wide
        Case(
            "attainment",
            OWN,
            params={"organisation_id": a, "year": date.today().year},
            override={OWN_ORG: 200, ASSESSOR: 200, ALLIANCE_ADMIN: 200},
        ),
        Case(
            "attainment",
            OWN,
            params={"year": date.today().year},
            override={OTHER_ORG: 200, OWN_ORG: 200, ASSESSOR: 200, ALLIANCE_ADMIN: 200},
        ),
        Case(
            "attainment",
            OWN,
            params={"organisation_id": w["b"], "year": date.today().year},
            override={OTHER_ORG: 200, OWN_ORG: FORBIDDEN, ALLIANCE_ADMIN: 200},
        ),
        Case(
            "attainment",
            OWN,
            params={"organisation_id": "000000000000000000000000", "year": date.today().year},
            override={OWN_ORG: FORBIDDEN, ALLIANCE_ADMIN: HIDDEN},
        ),
        Case(
            "export_attainment",
            OWN,
            {"file_format": "csv"},
            params={"organisation_id": a, "year": date.today().year},
            override={OWN_ORG: 200, ASSESSOR: 200, ALLIANCE_ADMIN: 200},
        ),
        Case(
            "import_assessment_results",
            ASSESSING,
            params={"issuer_id": a, "occupation": "电子商务师", "level": 5, "assessed_on": date.today().isoformat()},
            body={"results": []},  # not a spreadsheet: refused as such, after the caller is checked
        ),
        Case("get_job", ASSESSING, {"job_id": w["job"]}, override={OWN_ORG: 200, ALLIANCE_ADMIN: 200}),
        Case("list_jobs", READ, secret=w["job"], override={TEACHER: FORBIDDEN, STUDENT: FORBIDDEN}),
        Case("issue_certificate", OWN, body=certificate, override={OWN_ORG: 201, ALLIANCE_ADMIN: 201}),
        # A issues to a confirmed participant of its own event, not to B's other student
        Case(
            "issue_certificate",
            OWN,
            body={**certificate, "kind": "participation", "holder_id": w["q1"]},
            override={OWN_ORG: 201, ALLIANCE_ADMIN: 201},
        ),
        Case(
            "issue_certificate",
            OWN,
            body={**certificate, "kind": "participation", "holder_id": w["q2"]},
            override={OWN_ORG: FORBIDDEN, ALLIANCE_ADMIN: 201},
        ),
        Case(
            "issue_batch",
            OWN,
            body={"issuer_id": a, "items": [{**certificate, "kind": "competition_award", "holder_id": w["q2"]}]},
            override={OWN_ORG: FORBIDDEN, ALLIANCE_ADMIN: 202},
        ),
        Case(
            "issue_batch",
            OWN,
            body={"issuer_id": a, "items": [{**certificate, "holder_id": w["p3"]}]},
            override={OWN_ORG: 202, ALLIANCE_ADMIN: 202},
        ),
        # nor issue in A's name by naming itself the batch's issuer
        Case(
            "issue_batch",
            OWN,
            body={"issuer_id": w["b"], "items": [certificate]},
            override={OTHER_ORG: REFUSED, OWN_ORG: FORBIDDEN, ALLIANCE_ADMIN: REFUSED},
        ),
        Case(
            "submit_assessment",
            ASSESSING,
            body={
                "issuer_id": a,
                "occupation": "电子商务师",
                "level": 5,
                "assessed_on": date.today().isoformat(),
                "results": [{"person_id": w["p3"], "passed": True}],
            },
            override={OWN_ORG: 202, ASSESSOR: 202, ALLIANCE_ADMIN: 202},
        ),
        Case(
            "change_certificate_status",
            OWN,
            {"number": w["training"], "action": "suspend"},
            body={"reason": "under review"},
            override={OWN_ORG: 200, ALLIANCE_ADMIN: 409},
        ),
        # signing in and accounts: an account's own routes; an org_admin manages its organisation's accounts
        Case("login", READ, body={"login": "teacher@a", "password": PASSWORD}),
        Case(
            "login",
            READ,
            body={"login": "nobody@a", "password": "not the password"},  # a real login's would lock it
            override={caller: UNAUTHORIZED for caller in CALLERS},
        ),
        Case(
            "refresh",
            READ,
            body={"refresh_token": "not-a-refresh-token"},
            override={caller: UNAUTHORIZED for caller in CALLERS},
        ),
        Case("logout", READ, body={"refresh_token": "not-a-refresh-token"}),
        Case(
            "reset_password",
            READ,
            body={"token": "not-a-reset-token", "new_password": "whatever it is 1"},
            override={caller: UNAUTHORIZED for caller in CALLERS},
        ),
        Case(
            "change_password",
            {**SELF, **{caller: UNAUTHORIZED for caller in ACCOUNT_CALLERS}},
            body={"current_password": "not the password", "new_password": "whatever it is 1"},
        ),
        Case("jwks", READ),
        Case("sign_in_methods", READ),
        # single sign-on is not configured in this world: both ends say so to everyone
        Case("oidc_login", READ, override={caller: HIDDEN for caller in CALLERS}),
        Case("oidc_login", READ, params={"return_to": "app"}, override={caller: HIDDEN for caller in CALLERS}),
        Case("oidc_callback", READ, override={caller: HIDDEN for caller in CALLERS}),
        Case("me", SELF),
        Case("my_certificates", {**SELF, ASSESSOR: FORBIDDEN}),  # the assessor's account has no person
        Case(
            "create_account",
            OWN,
            body={"login": "new-teacher@a", "roles": [{"role": "teacher", "organisation_id": a}]},
            override={OWN_ORG: 201, ALLIANCE_ADMIN: 409},
        ),
        Case(
            "create_account",
            ADMIN_ONLY,
            body={"login": "new-admin", "roles": [{"role": "alliance_admin"}]},
            override={ALLIANCE_ADMIN: 201},
        ),
        Case(
            "list_accounts",
            {**READ, TEACHER: FORBIDDEN, ASSESSOR: FORBIDDEN, STUDENT: FORBIDDEN},
            secret="teacher@a",
        ),
        Case("get_account", OWN, {"account_id": w["teacher_account"]}, override={TEACHER: 200, OWN_ORG: 200}),
        Case(
            "change_account_roles",
            OWN,
            {"account_id": w["teacher_account"]},
            body={"roles": [{"role": "teacher", "organisation_id": a}]},
            override={OWN_ORG: 200, ALLIANCE_ADMIN: 200},
        ),
        Case(
            "set_account_disabled",
            OWN,
            {"account_id": w["spare_account"]},
            body={"disabled": True},
            override={OWN_ORG: 200, ALLIANCE_ADMIN: 200},
        ),
        # A's org_admin may not give roles in another organisation (the admin may: then B's manages it)
        Case(
            "change_account_roles",
            OWN,
            {"account_id": w["spare_account"]},
            body={"roles": [{"role": "teacher", "organisation_id": w["b"]}]},
            override={OWN_ORG: FORBIDDEN, ALLIANCE_ADMIN: 200},
        ),
        Case(
            "issue_reset_link",
            OWN,
            {"account_id": w["teacher_account"]},
            override={OWN_ORG: 201, ALLIANCE_ADMIN: 201},
        ),
        Case(
            "link_oidc_subject",
            OWN,
            {"account_id": w["teacher_account"]},
            body={"issuer": "https://sso.example.edu.cn", "subject": "teacher-chen"},
            override={OWN_ORG: 201, ALLIANCE_ADMIN: 201},
        ),
        # last: the archived person is needed by the rows above
        Case("archive_person", PEOPLE, {"person_id": w["p3"]}, override={OWN_ORG: 200, ALLIANCE_ADMIN: 200}),
    ]


# A's teacher and assessor work for A, so they see A's draft events; the student does not.
A_STAFF_SEE_DRAFTS = {TEACHER: 200, ASSESSOR: 200, STUDENT: HIDDEN}


def expected(case: Case, spec: Route, caller: str) -> Outcome:
    if caller in case.override:
        return case.override[caller]
    if caller == NO_TOKEN:
        return OK if spec.access == PUBLIC else UNAUTHORIZED
    return case.rule[caller]


def meets(outcome: Outcome, response) -> bool:
    status, problem = response.status_code, response.headers.get("Content-Type", "").startswith(PROBLEM)
    checks: dict[Outcome, Callable[[], bool]] = {
        OK: lambda: 200 <= status < 300,
        ALLOWED: lambda: status < 500 and status not in (401, 403),
        UNAUTHORIZED: lambda: status == 401 and problem,
        FORBIDDEN: lambda: status == 403 and problem,
        HIDDEN: lambda: status == 404 and problem,
        REFUSED: lambda: 400 <= status < 500 and status != 401 and problem,
    }
    return checks[outcome]() if outcome in checks else status == outcome


class AccountTokens:
    """The accounts' access tokens, signed in again before they could expire during the run."""

    LOGINS = {TEACHER: "teacher@a", ASSESSOR: "assessor@a", STUDENT: "student@a"}
    RENEW_AFTER_SECONDS = 10 * 60

    def __init__(self, api: Api) -> None:
        self.api = api
        self.tokens: dict[str, tuple[float, str]] = {}

    def __call__(self, caller: str) -> str:
        signed_in = self.tokens.get(caller)
        if signed_in is None or time.monotonic() - signed_in[0] > self.RENEW_AFTER_SECONDS:
            token = self.api.sign_in(self.LOGINS[caller], PASSWORD)
            self.tokens[caller] = (time.monotonic(), token)
            return token
        return signed_in[1]


def request_as(api: Api, caller: str, spec: Route, case: Case, w: dict[str, str], tokens: AccountTokens):
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: case.values[match.group(1)], spec.path)
    if caller in ACCOUNT_CALLERS:
        return api.request(spec.method, path, token=tokens(caller), json=case.body, params=case.params)
    role, org = {
        NO_TOKEN: (None, None),
        OTHER_ORG: ("org_admin", w["b"]),
        OWN_ORG: ("org_admin", w["a"]),
        ALLIANCE_ADMIN: ("alliance_admin", None),
    }[caller]
    return api.request(spec.method, path, role=role, org=org, json=case.body, params=case.params)


def run_case(api: Api, case: Case, w: dict[str, str], tokens: AccountTokens) -> list[str]:
    """Every caller in turn; the mismatches, described."""
    spec = next(route for route in ROUTES if route.name == case.route)
    assert set(case.values) == set(spec.path_params), f"{case.route}: fill {spec.path_params}"
    if spec.access == ADMIN:
        assert {case.rule[c] for c in READ if c != ALLIANCE_ADMIN} == {FORBIDDEN}, f"{case.route} is admin-only"
    mismatches = []
    for caller in CALLERS:
        outcome = expected(case, spec, caller)
        response = request_as(api, caller, spec, case, w, tokens)
        label = " ".join(filter(None, (spec.method, spec.path, case.values.get("action"), "as", caller)))
        if not meets(outcome, response):
            mismatches.append(f"{label}: expected {outcome}, got {response.status_code} {response.text[:200]}")
        elif case.secret and caller in (NO_TOKEN, OTHER_ORG) and case.secret in response.text:
            mismatches.append(f"{label}: shows A's {case.secret} to a caller who may not see it")
    return mismatches


def test_every_route_answers_each_caller_as_the_design_says(start_services, config):
    # Seven callers each open the public lookups several times: more than one address's usual share.
    start_services(overrides={"PUBLIC_RATE_LIMIT": "1000/minute"})
    api = Api.for_config(config)
    world = build_world(api)
    cases = matrix(world)
    missing = {route.name for route in ROUTES} - {case.route for case in cases}
    assert not missing, f"every route needs a matrix row; none for {sorted(missing)}"
    assert {case.route for case in cases} <= {route.name for route in ROUTES}, "a row names no route"
    assert len({route.name for route in ROUTES}) == len(ROUTES)
    tokens = AccountTokens(api)
    mismatches = [mismatch for case in cases for mismatch in run_case(api, case, world, tokens)]
    assert mismatches == [], "\n".join(mismatches)
