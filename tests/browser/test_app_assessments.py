"""The web app's assessments for an assessor in headless Chromium: the template, a results sheet
uploaded with one bad row, the job's progress to its end, the assessment's figures, the jobs list;
a failed single sign-on's reason on the sign-in screen; at desktop and phone width."""

from __future__ import annotations

import io
import random
import re
import uuid
from pathlib import Path

import pytest
import requests
from openpyxl import Workbook
from playwright.sync_api import expect

from alliance import demo
from services.identity import check_character
from tests.support.browser import Page
from tests.support.system import RunningSystem
from tests.support.waiting import wait_for
from tests.support.web_app import account, sign_in

pytestmark = pytest.mark.e2e

RESULTS_HEADER = ["学号 Student number", "姓名 Name", "是否通过 Passed", "成绩 Score"]
ASSESSED_ON = "2025-06-18"
LEVEL = 4
# Each run's own figures: the statistics group by occupation, which no other test uses.
RUN = uuid.uuid4().hex[:8].upper()
OCCUPATION = f"网络搭建与应用 ASM-{RUN}"
CANDIDATES = (("林晓峰", True, 91.5), ("周雨涵", True, 78), ("郭子轩", False, 42))
JOB_DEADLINE_MS = 90_000  # the job waits behind whatever else certificates_svc works on


def wulong(seeded: RunningSystem) -> dict:
    """The demo's accredited evaluator, whose assessors these tests are."""
    return next(o for o in seeded.all("/api/v1/organisations") if o["name"] == demo.WULONG)


def national_id(rng: random.Random) -> str:
    body = f"500156{rng.randint(2004, 2008)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + check_character(body)


def register_students(seeded: RunningSystem, school_id: str) -> list[dict]:
    """The candidates, new students of the school with their own student and ID numbers."""
    rng = random.Random(RUN)
    people = [
        {"name": name, "kind": "student", "student_number": f"ASM{RUN}{i}", "national_id": national_id(rng)}
        for i, (name, _, _) in enumerate(CANDIDATES)
    ]
    created = requests.post(
        f"{seeded.url}/api/v1/organisations/{school_id}/people/batch",
        headers=seeded.admin(),
        json={"people": people},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    return created.json()["items"]


def results_sheet(path: Path, students: list[dict]) -> Path:
    """The filled-in template: the candidates, and on row 5 a student number nobody has."""
    workbook = Workbook()
    workbook.active.append(RESULTS_HEADER)
    for student, (_, passed, score) in zip(students, CANDIDATES, strict=True):
        workbook.active.append([student["student_number"], student["name"], "是" if passed else "否", score])
    workbook.active.append([f"ASM{RUN}404", "查无此人", "是", 88])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def wait_until_candidates_are_known(seeded: RunningSystem, school_id: str, sheet: Path) -> None:
    """certificates_svc learns of new people from events: a preview of the sheet says when it has."""
    query = {"issuer_id": school_id, "occupation": OCCUPATION, "level": LEVEL, "assessed_on": ASSESSED_ON}

    def known() -> bool:
        answer = requests.post(
            f"{seeded.url}/api/v1/assessments/import",
            headers=seeded.admin(),
            params={**query, "mode": "preview"},
            files={"file": (sheet.name, sheet.read_bytes(), "application/octet-stream")},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["valid"] == len(CANDIDATES)

    wait_for(known, timeout=60, interval=0.5, message="certificates_svc to know the candidates")


def cell(scope, key: str):
    """A table cell or a figure by its key."""
    return scope.locator(f'[data-key="{key}"]')


@pytest.fixture
def assessor(seeded) -> tuple[str, dict]:
    school = wulong(seeded)
    login = "asm-assessor@wulong.example.org"
    account(seeded, login, [{"role": "assessor", "organisation_id": school["id"]}])
    return login, school


def test_an_assessor_uploads_a_sheet_watches_the_job_and_sees_the_row_error_and_the_figures(
    page: Page, seeded, assessor, tmp_path
):
    login, school = assessor
    students = register_students(seeded, school["id"])
    sheet = results_sheet(tmp_path / "results.xlsx", students)
    wait_until_candidates_are_known(seeded, school["id"], sheet)

    sign_in(page, login, path="/#/assessments")
    tab = page.page
    expect(tab.get_by_role("heading", name=re.compile("技能等级认定"))).to_be_visible()
    template = tab.get_by_role("link", name=re.compile("下载成绩表模板"))
    assert template.get_attribute("href") == "/api/v1/templates/assessment-results.xlsx"
    page.screenshot("app-assessments")

    # Without an occupation the API refuses, and says so next to the field.
    page.expect_status(400)
    tab.get_by_role("button", name=re.compile("上传成绩表")).click()
    occupation_error = tab.locator('[data-field="occupation"] .field-error')
    expect(occupation_error).to_be_visible()
    expect(tab.get_by_label("职业", exact=False).first).to_have_attribute("aria-invalid", "true")

    tab.get_by_label("职业").first.fill(OCCUPATION)
    tab.get_by_label("等级").select_option(str(LEVEL))
    tab.get_by_label("认定日期").fill(ASSESSED_ON)
    tab.get_by_label("认定批次号").fill(f"asm-{RUN}")
    tab.get_by_label("成绩表").set_input_files(str(sheet))
    tab.get_by_role("button", name=re.compile("上传成绩表")).click()

    report = tab.locator(".import-report")
    expect(report).to_be_visible()
    expect(occupation_error).to_be_hidden()
    expect(report.locator("dl.details")).to_contain_text("4")  # rows read
    row_errors = report.locator("table").first
    expect(cell(row_errors, "row")).to_have_text("5")
    expect(cell(row_errors, "column")).to_contain_text("学号")
    expect(cell(row_errors, "messages")).to_contain_text("student number")
    page.screenshot("app-assessment-progress")

    job = report.locator(".job")
    expect(job).to_have_attribute("data-status", "done", timeout=JOB_DEADLINE_MS)
    assert job.locator("progress").evaluate("bar => bar.value") == 100
    figures = report.locator(".assessment-figures")
    expect(cell(figures, "candidates")).to_have_text("3")
    expect(cell(figures, "passed")).to_have_text("2")
    expect(cell(figures, "certified")).to_have_text("2")
    expect(cell(figures, "pass-rate")).to_have_text("66.7 %")
    # The year's figures for this occupation and level: only this assessment has any.
    expect(cell(figures, "assessed")).to_have_text("3")
    expect(cell(figures, "year-certified")).to_have_text("2")
    expect(cell(figures, "attainment-rate")).to_have_text("66.7 %")
    expect(figures.get_by_role("group").last).to_contain_text(OCCUPATION)
    page.screenshot("app-assessment-done")

    tab.get_by_role("link", name=re.compile("我的任务")).click()
    expect(tab.get_by_role("heading", name=re.compile("任务"))).to_be_visible()
    row = tab.get_by_role("row").filter(has_text=OCCUPATION)
    expect(row).to_have_count(1)
    expect(row.locator('td[data-key="status"]')).to_contain_text("已完成")
    expect(row.locator('td[data-key="progress"]')).to_contain_text("3 / 3")
    expect(row.locator('td[data-key="by"]')).to_contain_text("我")
    expect(tab.locator(".paged")).not_to_contain_text("null")
    page.screenshot("app-jobs")

    row.get_by_role("link").click()
    expect(tab.get_by_role("heading", name=re.compile("任务详情"))).to_be_visible()
    expect(tab.locator("dl.details")).to_contain_text(OCCUPATION)
    expect(cell(tab.locator(".assessment-figures"), "passed")).to_have_text("2")


def test_the_assessment_screen_and_the_jobs_fit_a_phone(phone: Page, seeded, assessor):
    login, _ = assessor
    sign_in(phone, login, path="/#/assessments")
    expect(phone.page.get_by_role("heading", name=re.compile("技能等级认定"))).to_be_visible()
    expect(phone.page.get_by_label("成绩表")).to_be_visible()
    assert phone.fits_width()
    phone.screenshot("app-assessments-phone")
    phone.page.goto(seeded.url + "/#/jobs")
    expect(phone.page.locator(".paged table")).to_be_visible()
    assert phone.fits_width()


def test_a_failed_single_sign_on_is_explained_on_the_sign_in_screen(page: Page):
    page.open("/#/sign-in?sso_error=Unauthorized&sso_detail=no+account+is+linked+to+this+subject")
    alert = page.page.locator(".sso .message")
    expect(alert).to_contain_text("统一身份认证登录失败")
    expect(alert).to_contain_text("Unauthorized")
    expect(alert).to_contain_text("no account is linked to this subject")
    # This deployment has no provider: the password form alone, and no button to a provider.
    expect(page.page.get_by_role("link", name=re.compile("使用统一身份认证登录"))).to_have_count(0)
    expect(page.page.get_by_label("账号")).to_be_visible()
