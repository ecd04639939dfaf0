"""The web pages and the printable certificate, served by the gateway against the real services."""

from __future__ import annotations

import re

import pypdfium2
import pytest
import zxingcpp

from tests.interface.test_slice import register_school, register_student
from tests.support.api import create


def issue(api, school: dict, person: dict) -> str:
    return create(
        api,
        "/api/v1/certificates",
        {
            "kind": "training_completion",
            "holder_id": person["id"],
            "issuer_id": school["id"],
            "title": "网络搭建与应用 师资培训",
        },
    )["number"]


@pytest.mark.parametrize(
    ("path", "heading"),
    [("/verify", "证书核验"), ("/calendar", "活动日历"), ("/dashboard", "联盟看板"), ("/s/unknown-token", "证书分享")],
)
def test_pages_are_served_in_chinese_with_english_labels_and_nothing_from_elsewhere(api, path, heading):
    response = api.get(path, role=None)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert heading in response.text and 'lang="zh-CN"' in response.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert all(a.startswith(("/", "#", "data:")) and not a.startswith("//") for a in assets), assets  # no CDN
    for asset in (a for a in assets if a.startswith("/web/")):
        assert api.get(asset, role=None).status_code == 200, asset


def test_an_unknown_asset_is_a_404_problem(api):
    # ".." is sent encoded: a client would otherwise resolve it to "/" before sending.
    for path in ("/web/nope.js", "/web/%2E%2E", "/web/verify.html.bak", "/app/nope.js", "/app/index.html"):
        response = api.get(path, role=None)
        assert response.status_code == 404
        assert response.headers["Content-Type"].startswith("application/problem+json")


def test_the_printable_certificate_is_for_the_holders_name_or_staff(api, config):
    school = register_school(api)
    person = register_student(api, school["id"], name="欧阳娜娜")
    number = issue(api, school, person)

    response = api.get(f"/api/v1/certificates/{number}.pdf", role=None, params={"name": " 欧阳娜娜 "})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/pdf"
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+WenQuanYiMicroHei", response.content)
    assert b"/FontFile2" in response.content  # the font is embedded, not referenced
    page = pypdfium2.PdfDocument(response.content)[0]
    text = page.get_textpage().get_text_range()
    assert "欧阳娜娜" in text
    assert "培训结业证书" in text and number in text and "重庆市渝中职业教育中心" in text
    (code,) = zxingcpp.read_barcodes(page.render(scale=2).to_pil())
    assert code.text == f"{config['PUBLIC_BASE_URL'].rstrip('/')}/verify?number={number}"

    staff = api.get(f"/api/v1/certificates/{number}.pdf", role="org_admin", org=school["id"])
    assert staff.status_code == 200
    assert "欧阳娜娜" in pypdfium2.PdfDocument(staff.content)[0].get_textpage().get_text_range()


def test_every_no_to_the_printable_certificate_is_the_same_answer(api):
    school = register_school(api)
    other = register_school(api, name="重庆市巫山县职业教育中心")
    number = issue(api, school, register_student(api, school["id"], name="欧阳娜娜"))
    unknown = number[:-6] + "999999"

    answers = {
        "unknown number": api.get(f"/api/v1/certificates/{unknown}.pdf", role=None, params={"name": "欧阳娜娜"}),
        "wrong name": api.get(f"/api/v1/certificates/{number}.pdf", role=None, params={"name": "张三"}),
        "no name": api.get(f"/api/v1/certificates/{number}.pdf", role=None),
        "another school": api.get(f"/api/v1/certificates/{number}.pdf", role="org_admin", org=other["id"]),
        "unknown number, no name": api.get(f"/api/v1/certificates/{unknown}.pdf", role=None),
    }

    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 404)
    assert len({r.content for r in answers.values()}) == 1, {name: r.content for name, r in answers.items()}
    assert len({r.headers["Content-Type"] for r in answers.values()}) == 1
    assert "欧" not in answers["wrong name"].text


def test_the_printable_certificate_shows_a_revocation(api):
    school = register_school(api)
    number = issue(api, school, register_student(api, school["id"]))
    assert api.post(f"/api/v1/certificates/{number}/revoke", json={"reason": "发证错误"}).status_code == 200

    body = api.get(f"/api/v1/certificates/{number}.pdf").content
    assert "已撤销 Revoked" in pypdfium2.PdfDocument(body)[0].get_textpage().get_text_range()


def test_an_unknown_certificate_has_no_pdf(api):
    response = api.get("/api/v1/certificates/TC-2026-999999.pdf", role=None)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/problem+json")


def test_the_pages_are_in_the_openapi_document(api):
    paths = api.get("/openapi.json", role=None).json()["paths"]
    assert {"/verify", "/calendar", "/dashboard", "/api/v1/certificates/{number}.pdf"} <= set(paths)
