"""A student's own certificates in headless Chromium: the PDF, a share link made, opened by an
employer in a browser of its own, and revoked; the screens at a phone's width.

The students are the seeded 武隆 cohort's WL202200050 and WL202200051, whom no other test uses."""

from __future__ import annotations

import re

import pypdfium2
import pytest
import requests
from playwright.sync_api import expect

from alliance import demo
from tests.support.browser import open_tab
from tests.support.web_app import account, sign_in

pytestmark = pytest.mark.e2e


def student_account(seeded, student_number: str) -> tuple[dict, dict]:
    """A student's account (login ``cert-<number>``) and their certificate."""
    school = next(o for o in seeded.all("/api/v1/organisations") if o["name"] == demo.WULONG)
    (person,) = seeded.get(f"/api/v1/organisations/{school['id']}/people", student_number=student_number)["items"]
    account(seeded, f"cert-{student_number}", [{"role": "student", "organisation_id": school["id"]}], person["id"])
    (certificate,) = seeded.all("/api/v1/certificates", holder_id=person["id"])
    return person, certificate


def test_a_student_downloads_the_pdf_and_shares_the_certificate_until_revoking_the_link(
    page, browser, seeded, output_dir
):
    person, certificate = student_account(seeded, "WL202200050")
    number = certificate["number"]
    sign_in(page, "cert-WL202200050")
    page.page.get_by_role("link", name=re.compile("我的证书")).first.click()
    card = page.page.locator(f"article[data-number='{number}']")
    expect(card).to_be_visible()
    expect(page.page.locator("article.my-certificate")).to_have_count(1)
    expect(card).to_contain_text(certificate["title"])
    expect(card.locator(".badge")).to_have_text(re.compile("有效"))
    page.screenshot("app-my-certificates")

    with page.page.expect_download() as downloading:
        card.get_by_role("button", name=re.compile("下载 PDF")).click()
    pdf = downloading.value
    assert pdf.suggested_filename == f"{number}.pdf"
    text = pypdfium2.PdfDocument(pdf.path())[0].get_textpage().get_text_range()
    assert person["name"] in text and number in text

    card.get_by_role("link", name=re.compile("分享链接")).click()
    expect(page.page.get_by_role("heading", name=re.compile("分享证书"))).to_be_visible()
    days = page.page.get_by_label("有效天数")
    page.expect_status(400)
    days.fill("91")  # more than the API allows: its message beside the field
    days.press("Enter")
    expect(page.page.locator("[data-field=expires_in_days] .field-error")).to_be_visible()
    expect(days).to_have_attribute("aria-invalid", "true")
    days.fill("7")
    page.page.get_by_role("button", name=re.compile("生成分享链接")).click()
    made = page.page.get_by_label("新分享链接地址")
    expect(made).to_have_value(re.compile(re.escape(f"{seeded.url}/s/")))
    url = made.input_value()
    rows = page.page.locator("main table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td[data-key=state]")).to_contain_text("有效")
    expect(rows.first.get_by_label("分享链接地址")).to_have_value(url)  # the address this tab made
    page.screenshot("app-share-links")

    # An employer opens the link in a browser of its own, signed in to nothing.
    with open_tab(browser, seeded.url, output_dir, viewport={"width": 1000, "height": 800}) as employer:
        employer.page.goto(url)
        expect(employer.page.locator("#status")).to_have_text(re.compile("有效"))
        expect(employer.page.locator("#result")).to_contain_text(person["name"])
        expect(employer.page.locator("#result")).to_contain_text(number)

        rows.first.get_by_role("button", name=re.compile("撤销")).click()
        page.page.get_by_role("dialog").get_by_role("button", name=re.compile("撤销")).click()
        expect(rows.first.locator("td[data-key=state]")).to_contain_text("已撤销")
        expect(rows.first.get_by_role("button", name=re.compile("撤销"))).to_have_count(0)

        employer.expect_status(404)
        employer.page.reload()
        expect(employer.page.locator("#status")).to_have_text(re.compile("未通过"))
        expect(employer.page.locator("#result")).to_contain_text("已撤销")
        expect(employer.page.locator("#result")).not_to_contain_text(person["name"])
    token = url.rsplit("/", 1)[-1]
    assert requests.get(f"{seeded.url}/api/v1/shared/{token}", timeout=30).status_code == 404


def test_a_students_certificates_and_share_links_fit_a_phone(phone, seeded):
    _, certificate = student_account(seeded, "WL202200051")
    sign_in(phone, "cert-WL202200051")
    phone.page.goto(f"{seeded.url}/#/my-certificates")
    card = phone.page.locator(f"article[data-number='{certificate['number']}']")
    expect(card).to_be_visible()
    assert phone.fits_width()
    phone.screenshot("app-my-certificates-phone")

    card.get_by_role("link", name=re.compile("分享链接")).click()
    phone.page.get_by_role("button", name=re.compile("生成分享链接")).click()  # 30 days unless changed
    expect(phone.page.get_by_label("新分享链接地址")).to_have_value(re.compile("/s/"))
    expect(phone.page.locator("main table tbody tr")).to_have_count(1)
    assert phone.fits_width()
