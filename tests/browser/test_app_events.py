"""The events screens in headless Chromium: an organiser creates and publishes a competition (a bad
field first), a teacher registers a team and one person and sees the waitlist, the organiser closes,
corrects the dates with a reason, enters results and sees the award certificates issued; the list
and a cancellation at phone width."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import openpyxl
import pytest
import requests
from playwright.sync_api import expect

from alliance import demo
from tests.support.browser import Page
from tests.support.system import RunningSystem
from tests.support.waiting import wait_for
from tests.support.web_app import account, confirm, sign_in

pytestmark = pytest.mark.e2e

ORGANISER = "ev-organiser@example.org"
TEACHER = "ev-teacher@example.org"
SCHOOL = "重庆市工业学校"
# Issuing certificates waits for the relay and certificates_svc on a machine shared with other suites.
ISSUING_TIMEOUT_MS = 90_000


def organisation(seeded: RunningSystem, name: str) -> dict:
    return next(o for o in seeded.all("/api/v1/organisations") if o["name"] == name)


def call(seeded: RunningSystem, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, seeded.url + path, headers=seeded.admin(), timeout=30, **kwargs)


def china(days: float, hour: int, minute: int = 0) -> datetime:
    moment = datetime.now(demo.CHINA) + timedelta(days=days)
    return moment.replace(hour=hour, minute=minute, second=0, microsecond=0)


def typed(moment: datetime) -> str:
    """As one types it into a datetime-local field."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def create_event(seeded: RunningSystem, title: str, **changes) -> dict:
    """A competition of the lead school, in ten days, published unless ``publish=False``."""
    publish = changes.pop("publish", True)
    body = {
        "alliance_id": seeded.all("/api/v1/alliances")[0]["id"],
        "organiser_id": organisation(seeded, demo.LEAD)["id"],
        "kind": "skills_competition",
        "title": title,
        "starts_at": china(10, 9).isoformat(),
        "ends_at": china(10, 17).isoformat(),
        "location": "重庆市渝中职业教育中心 网络实训中心",
        "capacity": 4,
        "team_size_min": 1,
        "team_size_max": 3,
        "skill": "网络搭建与应用",
        **changes,
    }
    created = call(seeded, "POST", "/api/v1/events", json=body)
    assert created.status_code == 201, created.text
    event = created.json()
    if publish:
        published = call(seeded, "POST", f"/api/v1/events/{event['id']}/publish")
        assert published.status_code == 200, published.text
    return event


def students(seeded: RunningSystem, school: dict, *people: tuple[str, str]) -> list[dict]:
    """New students of ``school`` (name, student number) for one test."""
    created = []
    for name, number in people:
        response = call(
            seeded,
            "POST",
            f"/api/v1/organisations/{school['id']}/people",
            json={"name": name, "kind": "student", "student_number": number},
        )
        assert response.status_code == 201, response.text
        created.append(response.json())
    return created


def wait_until_events_know(seeded: RunningSystem, event: dict, people: list[dict]) -> None:
    """Wait until events_svc has read the members events announcing ``people``: registering them
    for another school is refused as "not people of" that school rather than as unknown people."""
    lead = organisation(seeded, demo.LEAD)

    def known() -> bool:
        probe = call(
            seeded,
            "POST",
            f"/api/v1/events/{event['id']}/registrations",
            json={"organisation_id": lead["id"], "person_ids": [p["id"] for p in people]},
        )
        assert probe.status_code == 422, probe.text
        return "unknown people" not in probe.text

    wait_for(known, timeout=30, interval=0.3, message="events_svc to know the people")


def registrations(seeded: RunningSystem, event: dict) -> list[dict]:
    return seeded.all(f"/api/v1/events/{event['id']}/registrations")


def organiser(seeded: RunningSystem) -> None:
    account(seeded, ORGANISER, [{"role": "org_admin", "organisation_id": organisation(seeded, demo.LEAD)["id"]}])


def quiet(tab: Page) -> None:
    """Wait for the last message to go, so a screenshot shows the screen itself."""
    expect(tab.page.locator("#toast")).to_be_hidden()


def download_sheet(tab: Page, button: str) -> openpyxl.Workbook:
    with tab.page.expect_download() as downloading:
        tab.page.get_by_role("button", name=re.compile(button)).click()
    download = downloading.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    with open(download.path(), "rb") as sheet:
        return openpyxl.load_workbook(io.BytesIO(sheet.read()))


def cells(workbook: openpyxl.Workbook) -> str:
    return " ".join(str(c) for row in workbook.active.iter_rows(values_only=True) for c in row if c is not None)


def test_an_organiser_creates_a_competition_fixing_a_bad_field_then_publishes_it(page, seeded):
    organiser(seeded)
    sign_in(page, ORGANISER, path="/#/events")
    expect(page.page.get_by_role("heading", name=re.compile("^活动"))).to_be_visible()
    expect(page.page.locator(".events-list table")).to_be_visible()
    assert page.page.locator(".events-list tbody tr").count() >= 1  # the demo's events
    assert "null" not in page.page.locator(".events-list").inner_text()
    # The coming events first: the demo's teacher training, held 60 days ago, shows once 从 is cleared.
    past = re.compile("“双师型”教师培训")
    expect(page.page.locator(".events-list")).not_to_contain_text(past)
    page.page.get_by_label("从", exact=False).fill("")
    page.page.get_by_role("button", name=re.compile("筛选")).click()
    expect(page.page.locator(".events-list")).to_contain_text(past)
    page.screenshot("app-events")

    page.page.get_by_role("link", name=re.compile("新建活动")).click()
    expect(page.page.get_by_role("heading", name=re.compile("新建活动"))).to_be_visible()
    title = "成渝职教联盟 网络搭建与应用 技能竞赛（EV 新建）"
    form = page.page.locator("form.card")
    form.get_by_label("类型").select_option("skills_competition")
    form.get_by_label("名称").fill(title)
    form.get_by_label("开始时间").fill(typed(china(40, 9)))
    form.get_by_label("结束时间").fill(typed(china(39, 17)))  # the day before it starts: refused
    form.get_by_label("地点").fill("重庆市渝中职业教育中心 网络实训中心")
    form.get_by_label("名额").fill("8")
    form.get_by_label("每队最少人数").fill("2")
    form.get_by_label("每队最多人数").fill("3")
    form.get_by_label("赛项").fill("网络搭建与应用")
    page.expect_status(400)
    form.get_by_role("button", name=re.compile("创建草稿")).click()
    ends_error = form.locator('[data-field="ends_at"] .field-error')
    expect(ends_error).to_be_visible()
    expect(ends_error).to_contain_text("starts_at")
    expect(form.get_by_label("结束时间")).to_have_attribute("aria-invalid", "true")
    expect(form.locator('[data-field="title"] .field-error')).to_be_hidden()
    page.screenshot("app-event-new")

    form.get_by_label("结束时间").fill(typed(china(40, 17)))
    form.get_by_role("button", name=re.compile("创建草稿")).click()
    expect(page.page.locator("h1.event-title")).to_contain_text(title)
    expect(page.page.locator("h1 .badge")).to_have_text(re.compile("草稿"))
    event_id = re.search(r"#/events/([^/?]+)$", page.page.url).group(1)
    created = seeded.get(f"/api/v1/events/{event_id}")
    assert created["starts_at_local"] == china(40, 9).isoformat()  # typed in Asia/Shanghai time
    assert (created["capacity"], created["team_size_min"], created["team_size_max"]) == (8, 2, 3)

    page.page.get_by_role("button", name=re.compile("^发布")).click()
    confirm(page, "经联盟秘书处审核")
    expect(page.page.locator("h1 .badge")).to_have_text(re.compile("报名中"))
    expect(page.page.locator("ol.history")).to_contain_text("经联盟秘书处审核")
    published = seeded.get(f"/api/v1/events/{event_id}")
    assert published["status"] == "published"
    assert published["history"][-1]["reason"] == "经联盟秘书处审核"
    quiet(page)
    page.screenshot("app-event")


def test_a_teacher_registers_a_team_and_a_person_and_sees_the_waitlist_position(page, seeded):
    school = organisation(seeded, SCHOOL)
    team = students(seeded, school, ("欧阳文轩", "EV-T-001"), ("上官子墨", "EV-T-002"))
    (single,) = students(seeded, school, ("司马静怡", "EV-T-003"))
    event = create_event(seeded, "成渝职教联盟 网络搭建与应用 技能竞赛（EV 报名）", capacity=1)
    wait_until_events_know(seeded, event, [*team, single])
    account(seeded, TEACHER, [{"role": "teacher", "organisation_id": school["id"]}])
    sign_in(page, TEACHER, path=f"/#/events/{event['id']}/registrations")
    expect(page.page.get_by_role("heading", name=re.compile("^报名"))).to_be_visible()

    register = page.page.get_by_role("button", name=re.compile("^报名 Register$"))
    search = page.page.get_by_role("searchbox", name=re.compile("^成员"))
    page.page.get_by_label("队名").fill("工业学校 EV 一队")
    for person in team:
        search.fill(person["name"])
        search.press("Enter")  # searches; does not submit the registration
        page.page.get_by_role("button", name=f"添加 {person['name']} Add {person['name']}").click()
    expect(page.page.locator("ul.people.chosen li")).to_have_count(2)
    register.click()
    rows = page.page.locator(".registrations tbody tr")
    expect(rows.filter(has_text="工业学校 EV 一队")).to_contain_text("已确认")
    expect(rows.filter(has_text="工业学校 EV 一队")).to_contain_text("欧阳文轩、上官子墨")

    search.fill(single["student_number"])  # by student number this time
    page.page.get_by_role("button", name=re.compile("^查找")).click()
    page.page.get_by_role("button", name=re.compile(f"添加 {single['name']}")).click()
    register.click()
    expect(page.page.locator("#toast")).to_contain_text("候补第 1 位")
    waiting = rows.filter(has_text=single["name"])
    expect(waiting).to_contain_text("候补")
    expect(waiting.locator('td[data-key="waitlist"]')).to_have_text("1")
    listed = {tuple(p["name"] for p in r["people"]): r for r in registrations(seeded, event)}
    assert listed[("欧阳文轩", "上官子墨")]["status"] == "confirmed"
    assert (listed[("司马静怡",)]["status"], listed[("司马静怡",)]["waitlist_position"]) == ("waitlisted", 1)
    quiet(page)
    page.screenshot("app-event-registrations")

    sheet = cells(download_sheet(page, "导出 Excel"))
    assert "工业学校 EV 一队" in sheet and single["id"] in sheet and "waitlisted" in sheet

    waiting.get_by_role("button", name=re.compile("撤销")).click()
    confirm(page)
    expect(waiting).to_contain_text("已取消")
    assert {r["status"] for r in registrations(seeded, event) if r["person_ids"] == [single["id"]]} == {"cancelled"}


def test_the_organiser_closes_corrects_the_dates_enters_results_and_sees_the_award_certificates(page, seeded):
    school = organisation(seeded, SCHOOL)
    team = students(seeded, school, ("诸葛明远", "EV-R-001"), ("皇甫思睿", "EV-R-002"))
    title = "成渝职教联盟 网络搭建与应用 技能竞赛（EV 成绩）"
    event = create_event(seeded, title, team_size_min=2, team_size_max=2)
    wait_until_events_know(seeded, event, team)
    registered = call(
        seeded,
        "POST",
        f"/api/v1/events/{event['id']}/registrations",
        json={"organisation_id": school["id"], "person_ids": [p["id"] for p in team], "team_name": "工业学校 EV 二队"},
    )
    assert registered.status_code == 201, registered.text
    organiser(seeded)
    sign_in(page, ORGANISER, path=f"/#/events/{event['id']}")

    page.page.get_by_role("button", name=re.compile("^截止报名")).click()
    confirm(page)
    expect(page.page.locator("h1 .badge")).to_have_text(re.compile("报名截止"))

    # Held yesterday, not in ten days: results are recorded once the event has started.
    page.page.get_by_text("更正活动信息").click()
    correction = page.page.locator("details.correct form")
    correction.get_by_label("开始时间").fill(typed(china(-1, 9)))
    correction.get_by_label("结束时间").fill(typed(china(-1, 17)))
    correction.get_by_label("更正原因").fill("比赛已提前举行，按实际日期更正")
    correction.get_by_role("button", name=re.compile("保存更正")).click()
    expect(page.page.locator("ol.history li").first).to_contain_text("比赛已提前举行，按实际日期更正")
    corrected = seeded.get(f"/api/v1/events/{event['id']}")
    assert corrected["starts_at_local"] == china(-1, 9).isoformat()
    assert [c["field"] for c in corrected["history"][-1]["changes"]] == ["starts_at", "ends_at"]

    page.page.get_by_role("link", name=re.compile("成绩与证书")).click()
    row = page.page.locator("fieldset.result-row").filter(has_text="工业学校 EV 二队")
    row.get_by_label("名次").fill("1")
    row.get_by_label("成绩").fill("96.5")
    row.get_by_label("奖项").select_option("first_prize")
    page.page.get_by_role("button", name=re.compile("公布成绩")).click()
    expect(page.page.locator("table").first).to_contain_text("一等奖")
    box = page.page.locator(".certificates")
    expect(box).to_have_attribute("data-state", "issued", timeout=ISSUING_TIMEOUT_MS)
    expect(box.locator("tbody tr")).to_have_count(2)
    expect(box).to_contain_text("诸葛明远")
    expect(box).to_contain_text("一等奖")
    quiet(page)
    page.screenshot("app-event-results")

    issued = seeded.all("/api/v1/certificates", event_id=event["id"], status="active")
    assert sorted(c["holder_id"] for c in issued) == sorted(p["id"] for p in team)
    sheet = cells(download_sheet(page, "导出 Excel"))
    assert "工业学校 EV 二队" in sheet and "first_prize" in sheet


def test_the_events_list_and_a_cancellation_fit_a_phone(phone, seeded):
    event = create_event(seeded, "成渝职教联盟 网络搭建与应用 技能竞赛（EV 取消）")
    organiser(seeded)
    sign_in(phone, ORGANISER, path="/#/events")
    phone.page.get_by_label("类型").select_option("skills_competition")
    phone.page.get_by_role("button", name=re.compile("筛选")).click()
    rows = phone.page.locator(".events-list tbody tr")
    expect(rows.filter(has_text="EV 取消")).to_be_visible()
    expect(rows.filter(has_not_text="技能竞赛")).to_have_count(0)
    assert phone.fits_width()
    phone.screenshot("app-events-phone")

    rows.filter(has_text="EV 取消").get_by_role("link").click()
    phone.page.get_by_role("button", name=re.compile("^取消活动")).click()
    dialog = phone.page.locator("dialog.confirm")
    dialog.locator("button[type=submit]").click()  # no reason: the dialog stays, asking for one
    expect(dialog).to_be_visible()
    assert dialog.locator("textarea").evaluate("field => field.validity.valueMissing")
    assert seeded.get(f"/api/v1/events/{event['id']}")["status"] == "published"
    confirm(phone, "场地检修，本次比赛取消")
    expect(phone.page.locator("h1 .badge")).to_have_text(re.compile("已取消"))
    expect(phone.page.locator("ol.history")).to_contain_text("场地检修，本次比赛取消")
    assert phone.fits_width()
    cancelled = seeded.get(f"/api/v1/events/{event['id']}")
    assert (cancelled["status"], cancelled["history"][-1]["reason"]) == ("cancelled", "场地检修，本次比赛取消")
