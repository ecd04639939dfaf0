"""Who sees a certificate in full: the credential for staff, share links for employers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pypdfium2
import zxingcpp
from pymongo import MongoClient

from tests.interface.test_certificates import HOLDER_NAME, issue, register_evaluator, register_person
from tests.support.api import Api, create

OTHER_SCHOOL = {"name": "重庆市巫山县职业教育中心", "kind": "secondary_vocational_school", "region": "重庆"}


def holder_school_and_issuer(api: Api) -> tuple[dict, dict, dict, str]:
    """A person of one school holding a certificate an evaluator issued, and a third, unrelated school."""
    home = create(api, "/api/v1/organisations", {**OTHER_SCHOOL, "name": "重庆市渝北职业教育中心"})
    issuer = register_evaluator(api)
    stranger = create(api, "/api/v1/organisations", OTHER_SCHOOL)
    person = register_person(api, home["id"], national_id="11010519491231002X")
    number = issue(api, person["id"], issuer["id"])["number"]
    return home, issuer, stranger, number


def share_link(api: Api, number: str, **auth) -> dict:
    response = api.post(f"/api/v1/certificates/{number}/share-links", json={}, **auth)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_full_credential_is_for_the_issuers_and_the_holders_staff_only(api):
    home, issuer, stranger, number = holder_school_and_issuer(api)
    path = f"/api/v1/certificates/{number}/credential"

    assert api.get(path, role=None).status_code == 401
    assert api.get(path, role="org_admin", org=stranger["id"]).status_code == 403
    assert api.get(f"/api/v1/certificates/{number[:-6]}999999/credential").status_code == 404
    for auth in (
        {"role": "alliance_admin"},
        {"role": "org_admin", "org": issuer["id"]},
        {"role": "org_admin", "org": home["id"]},
    ):
        response = api.get(path, **auth)
        assert response.status_code == 200, (auth, response.text)
        assert response.json()["credentialSubject"]["licenseNumber"] == number


def test_a_share_link_is_made_used_listed_and_revoked(api, config):
    home, issuer, stranger, number = holder_school_and_issuer(api)
    links = f"/api/v1/certificates/{number}/share-links"
    assert api.post(links, json={}, role=None).status_code == 401
    assert api.post(links, json={}, role="org_admin", org=stranger["id"]).status_code == 403
    assert api.post(links, json={"expires_in_days": 91}).status_code == 400
    assert api.post(f"/api/v1/certificates/{number[:-6]}999999/share-links", json={}).status_code == 404

    made = share_link(api, number, role="org_admin", org=home["id"])
    token = made["token"]
    assert len(token) >= 43  # 256 random bits, URL-safe base64
    assert made["url"] == f"{config['PUBLIC_BASE_URL'].rstrip('/')}/s/{token}"
    expires = datetime.fromisoformat(made["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)

    shared = api.get(f"/api/v1/shared/{token}", role=None)
    assert shared.status_code == 200, shared.text
    body = shared.json()
    assert body["holder_name"] == HOLDER_NAME
    assert body["certificate"]["number"] == number
    assert body["verification"]["valid"] is True and body["verification"]["status"] == "active"
    assert body["credential"]["credentialSubject"]["licenseNumber"] == number
    pdf = api.get(f"/api/v1/shared/{token}.pdf", role=None)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    page = pypdfium2.PdfDocument(pdf.content)[0]
    assert HOLDER_NAME in page.get_textpage().get_text_range()
    (code,) = zxingcpp.read_barcodes(page.render(scale=2).to_pil())
    assert code.text == made["url"]
    assert api.get(f"/s/{token}", role=None).status_code == 200

    listed = api.get(links, role="org_admin", org=home["id"])
    assert listed.status_code == 200
    (item,) = listed.json()["items"]
    assert item["id"] == made["id"] and item["state"] == "active"
    assert token not in listed.text and "token" not in item
    assert api.get(links, role="org_admin", org=stranger["id"]).status_code == 403

    assert api.request("DELETE", f"{links}/{made['id']}", role="org_admin", org=stranger["id"]).status_code == 403
    revoked = api.request("DELETE", f"{links}/{made['id']}", role="org_admin", org=home["id"])
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert api.request("DELETE", f"{links}/000000000000000000000000").status_code == 404

    gone = api.get(f"/api/v1/shared/{token}", role=None)
    unknown = api.get(f"/api/v1/shared/{'x' * 43}", role=None)
    assert gone.status_code == unknown.status_code == 404
    assert gone.content == unknown.content
    assert api.get(f"/api/v1/shared/{token}.pdf", role=None).status_code == 404


def test_an_expired_share_link_answers_as_an_unknown_one(api, config):
    _, _, _, number = holder_school_and_issuer(api)
    made = share_link(api, number)
    links = MongoClient(config["MONGO_URI"])[f"{config['DATABASE_PREFIX']}certificates"]["share_links"]
    stored = links.find_one({"_id": made["id"]})
    assert made["token"] not in str(stored)  # only its digest is kept
    links.update_one({"_id": made["id"]}, {"$set": {"expires_at": datetime.now(UTC) - timedelta(seconds=1)}})

    expired = api.get(f"/api/v1/shared/{made['token']}", role=None)
    unknown = api.get(f"/api/v1/shared/{'y' * 43}", role=None)
    assert expired.status_code == unknown.status_code == 404
    assert expired.content == unknown.content
    (item,) = api.get(f"/api/v1/certificates/{number}/share-links").json()["items"]
    assert item["state"] == "expired"
