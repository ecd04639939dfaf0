"""The three web pages and the printable certificate, in headless Chromium against `alliance up` + the demo."""

from __future__ import annotations

import re

import pypdfium2
import pytest
import requests
import zxingcpp
from playwright.sync_api import expect

from alliance import demo

pytestmark = pytest.mark.e2e


def certificate_of_kind(seeded, kind: str, index: int = 0) -> tuple[str, str]:
    """(number, holder's full name) of a demo certificate of ``kind``."""
    certificate = [c for c in seeded.all("/api/v1/certificates") if c["kind"] == kind][index]
    return certificate["number"], seeded.get(f"/api/v1/people/{certificate['holder_id']}")["name"]


def verify(tab, number: str, name: str) -> str:
    """Fill the form with the keyboard alone; the status badge's text."""
    tab.open(f"/verify?number={number}")
    assert tab.page.input_value("#number") == number  # the QR code's link fills the number in
    tab.page.keyboard.type(name)  # the name field has the focus
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_selector("#result #status")
    return tab.page.inner_text("#status")


def test_a_valid_award_certificate_verifies(page, seeded):
    number, name = certificate_of_kind(seeded, "competition_award")
    assert verify(page, number, name) == "有效 Valid"
    details = page.page.inner_text("#result")
    assert "网络搭建与应用" in details and demo.LEAD in details
    assert name not in details and name[0] + "*" in details  # the holder is masked
    page.screenshot("verify-valid")


def test_a_revoked_certificate_shows_revoked(page, seeded):
    number, name = certificate_of_kind(seeded, "skill_level", index=3)
    revoked = requests.post(
        f"{seeded.url}/api/v1/certificates/{number}/revoke",
        headers=seeded.admin(),
        json={"reason": "考核材料不实 assessment records were wrong"},
        timeout=30,
    )
    assert revoked.status_code == 200, revoked.text
    assert verify(page, number, name) == "已撤销 Revoked"
    assert "证书当前无效" in page.page.inner_text("#result")
    page.screenshot("verify-revoked")


def test_a_wrong_name_finds_nothing(page, seeded):
    number, _ = certificate_of_kind(seeded, "competition_award")
    page.expect_status(404)  # the API's one answer for an unknown number and a wrong name alike
    assert verify(page, number, "张冠李戴") == "未通过 Not verified"
    assert "No certificate matches" in page.page.inner_text("#result")


def test_the_calendar_lists_upcoming_and_past_events_and_filters_by_kind(page, seeded):
    page.open("/calendar")
    page.page.wait_for_selector("#upcoming li h3")
    upcoming, past = page.page.inner_text("#upcoming"), page.page.inner_text("#past")
    # The demo's activity week is next May; its competition and the training were held already.
    assert "职业教育活动周" in upcoming
    assert "教师培训" in past and "网络搭建与应用" in past
    page.screenshot("calendar")

    page.page.focus("#kind")
    page.page.select_option("#kind", "skills_competition")
    # Other tests of the session add competitions: the page lists what the public API lists.
    query = {"kind": "skills_competition", "limit": 200}
    public = requests.get(seeded.url + "/api/v1/events", params=query, timeout=30)
    competitions = len(public.json()["items"])
    assert competitions >= 1
    # A locator, not wait_for_function: the page's CSP forbids evaluating strings as script.
    expect(page.page.locator("li[data-kind]")).to_have_count(competitions)
    kinds = page.page.eval_on_selector_all("li[data-kind]", "items => items.map(i => i.dataset.kind)")
    assert set(kinds) == {"skills_competition"}
    assert "网络搭建与应用" in page.page.inner_text("#past")
    feed = page.page.get_attribute("#feed", "href")
    assert feed == "/api/v1/events.ics?kind=skills_competition"
    ics = requests.get(seeded.url + feed, timeout=30)
    assert ics.headers["Content-Type"].startswith("text/calendar")
    assert ics.text.count("BEGIN:VEVENT") == competitions and "CATEGORIES:skills_competition" in ics.text
    one = page.page.get_attribute("#past li a", "href")
    assert re.fullmatch(r"/api/v1/events/[0-9a-f]{24}\.ics", one)
    assert requests.get(seeded.url + one, timeout=30).text.startswith("BEGIN:VCALENDAR")


def test_the_dashboard_draws_charts_after_signing_in_with_a_token(page, seeded):
    page.open("/dashboard")
    page.page.fill("#token", seeded.admin_token)
    page.page.keyboard.press("Enter")
    page.page.wait_for_selector("#chart-attainment rect")
    assert page.page.locator("#chart-certificates rect").count() >= 1
    assert page.page.locator("#chart-events rect").count() >= 4  # five events of four kinds
    attainment = page.page.inner_text("#attainment-chart")
    assert "97.6%" in attainment and demo.WULONG in attainment
    assert page.page.evaluate("sessionStorage.getItem('alliance.token')") == seeded.admin_token
    page.screenshot("dashboard")

    page.page.reload()  # the token survives a reload of the tab
    page.page.wait_for_selector("#chart-events rect")
    page.page.click("#signout")
    assert page.page.is_visible("#signin") and page.page.evaluate("sessionStorage.length") == 0


def test_the_dashboard_refuses_a_bad_token(page):
    page.expect_status(401)
    page.open("/dashboard")
    page.page.fill("#token", "not-a-token")
    page.page.keyboard.press("Enter")
    page.page.wait_for_selector("#signin-error:not([hidden])")
    assert "refused" in page.page.inner_text("#signin-error")


@pytest.mark.parametrize("path", ["/verify", "/calendar", "/dashboard"])
def test_pages_fit_a_phone_screen(phone, seeded, path):
    phone.open(path)
    if path == "/dashboard":
        phone.page.fill("#token", seeded.admin_token)
        phone.page.keyboard.press("Enter")
        phone.page.wait_for_selector("#chart-attainment rect")
    elif path == "/calendar":
        phone.page.wait_for_selector("#upcoming li h3")
    assert phone.fits_width()
    phone.screenshot(f"phone-{path.strip('/')}")


def test_the_printed_certificate_has_chinese_text_an_embedded_font_and_a_qr_code_to_verify(page, seeded, output_dir):
    number, name = certificate_of_kind(seeded, "competition_award")
    response = requests.get(f"{seeded.url}/api/v1/certificates/{number}.pdf", params={"name": name}, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    pdf = response.content
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+WenQuanYiMicroHei", pdf)  # a subset, embedded ...
    assert b"/FontFile2" in pdf  # ... as TrueType outlines

    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 1 and [round(v) for v in document[0].get_size()] == [595, 842]  # A4
    text = document[0].get_textpage().get_text_range()
    assert "竞赛获奖证书" in text and demo.LEAD in text and number in text
    assert name in text
    image = document[0].render(scale=2).to_pil()
    image.save(output_dir / "certificate.png")
    (code,) = zxingcpp.read_barcodes(image)
    assert code.text == f"{seeded.url}/verify?number={number}"

    # Where the QR code leads: the verification page with the number filled in.
    assert verify(page, code.text.removeprefix(seeded.url).split("=", 1)[1], name) == "有效 Valid"


@pytest.mark.parametrize(
    ("path", "drawn"),
    [
        ("/verify", "#number"),
        ("/calendar", "#upcoming li h3"),
        ("/dashboard", "#chart-attainment rect"),
        ("/docs", ".swagger-ui .info .title"),
    ],
)
def test_pages_work_under_the_content_security_policy(page, seeded, path, drawn):
    violations: list[str] = []
    page.page.on(
        "console", lambda message: "Content Security Policy" in message.text and violations.append(message.text)
    )
    response = page.open(path)
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    if path == "/dashboard":
        page.page.fill("#token", seeded.admin_token)
        page.page.keyboard.press("Enter")
    page.page.wait_for_selector(drawn)
    assert violations == []
