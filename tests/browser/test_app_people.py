"""The web app's people and accounts screens in headless Chromium: a teacher finds, adds and corrects
people; a school admin imports a roster after a preview that writes nothing; a school admin creates a
teacher's account with a reset link; the people list at phone width."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from alliance import demo
from services.identity import check_character
from tests.support.web_app import account, sign_in, workbook

pytestmark = pytest.mark.e2e


def organisation(seeded, name: str) -> dict:
    return next(o for o in seeded.all("/api/v1/organisations") if o["name"] == name)


def national_id(sequence: int) -> str:
    """A valid resident ID number (Chongqing, Yuzhong; born 15 March 2008) of this file's own."""
    body = f"50010320080315{sequence:03d}"
    return body + check_character(body)


def with_wrong_check_character(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def people_numbered(seeded, school: dict, student_number: str) -> list[dict]:
    return seeded.all(f"/api/v1/organisations/{school['id']}/people", student_number=student_number)


def roster(path: Path, rows: list[tuple[str, str, str, str | None]]) -> Path:
    """A roster workbook as a school fills it in: Chinese headers, kinds in Chinese."""
    return workbook(path, ["姓名", "类别", "学号", "身份证号"], rows)


def test_a_teacher_finds_people_adds_one_after_a_refused_id_number_and_corrects_it_with_a_reason(page, seeded):
    school = organisation(seeded, demo.LEAD)
    account(seeded, "people-teacher@example.org", [{"role": "teacher", "organisation_id": school["id"]}])
    sign_in(page, "people-teacher@example.org", path="/#/people")
    tab = page.page
    expect(tab.get_by_role("heading", name=re.compile("人员"))).to_be_visible()
    expect(tab.locator(".paged tbody tr").first).to_be_visible()
    assert "null" not in tab.inner_text(".paged")
    page.screenshot("app-people")

    tab.get_by_label("姓名").fill("刘晓燕")
    tab.get_by_role("button", name=re.compile("筛选")).click()
    found = tab.locator(".paged tbody tr")
    expect(found).to_have_count(1)
    expect(found.first.locator('[data-key="student_number"]')).to_have_text("T-YZ-001")
    expect(found.first.locator('[data-key="kind"]')).to_contain_text("教师")

    tab.get_by_role("link", name=re.compile("添加人员")).click()
    expect(tab.get_by_role("heading", name=re.compile("添加人员"))).to_be_visible()
    number = national_id(101)
    tab.get_by_label("姓名").fill("周文博")
    tab.get_by_label("类别").select_option("student")
    tab.get_by_label("学号").fill("PEOPLE-S-001")
    tab.get_by_label("身份证号").fill(with_wrong_check_character(number))
    page.expect_status(400)
    tab.get_by_role("button", name=re.compile("^添加")).click()
    id_field = tab.locator('[data-field="national_id"]')
    expect(id_field.locator(".field-error")).to_be_visible()
    expect(id_field.locator("input")).to_have_attribute("aria-invalid", "true")
    expect(tab.locator('[data-field="name"] .field-error')).to_be_hidden()
    assert people_numbered(seeded, school, "PEOPLE-S-001") == []  # refused: nothing registered

    tab.get_by_label("身份证号").fill(number)
    tab.get_by_role("button", name=re.compile("^添加")).click()
    expect(tab.get_by_role("heading", name="周文博")).to_be_visible()
    record = tab.locator("dl.details")
    expect(record).to_contain_text("PEOPLE-S-001")
    expect(record).to_contain_text(demo.LEAD)
    assert number not in tab.inner_text("main")  # the ID number is shown masked only
    [registered] = people_numbered(seeded, school, "PEOPLE-S-001")
    assert registered["name"] == "周文博" and registered["national_id_masked"] in record.inner_text()

    # A correction needs a reason: asked for next to its field before anything is sent.
    tab.get_by_label("姓名").fill("周文波")
    tab.get_by_role("button", name=re.compile("保存更正")).click()
    expect(tab.locator('[data-field="reason"] .field-error')).to_be_visible()
    tab.get_by_label("更正原因").fill("姓名录入有误，按户口簿更正")
    tab.get_by_role("button", name=re.compile("保存更正")).click()
    expect(tab.get_by_role("heading", name="周文波")).to_be_visible()
    history = tab.locator("table").filter(has_text="原因").locator("tbody tr")
    expect(history).to_have_count(1)
    expect(history.first.locator('[data-key="changed"]')).to_have_text(re.compile("姓名"))
    expect(history.first.locator('[data-key="reason"]')).to_have_text("姓名录入有误，按户口簿更正")
    expect(history.first.locator('[data-key="by"]')).to_contain_text("people-teacher@example.org")
    corrected = seeded.get(f"/api/v1/people/{registered['id']}")
    assert corrected["name"] == "周文波"
    assert [(h["changed_fields"], h["reason"]) for h in corrected["history"]] == [
        (["name"], "姓名录入有误，按户口簿更正")
    ]
    expect(tab.locator("#toast")).to_be_hidden()
    page.screenshot("app-person")


def test_a_school_admin_previews_a_roster_with_a_bad_row_then_imports_the_corrected_one(page, seeded, tmp_path):
    school = organisation(seeded, demo.LIANGJIANG)
    account(seeded, "people-schooladmin@example.org", [{"role": "org_admin", "organisation_id": school["id"]}])
    numbers = ["PEOPLE-R-001", "PEOPLE-R-002", "PEOPLE-R-003"]
    good_id, fixed_id = national_id(201), national_id(202)
    rows = [
        ("陈思琪", "学生", numbers[0], good_id),
        ("林浩宇", "学生", numbers[1], None),
        ("邓雅文", "学生", numbers[2], with_wrong_check_character(fixed_id)),
    ]
    with_error = roster(tmp_path / "roster-with-error.xlsx", rows)
    corrected = roster(tmp_path / "roster.xlsx", [*rows[:2], (*rows[2][:3], fixed_id)])

    sign_in(page, "people-schooladmin@example.org", path="/#/people/import")
    tab = page.page
    expect(tab.get_by_role("heading", name=re.compile("导入名册"))).to_be_visible()
    expect(tab.get_by_role("link", name=re.compile("下载名册模板"))).to_have_attribute(
        "href", "/api/v1/templates/roster.xlsx"
    )
    tab.get_by_label("名册文件").set_input_files(str(with_error))
    tab.get_by_role("button", name=re.compile("预览")).click()
    preview = tab.locator(".import-preview")
    expect(preview.locator(".summary")).to_contain_text("2 行无误，1 行有错误")
    errors = preview.locator("table tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first.locator('[data-key="row"]')).to_have_text("4")  # the header is row 1
    expect(errors.first.locator('[data-key="column"]')).to_contain_text("身份证号")
    for number in numbers:  # a preview writes nothing
        assert people_numbered(seeded, school, number) == []
    page.screenshot("app-roster-preview")

    # Another file clears the preview; the corrected one previews clean and is imported all or nothing.
    tab.get_by_label("名册文件").set_input_files(str(corrected))
    expect(preview).to_be_hidden()
    tab.get_by_role("button", name=re.compile("预览")).click()
    expect(tab.locator(".import-preview .summary")).to_contain_text("3 行无误，0 行有错误")
    expect(tab.get_by_label(re.compile("全部导入"))).to_be_checked()
    tab.get_by_role("button", name=re.compile("确认导入")).click()
    done = tab.locator(".import-done")
    expect(done.locator(".summary")).to_contain_text("已登记 3 人；被拒 0 行")
    expect(tab.locator(".job progress")).to_have_attribute("value", "100")
    for number in numbers:
        assert len(people_numbered(seeded, school, number)) == 1
    expect(tab.locator("#toast")).to_be_hidden()
    page.screenshot("app-roster-import-done")

    done.get_by_role("link", name=re.compile("查看人员名单")).click()
    tab.get_by_label("学号").fill(numbers[2])
    tab.get_by_role("button", name=re.compile("筛选")).click()
    listed = tab.locator(".paged tbody tr")
    expect(listed).to_have_count(1)
    expect(listed.first.locator('[data-key="name"]')).to_have_text("邓雅文")
    with tab.expect_download() as download:
        tab.get_by_role("button", name=re.compile("导出 CSV")).click()
    exported = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert numbers[2] in exported and numbers[0] not in exported  # the list's filters, exported
    assert fixed_id not in exported


def test_a_school_admin_creates_a_teacher_account_and_a_reset_link_that_sets_its_password(page, seeded):
    school = organisation(seeded, demo.FOUNDING)
    account(seeded, "people-accounts@example.org", [{"role": "org_admin", "organisation_id": school["id"]}])
    sign_in(page, "people-accounts@example.org", path="/#/accounts")
    tab = page.page
    expect(tab.get_by_role("heading", name=re.compile("账号"))).to_be_visible()
    tab.get_by_role("link", name=re.compile("创建账号")).click()
    tab.get_by_label("登录名").fill("people-new-teacher@example.org")
    expect(tab.get_by_label("单位")).to_have_value(school["id"])
    expect(tab.locator('[data-field="roles.0.role"] select')).to_have_value("teacher")
    tab.get_by_role("button", name=re.compile("创建账号")).click()

    expect(tab.get_by_role("heading", name="people-new-teacher@example.org")).to_be_visible()
    first_url = tab.get_by_label("重置密码链接").input_value()
    assert "/reset-password#token=" in first_url
    created = next(a for a in seeded.all("/api/v1/accounts") if a["login"] == "people-new-teacher@example.org")
    assert created["roles"] == [{"role": "teacher", "organisation_id": school["id"]}]
    assert created["has_password"] is False

    tab.get_by_role("button", name=re.compile("生成重置链接")).click()
    expect(tab.get_by_label("重置密码链接")).not_to_have_value(first_url)
    url = tab.get_by_label("重置密码链接").input_value()
    assert "/reset-password#token=" in url
    tab.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=seeded.url)
    tab.get_by_role("button", name=re.compile("复制链接")).click()
    expect(tab.locator("#toast")).to_contain_text("已复制")
    assert tab.evaluate("navigator.clipboard.readText()") == url

    token = url.split("#token=", 1)[1]
    reset = requests.post(
        f"{seeded.url}/api/v1/auth/reset", json={"token": token, "new_password": "a teacher's passphrase 9"}, timeout=30
    )
    assert reset.status_code == 204, reset.text
    signed_in = requests.post(
        f"{seeded.url}/api/v1/auth/login",
        json={"login": "people-new-teacher@example.org", "password": "a teacher's passphrase 9"},
        timeout=30,
    )
    assert signed_in.status_code == 200, signed_in.text

    tab.get_by_role("link", name=re.compile("返回账号列表")).click()
    row = tab.locator(".paged tbody tr").filter(has_text="people-new-teacher@example.org")
    expect(row.locator('[data-key="roles"]')).to_contain_text(demo.FOUNDING)
    expect(row.locator('[data-key="password"]')).to_contain_text("已设置")
    expect(tab.locator("#toast")).to_be_hidden()
    page.screenshot("app-accounts")


def test_the_people_list_fits_a_phone(phone, seeded):
    school = organisation(seeded, demo.LEAD)
    account(seeded, "people-phone@example.org", [{"role": "org_admin", "organisation_id": school["id"]}])
    sign_in(phone, "people-phone@example.org", path="/#/people")
    expect(phone.page.locator(".paged tbody tr").first).to_be_visible()
    expect(phone.page.get_by_role("button", name=re.compile("导出 XLSX"))).to_be_visible()
    assert phone.fits_width()
    phone.screenshot("app-people-phone")
    phone.page.locator(".paged tbody tr").first.get_by_role("link").click()
    expect(phone.page.locator("dl.details")).to_contain_text(demo.LEAD)
    assert phone.fits_width()
