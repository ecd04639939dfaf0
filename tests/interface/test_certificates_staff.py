"""What a school's staff get beyond the certificate list: a cohort's printable certificates in one
ZIP, and each certificate's status history."""

from __future__ import annotations

import io
import zipfile

import pypdfium2

from gateway.routes.web import MAX_ZIP_CERTIFICATES
from tests.interface.test_certificates import issue, register_evaluator, register_person
from tests.interface.test_certificates_jobs import finished_job
from tests.support.api import Api, create, ok

PROBLEM = "application/problem+json"
ZIP_PATH = "/api/v1/certificates.zip"
OTHER_SCHOOL = {"name": "重庆市巫山县职业教育中心", "kind": "secondary_vocational_school", "region": "重庆"}
NAMES = ("陈思远", "林嘉怡", "周子轩")


def pdf_text(pdf: bytes) -> str:
    return pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()


def archive_of(response) -> dict[str, bytes]:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"] == 'attachment; filename="certificates.zip"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_zip_holds_the_pdf_of_each_certificate_the_filters_match_and_another_school_gets_none(api: Api):
    school = register_evaluator(api)
    other = create(api, "/api/v1/organisations", OTHER_SCHOOL)
    people = [register_person(api, school["id"], name=name) for name in NAMES]
    skill = {issue(api, person["id"], school["id"])["number"]: person["name"] for person in people}
    training = issue(api, people[0]["id"], school["id"], kind="training_completion", title="教师培训结业", level=None)
    outsider = register_person(api, other["id"], name="谭文静")
    theirs = issue(api, outsider["id"], other["id"], kind="participation", title="职业体验日", level=None)
    own = {"role": "org_admin", "org": school["id"]}

    pdfs = archive_of(api.get(ZIP_PATH, params={"kind": "skill_level"}, **own))
    assert sorted(pdfs) == sorted(f"{number}.pdf" for number in skill)
    for number, holder in skill.items():
        text = pdf_text(pdfs[f"{number}.pdf"])
        assert holder in text and number in text  # the holder's full name, as staff see it
    assert len(archive_of(api.get(ZIP_PATH, **own))) == 4
    assert list(archive_of(api.get(ZIP_PATH, params={"kind": "training_completion"}, **own))) == [
        f"{training['number']}.pdf"
    ]
    assert len(archive_of(api.get(ZIP_PATH, params={"issuer_id": school["id"]}))) == 4  # the alliance admin

    # The other school's admin gets its own people's certificates, never this school's.
    theirs_only = archive_of(api.get(ZIP_PATH, role="org_admin", org=other["id"]))
    assert list(theirs_only) == [f"{theirs['number']}.pdf"]
    assert "谭文静" in pdf_text(theirs_only[f"{theirs['number']}.pdf"])
    narrowed = api.get(ZIP_PATH, params={"issuer_id": school["id"]}, role="org_admin", org=other["id"])
    assert narrowed.status_code == 422 and narrowed.headers["Content-Type"].startswith(PROBLEM)
    assert not any(number in narrowed.text for number in skill)
    assert (
        api.get(ZIP_PATH, params={"organisation_id": school["id"]}, role="org_admin", org=other["id"]).status_code
        == 403
    )

    # No match is a problem, not an empty file; a bad filter is the list's 400.
    none = api.get(ZIP_PATH, params={"kind": "competition_award"}, **own)
    assert none.status_code == 422 and none.headers["Content-Type"].startswith(PROBLEM)
    assert "no certificate" in none.json()["detail"]
    bad = api.get(ZIP_PATH, params={"level": 9, "limit": 5}, **own)
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"level", "limit"}
    assert api.get(ZIP_PATH, role=None).status_code == 401


def test_more_than_500_matching_certificates_are_refused_until_the_filters_narrow_them(api: Api):
    school = register_evaluator(api)
    holder = register_person(api, school["id"])
    skill = issue(api, holder["id"], school["id"])["number"]
    items = [
        {"kind": "participation", "holder_id": holder["id"], "issuer_id": school["id"], "title": f"志愿服务第{i}期"}
        for i in range(MAX_ZIP_CERTIFICATES + 1)
    ]
    submitted = ok(api.post("/api/v1/certificates/batch", json={"issuer_id": school["id"], "items": items}), 202)
    job = finished_job(api, submitted["id"], timeout=180)
    assert (job["status"], job["issued"]) == ("done", MAX_ZIP_CERTIFICATES + 1)

    too_many = api.get(ZIP_PATH, params={"issuer_id": school["id"]}, role="org_admin", org=school["id"])
    assert too_many.status_code == 422 and too_many.headers["Content-Type"].startswith(PROBLEM)
    assert f"at most {MAX_ZIP_CERTIFICATES}" in too_many.json()["detail"]
    assert too_many.json()["errors"] == {"_schema": [f"more than {MAX_ZIP_CERTIFICATES} certificates"]}
    assert api.get(ZIP_PATH, params={"kind": "participation"}).status_code == 422

    narrowed = archive_of(api.get(ZIP_PATH, params={"kind": "skill_level"}, role="org_admin", org=school["id"]))
    assert list(narrowed) == [f"{skill}.pdf"]


def test_a_certificate_keeps_the_history_of_its_status_changes(api: Api):
    school = register_evaluator(api)
    number = issue(api, register_person(api, school["id"])["id"], school["id"])["number"]
    assert "history" not in ok(api.get(f"/api/v1/certificates/{number}"))
    own = {"role": "org_admin", "org": school["id"]}
    ok(api.post(f"/api/v1/certificates/{number}/suspend", json={"reason": "成绩复核中"}, **own))
    ok(api.post(f"/api/v1/certificates/{number}/reinstate", json={}, **own))
    revoked = ok(
        api.post(f"/api/v1/certificates/{number}/revoke", json={"reason": "考生替考", "category": "misconduct"})
    )

    history = revoked["history"]
    assert [(h["from_status"], h["to_status"], h["reason"], h["category"]) for h in history] == [
        ("active", "suspended", "成绩复核中", None),
        ("suspended", "active", None, None),
        ("active", "revoked", "考生替考", "misconduct"),
    ]
    assert [h["by"] for h in history] == [f"org_admin:{school['id']}"] * 2 + ["alliance_admin"]
    assert history[0]["at"] <= history[1]["at"] <= history[2]["at"] == revoked["status_changed_at"]
    assert ok(api.get(f"/api/v1/certificates/{number}"))["history"] == history
    token = ok(api.post(f"/api/v1/certificates/{number}/share-links", json={}), 201)["token"]
    shared = api.get(f"/api/v1/shared/{token}", role=None)
    assert shared.status_code == 200 and "history" not in shared.json()["certificate"]
    assert "成绩复核中" not in shared.text  # an employer is not told why it was once suspended
    listed = ok(api.get("/api/v1/certificates", params={"issuer_id": school["id"]}))["items"]
    assert [c["number"] for c in listed] == [number] and "history" not in listed[0]
