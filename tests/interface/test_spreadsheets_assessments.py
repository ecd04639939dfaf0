"""Assessment results imported from a spreadsheet as a job, and certificates and attainment exported."""

from __future__ import annotations

import csv
import io

from tests.interface.test_certificates import register_evaluator, register_person
from tests.interface.test_certificates_jobs import finished_job, register_cohort
from tests.interface.test_spreadsheets import sheet, xlsx
from tests.support.api import Api, all_items

RESULTS_HEADER = ["学号 Student number", "姓名 Name", "是否通过 Passed", "成绩 Score"]
ASSESSMENT = {"occupation": "电工", "level": 4, "assessed_on": "2024-06-18"}


def import_results(api: Api, issuer_id: str, data: bytes, mode: str, filename: str = "results.xlsx", **params):
    files = {"file": (filename, data, "application/octet-stream")}
    query = {**ASSESSMENT, "issuer_id": issuer_id, "mode": mode, **params}
    return api.post("/api/v1/assessments/import", params=query, files=files, role="org_admin", org=issuer_id)


def certificates_of(api: Api, issuer_id: str) -> list[dict]:
    return all_items(lambda q: api.get("/api/v1/certificates", params=q, role="org_admin", org=issuer_id).json())


def results_sheet() -> bytes:
    return xlsx(
        RESULTS_HEADER,
        ["202200000", "学生0000", "是", 92],
        ["202200001", "学生0001", "否", 41.5],
        ["202299999", "查无此人", "是", 90],  # row 4: no such student number
        ["202200000", "学生0000", "是", 92],  # row 5: the same candidate again
        ["202200002", "学生0002", "也许", None],  # row 6: neither pass nor fail
        ["202200003", "学生0003", "通过", 1200],  # row 7: a score out of range
        ["202200004", "学生0004", "TRUE", "88"],
    )


def test_results_preview_and_all_or_nothing_queue_nothing_and_row_level_queues_the_good_rows(api):
    school = register_evaluator(api)
    register_cohort(api, school["id"], 5)

    previewed = import_results(api, school["id"], results_sheet(), "preview")
    assert previewed.status_code == 200, previewed.text
    report = previewed.json()
    assert (report["rows"], report["valid"], report["written"]) == (7, 3, 0)
    assert [(e["row"], e["field"]) for e in report["errors"]] == [
        (4, "student_number"),
        (5, "person_id"),
        (6, "passed"),
        (7, "score"),
    ]
    assert report["errors"][0]["column"] == "学号 Student number"

    refused = import_results(api, school["id"], results_sheet(), "all_or_nothing")
    assert refused.status_code == 422, refused.text
    assert set(refused.json()["errors"]) == {
        "/rows/4/student_number",
        "/rows/5/person_id",
        "/rows/6/passed",
        "/rows/7/score",
    }
    assert certificates_of(api, school["id"]) == []

    queued = import_results(api, school["id"], results_sheet(), "row_level", external_ref="DG-2024-06")
    assert queued.status_code == 202, queued.text
    assert queued.json()["written"] == 3
    job = finished_job(api, queued.json()["job"]["id"])
    assert (job["status"], job["total"], job["issued"], job["failed"]) == ("done", 3, 2, 0)
    assert len(certificates_of(api, school["id"])) == 2


def test_results_name_candidates_by_person_id_and_unknown_people_are_row_errors(api):
    school = register_evaluator(api)
    person = register_person(api, school["id"])
    data = "人员编号,是否通过,成绩\n{},1,75\nnobody-at-all,1,80\n".format(person["id"]).encode()

    previewed = import_results(api, school["id"], data, "preview", filename="results.csv")

    assert previewed.status_code == 200, previewed.text
    assert [(e["row"], e["field"], e["messages"]) for e in previewed.json()["errors"]] == [
        (3, "person_id", ["not a registered person"])
    ]
    other = register_evaluator(api, name="重庆市万州职业教育中心", evaluator={**_evaluator(), "code": "5002"})
    foreign = api.post(
        "/api/v1/assessments/import",
        params={**ASSESSMENT, "issuer_id": school["id"]},
        data=data,
        headers={"Content-Type": "text/csv"},
        role="org_admin",
        org=other["id"],
    )
    assert foreign.status_code == 403


def _evaluator() -> dict:
    return {"type": "S", "code": "5001", "province": "50", "site": "000124"}


def test_certificates_and_attainment_export_with_the_list_filters(api):
    school = register_evaluator(api)
    register_cohort(api, school["id"], 3)
    data = xlsx(RESULTS_HEADER, ["202200000", "", "是", 90], ["202200001", "", "是", 80], ["202200002", "", "否", 30])
    queued = import_results(api, school["id"], data, "all_or_nothing")
    assert queued.status_code == 202, queued.text
    finished_job(api, queued.json()["job"]["id"])
    own = {"role": "org_admin", "org": school["id"]}

    exported = api.get("/api/v1/certificates.xlsx", params={"kind": "skill_level"}, **own)
    assert exported.status_code == 200, exported.text
    header, *rows = sheet(exported.content)
    assert header[:4] == ("证书编号 Number", "证书类别 Kind", "证书名称 Title", "持证人 Holder")
    assert sorted(row[0] for row in rows) == sorted(c["number"] for c in certificates_of(api, school["id"]))
    # The school's admin may print these certificates, so the export names their holders.
    assert sorted(row[3] for row in rows) == ["学生0000", "学生0001"]
    assert {(row[8], row[10], row[14]) for row in rows} == {("电工", 4, "active")}
    none_revoked = api.get("/api/v1/certificates.csv", params={"status": "revoked"}, **own)
    assert none_revoked.status_code == 200
    assert len(list(csv.reader(io.StringIO(none_revoked.content.decode("utf-8-sig"))))) == 1
    assert api.get("/api/v1/certificates.csv", params={"colour": "red"}, **own).status_code == 400

    stats = api.get("/api/v1/stats/attainment.csv", params={"year": 2024}, **own)
    assert stats.status_code == 200, stats.text
    table = list(csv.reader(io.StringIO(stats.content.decode("utf-8-sig"))))
    assert table == [
        ["职业 Occupation", "等级 Level", "参评人数 Assessed", "取证人数 Certified", "取证率 Attainment rate"],
        ["电工", "4", "3", "2", "0.667"],
        ["合计 Total", "", "3", "2", "0.667"],
    ]
    assert (
        api.get("/api/v1/stats/attainment.csv", params={"year": 2024, "organisation_id": "x"}, **own).status_code == 403
    )
