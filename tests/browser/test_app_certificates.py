"""The certificates screens for staff in headless Chromium: filtering and exporting the list, one
certificate's details and revoking it with a reason, the filtered list's PDFs as one ZIP; at a phone's width.

The certificates are the seeded 武隆 cohort's (students WL202200040-46, whom no other test uses)
and a few this file issues with an occupation of its own, so the lists it checks are exact."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pypdfium2
import pytest
import requests
from playwright.sync_api import expect

from alliance import demo
from tests.support.web_app import account, sign_in

pytestmark = pytest.mark.e2e

ADMIN = "cert-admin@wulong.example.org"


def wulong(seeded) -> dict:
    return next(o for o in seeded.all("/api/v1/organisations") if o["name"] == demo.WULONG)


def student(seeded, school: dict, number: str) -> dict:
    (person,) = seeded.get(f"/api/v1/organisations/{school['id']}/people", student_number=number)["items"]
    return person


def issue(seeded, school: dict, holder: dict, **fields) -> dict:
    body = {"holder_id": holder["id"], "issuer_id": school["id"], **fields}
    answer = requests.post(f"{seeded.url}/api/v1/certificates", headers=seeded.admin(), json=body, timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()


def school_admin(page, seeded, school: dict) -> None:
    """Sign in as the school's admin, asking for the certificates screen."""
    account(seeded, ADMIN, [{"role": "org_admin", "organisation_id": school["id"]}])
    sign_in(page, ADMIN, path="/#/certificates")


def filter_list(page, *, kind: str, status: str = "", occupation: str) -> None:
    """Choose the filters on the page (the kind and status by their labels) and list again."""
    screen = page.page
    screen.get_by_label("类别").select_option(value=kind)
    screen.get_by_label("状态").select_option(value=status)
    if not screen.get_by_label("职业").is_visible():
        screen.get_by_text("更多筛选").click()
    screen.get_by_label("职业").fill(occupation)
    screen.get_by_role("button", name=re.compile("^筛选")).click()


def pdf_text(pdf: bytes) -> str:
    return pypdfium2.PdfDocument(io.BytesIO(pdf))[0].get_textpage().get_text_range()


def listed_numbers(page) -> list[str]:
    return page.page.locator("main table tbody td[data-key=number]").all_inner_texts()


def test_staff_filter_by_kind_and_status_and_the_export_holds_the_table(page, seeded):
    school = wulong(seeded)
    occupation = "证书界面测试·筛选"
    holders = [student(seeded, school, f"WL2022000{n}") for n in (40, 41, 42)]
    issued = [
        issue(seeded, school, h, kind="training_completion", title="网络安全实训结业", occupation=occupation)
        for h in holders
    ]
    suspended = issued[2]["number"]
    answer = requests.post(
        f"{seeded.url}/api/v1/certificates/{suspended}/suspend",
        headers=seeded.admin(),
        json={"reason": "实训记录待核"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    active = sorted(c["number"] for c in issued[:2])

    school_admin(page, seeded, school)
    expect(page.page.get_by_role("heading", name=re.compile("证书"))).to_be_visible()
    expect(page.page.locator("main table tbody tr").first).to_be_visible()  # the school's whole list first
    filter_list(page, kind="training_completion", status="active", occupation=occupation)
    expect(page.page.locator("main table tbody tr")).to_have_count(2)
    assert sorted(listed_numbers(page)) == active
    # The school's admin may print these certificates, so the list names their holders.
    listed_holders = page.page.locator("main table tbody td[data-key=holder]").all_inner_texts()
    assert sorted(listed_holders) == sorted(h["name"] for h in holders[:2])
    expect(page.page.locator("main table tbody")).not_to_contain_text("已暂停")
    expect(page.page.locator("main .paged")).to_have_text(re.compile(r"2 条 in all$"))  # and nothing after it
    assert "kind=training_completion" in page.page.evaluate("location.hash")  # back from a certificate: same list
    page.screenshot("app-certificates")

    with page.page.expect_download() as downloading:
        page.page.get_by_role("button", name=re.compile("导出 Excel")).click()
    download = downloading.value
    assert download.suggested_filename == "certificates.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    number_at, status_at, kind_at = (
        header.index("证书编号 Number"),
        header.index("状态 Status"),
        header.index("证书类别 Kind"),
    )
    assert sorted(row[number_at] for row in rows) == sorted(listed_numbers(page))
    assert {(row[kind_at], row[status_at]) for row in rows} == {("training_completion", "active")}

    filter_list(page, kind="training_completion", status="suspended", occupation=occupation)
    expect(page.page.locator("main table tbody tr")).to_have_count(1)
    assert listed_numbers(page) == [suspended]
    expect(page.page.locator("main table tbody")).to_contain_text("已暂停")

    # A filter the API refuses is said next to its field.
    page.expect_status(400)
    page.page.get_by_label("发证年份").fill("1999")
    page.page.get_by_role("button", name=re.compile("^筛选")).click()
    year_error = page.page.locator("[data-field=year] .field-error")
    expect(year_error).to_be_visible()
    expect(page.page.get_by_label("发证年份")).to_have_attribute("aria-invalid", "true")


def test_revoking_with_a_reason_is_recorded_and_public_verification_says_revoked(page, seeded):
    school = wulong(seeded)
    holder = student(seeded, school, "WL202200043")
    (certificate,) = seeded.all("/api/v1/certificates", holder_id=holder["id"])
    number = certificate["number"]

    school_admin(page, seeded, school)
    page.page.get_by_text("更多筛选").click()
    page.page.get_by_label("持证人学号").fill("WL202200043")  # found among the school's people
    page.page.get_by_label("持证人学号").press("Enter")
    expect(page.page.locator("main table tbody tr")).to_have_count(1)
    assert f"holder_id={holder['id']}" in page.page.evaluate("location.hash")
    page.page.get_by_role("link", name=number).click()
    expect(page.page.get_by_role("heading", name=re.compile(re.escape(number)))).to_be_visible()
    main = page.page.locator("main")
    expect(main.locator("dl.details")).to_contain_text(holder["name"])  # the name, as the school's staff see it
    expect(main.get_by_role("link", name=re.compile(r"verify\?number="))).to_be_visible()
    with page.page.expect_download() as downloading:
        page.page.get_by_role("button", name=re.compile("下载 PDF")).click()
    assert downloading.value.suggested_filename == f"{number}.pdf"
    page.screenshot("app-certificate")

    page.page.get_by_role("button", name=re.compile("^撤销")).click()
    dialog = page.page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    reason = dialog.get_by_label("原因")
    dialog.get_by_role("button", name=re.compile("撤销证书")).click()  # no reason yet: asked for, not sent
    expect(dialog).to_be_visible()
    assert reason.evaluate("field => field.validity.valueMissing")
    reason.fill("考生信息录入错误，需重新核发")
    dialog.get_by_label("撤销类别").select_option(value="issued_in_error")
    page.screenshot("app-certificate-revoke")
    dialog.get_by_role("button", name=re.compile("撤销证书")).click()

    expect(main.locator(".status-line .badge")).to_have_text(re.compile("已撤销"))
    history = main.locator("table").last
    expect(history).to_contain_text("考生信息录入错误，需重新核发")
    expect(history).to_contain_text("发证有误")
    expect(main.get_by_role("button", name=re.compile("^撤销"))).to_have_count(0)  # revoked is final

    verified = requests.get(f"{seeded.url}/api/v1/verify/{number}", params={"name": holder["name"]}, timeout=30)
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert (body["valid"], body["status"], body["reason_category"]) == (False, "revoked", "issued_in_error")
    assert "考生信息" not in verified.text  # the reason itself stays private


def test_the_zip_of_the_filtered_list_holds_one_pdf_per_row(page, seeded):
    school = wulong(seeded)
    occupation = "证书界面测试·压缩包"
    holders = {h["id"]: h for h in (student(seeded, school, f"WL2022000{n}") for n in (44, 45))}
    for holder in holders.values():
        issue(seeded, school, holder, kind="participation", title="技能进社区志愿服务", occupation=occupation)

    school_admin(page, seeded, school)
    filter_list(page, kind="participation", occupation=occupation)
    expect(page.page.locator("main table tbody tr")).to_have_count(2)
    numbers = sorted(listed_numbers(page))

    with page.page.expect_download() as downloading:
        page.page.get_by_role("button", name=re.compile("下载 PDF 压缩包")).click()
    download = downloading.value
    assert download.suggested_filename == "certificates.zip"
    with zipfile.ZipFile(download.path()) as archive:
        assert sorted(archive.namelist()) == [f"{number}.pdf" for number in numbers]
        texts = [
            pypdfium2.PdfDocument(io.BytesIO(archive.read(name)))[0].get_textpage().get_text_range()
            for name in archive.namelist()
        ]
    assert all(any(h["name"] in text for text in texts) for h in holders.values())


def test_a_teacher_sees_the_list_and_a_certificate_without_admin_actions_on_a_phone(phone, seeded):
    school = wulong(seeded)
    holder = student(seeded, school, "WL202200046")
    (certificate,) = seeded.all("/api/v1/certificates", holder_id=holder["id"])
    account(seeded, "cert-teacher@wulong.example.org", [{"role": "teacher", "organisation_id": school["id"]}])
    sign_in(phone, "cert-teacher@wulong.example.org", path="/#/certificates")
    expect(phone.page.locator("main table tbody tr").first).to_be_visible()
    expect(phone.page.get_by_role("button", name=re.compile("导出 Excel"))).to_be_visible()
    expect(phone.page.get_by_role("button", name=re.compile("压缩包"))).to_have_count(0)  # the ZIP is the admins'
    assert phone.fits_width()  # the table scrolls inside its own box, not the page

    phone.page.goto(f"{seeded.url}/#/certificates/{certificate['number']}")  # as the teacher's list shows it
    expect(phone.page.get_by_role("heading", name=re.compile(certificate["number"]))).to_be_visible()
    expect(phone.page.locator("main dl.details")).to_contain_text(holder["name"])  # a teacher reads its people
    expect(phone.page.locator("main")).to_contain_text("由发证机构或持证人单位的管理员办理")
    expect(phone.page.get_by_role("button", name=re.compile("撤销|下载 PDF"))).to_have_count(0)
    assert phone.fits_width()
