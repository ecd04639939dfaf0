"""Rosters over HTTP as spreadsheets: preview, all-or-nothing and row-level imports, and exports."""

from __future__ import annotations

import csv
import io
import logging

import pytest
from openpyxl import Workbook, load_workbook

from gateway import tables
from gateway.service import GatewayService
from gateway.spreadsheets import MEDIA_TYPES
from members_svc.service import MembersService
from services.identity import check_character
from tests.interface.test_members_memberships import school, serve_members
from tests.support.api import Api, all_items, create, ok
from tests.support.waiting import wait_for

XLSX_TYPE = MEDIA_TYPES["xlsx"]
ROSTER_HEADER = ["姓名 Name", "类别 Kind", "学号 Student number", "身份证号 National ID"]


def national_id(serial: int) -> str:
    body = f"50010320080101{serial:03d}"
    return body + check_character(body)


def bad_check_digit(serial: int) -> str:
    valid = national_id(serial)
    return valid[:17] + ("1" if valid[17] != "1" else "2")


def xlsx(*rows: list) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet(data: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


@pytest.fixture
def api(start_services, config) -> Api:
    return serve_members(start_services, config)[1]


def import_path(organisation_id: str) -> str:
    return f"/api/v1/organisations/{organisation_id}/people/import"


def upload(api: Api, organisation_id: str, data: bytes, mode: str, **caller):
    files = {"file": ("roster.xlsx", data, XLSX_TYPE)}
    return api.post(import_path(organisation_id), params={"mode": mode}, files=files, **caller)


def finished_import(api: Api, submitted) -> dict:
    """The roster import a 202 answer queued, once its worker has finished it."""
    assert submitted.status_code == 202, submitted.text
    path = f"/api/v1/people-imports/{submitted.json()['job']['id']}"

    def finished():
        job = api.get(path).json()
        return job if job["status"] in ("done", "failed") else None

    return wait_for(finished, timeout=60, interval=0.2, message="the roster import to finish")


def people_of(api: Api, organisation_id: str) -> list[dict]:
    return all_items(lambda query: api.get(f"/api/v1/organisations/{organisation_id}/people", params=query).json())


def roster_with_errors() -> bytes:
    return xlsx(
        ROSTER_HEADER,
        ["李明", "student", "2025001", national_id(1)],
        ["王芳", "学生", "2025002", bad_check_digit(2)],  # row 3: the check digit is wrong
        ["   ", "student", "2025003", None],  # row 4: a name of spaces
        ["赵强", "student", "2025001", None],  # row 5: row 2's student number again
        ["陈静", "教师", None, national_id(1)],  # row 6: row 2's ID number again
        ["刘洋", "expert", "2025006", national_id(6)],
    )


def test_a_preview_reports_each_bad_row_and_cell_and_writes_nothing(api, caplog):
    caplog.set_level(logging.DEBUG)
    wulong = school(api, "武隆职业教育中心")
    own = {"role": "org_admin", "org": wulong["id"]}

    previewed = upload(api, wulong["id"], roster_with_errors(), "preview", **own)

    assert previewed.status_code == 200, previewed.text
    report = previewed.json()
    assert (report["mode"], report["rows"], report["valid"], report["written"]) == ("preview", 6, 2, 0)
    assert [(e["row"], e["column"], e["field"]) for e in report["errors"]] == [
        (3, "身份证号 National ID", "national_id"),
        (4, "姓名 Name", "name"),
        (5, "学号 Student number", "student_number"),
        (6, "身份证号 National ID", "national_id"),
    ]
    assert report["errors"][0]["messages"] == ["check digit does not match"]
    assert people_of(api, wulong["id"]) == []
    for secret in (national_id(1), bad_check_digit(2), national_id(6)):
        assert secret not in previewed.text
        assert secret[:17] not in caplog.text


def test_all_or_nothing_with_one_bad_row_writes_nothing(api):
    wanzhou = school(api, "万州职业教育中心")
    roster = xlsx(
        ROSTER_HEADER, ["李明", "student", "2025001", None], ["王芳", "student", "2025002", bad_check_digit(2)]
    )

    refused = upload(api, wanzhou["id"], roster, "all_or_nothing", role="org_admin", org=wanzhou["id"])

    assert refused.status_code == 422, refused.text
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert refused.json()["errors"] == {"/rows/3/national_id": ["check digit does not match"]}
    assert bad_check_digit(2) not in refused.text
    assert people_of(api, wanzhou["id"]) == []

    good = xlsx(ROSTER_HEADER, ["李明", "student", "2025001", national_id(1)], ["王芳", "教师", None, None])
    accepted = upload(api, wanzhou["id"], good, "all_or_nothing", role="org_admin", org=wanzhou["id"])
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["written"] == 2
    job = finished_import(api, accepted)
    assert (job["status"], job["total"], job["registered"], job["failed"]) == ("done", 2, 2, 0)
    listed = people_of(api, wanzhou["id"])
    assert [(p["name"], p["kind"]) for p in listed] == [("李明", "student"), ("王芳", "teacher")]
    assert listed[0]["national_id_masked"] == national_id(1)[:4] + "*" * 10 + national_id(1)[-4:]


def test_row_level_writes_the_good_rows_and_then_refuses_them_as_already_registered(api):
    fuling = school(api, "涪陵职业教育中心")

    imported = upload(api, fuling["id"], roster_with_errors(), "row_level")

    assert imported.status_code == 202, imported.text
    report = imported.json()
    assert (report["rows"], report["valid"], report["written"]) == (6, 2, 2)
    assert {e["row"] for e in report["errors"]} == {3, 4, 5, 6}
    assert finished_import(api, imported)["registered"] == 2
    assert sorted(p["name"] for p in people_of(api, fuling["id"])) == ["刘洋", "李明"]

    again = xlsx(ROSTER_HEADER, ["李明", "student", "2025001", None], ["李明", "student", "2025099", national_id(1)])
    repeated = upload(api, fuling["id"], again, "row_level")
    assert repeated.status_code == 422, repeated.text
    assert repeated.json()["errors"] == {
        "/rows/2/student_number": ["already registered in this organisation"],
        "/rows/3/national_id": ["already registered in this organisation"],
    }
    assert len(people_of(api, fuling["id"])) == 2


def test_a_csv_roster_is_taken_as_the_raw_body_and_other_bodies_are_refused(api):
    nanchuan = school(api, "南川职业教育中心")
    body = "\ufeff姓名,类别,学号\n李明,学生,001\n王芳,teacher,\n".encode()

    raw = api.post(
        import_path(nanchuan["id"]),
        params={"mode": "all_or_nothing"},
        data=body,
        headers={"Content-Type": "text/csv"},
        role="org_admin",
        org=nanchuan["id"],
    )
    assert finished_import(api, raw)["status"] == "done"
    assert [p["student_number"] for p in people_of(api, nanchuan["id"])] == ["001", None]

    assert api.post(import_path(nanchuan["id"]), json={"people": []}).status_code == 415
    no_file = api.post(import_path(nanchuan["id"]), files={"roster": ("r.csv", body, "text/csv")})
    assert no_file.status_code == 400
    unknown_column = upload(api, nanchuan["id"], xlsx(["姓名", "宿舍"], ["张三", "3号楼"]), "preview")
    assert unknown_column.status_code == 400
    assert "unknown column '宿舍'" in unknown_column.json()["errors"]["file"][0]
    assert api.post(import_path(nanchuan["id"]), params={"mode": "sometimes"}, data=body).status_code == 400
    other = school(api, "綦江职业教育中心")
    assert (
        upload(api, nanchuan["id"], xlsx(ROSTER_HEADER), "preview", role="org_admin", org=other["id"]).status_code
        == 403
    )
    assert len(people_of(api, nanchuan["id"])) == 2


def test_the_roster_template_imports_as_its_example(api):
    template = api.get("/api/v1/templates/roster.xlsx", role=None)
    assert template.status_code == 200
    assert template.headers["Content-Type"] == XLSX_TYPE
    # The columns' own text is pinned by the unit test of the template.
    assert sheet(template.content)[0] == tuple(column.header for column in tables.ROSTER)

    hechuan = school(api, "合川职业教育中心")
    preview = upload(api, hechuan["id"], template.content, "preview")
    assert preview.status_code == 200, preview.text
    assert (preview.json()["rows"], preview.json()["errors"]) == (1, [])


def test_people_export_as_xlsx_and_csv_masks_ids_and_neutralises_formulas(api):
    yubei = school(api, "渝北职业教育中心")
    own = {"role": "org_admin", "org": yubei["id"]}
    first = create(
        api,
        f"/api/v1/organisations/{yubei['id']}/people",
        {"name": "李明", "kind": "student", "student_number": "2025001", "national_id": national_id(7)},
    )
    create(api, f"/api/v1/organisations/{yubei['id']}/people", {"name": '=HYPERLINK("http://x")', "kind": "teacher"})
    path = f"/api/v1/organisations/{yubei['id']}/people"

    exported = api.get(f"{path}.xlsx", **own)
    assert exported.status_code == 200, exported.text
    assert exported.headers["Content-Type"] == XLSX_TYPE
    assert 'filename="people.xlsx"' in exported.headers["Content-Disposition"]
    header, *rows = sheet(exported.content)
    assert header[:4] == ("人员编号 Person ID", "姓名 Name", "类别 Kind", "学号 Student number")
    assert [row[:4] for row in rows] == [
        (first["id"], "李明", "student", "2025001"),
        (rows[1][0], '\'=HYPERLINK("http://x")', "teacher", None),
    ]
    assert rows[0][header.index("身份证号（部分隐藏） National ID (masked)")] == first["national_id_masked"]
    assert national_id(7) not in exported.content.decode("latin-1")

    as_csv = api.get(f"{path}.csv", **own)
    assert as_csv.status_code == 200
    assert as_csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert as_csv.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert table[2][1] == '\'=HYPERLINK("http://x")'
    assert national_id(7) not in as_csv.text

    assert api.get(f"{path}.pdf", **own).status_code == 404
    assert api.get(f"{path}.csv", role="org_admin", org="another-school").status_code == 403
    assert api.get(f"{path}.csv", role=None).status_code == 401


def test_a_class_roster_keeps_each_students_major_and_class_to_find_and_export_them_by(api):
    bishan = school(api, "璧山职业教育中心")
    header = ["姓名 Name", "类别 Kind", "学号 Student number", "专业 Major", "班级 Class"]
    rows = [
        ["周杰", "学生", "2025101", "数控技术应用", "2025级数控1班"],
        ["吴芳", "学生", "2025102", "数控技术应用", "2025级数控1班"],
        ["郑洋", "学生", "2025201", "汽车运用与维修", "2025级汽修2班"],
    ]
    job = finished_import(api, upload(api, bishan["id"], xlsx(header, *rows), "all_or_nothing"))
    assert (job["status"], job["registered"]) == ("done", 3), job
    path = f"/api/v1/organisations/{bishan['id']}/people"

    def names(**query) -> list[str]:
        return sorted(p["name"] for p in ok(api.get(path, params=query))["items"])

    assert names(class_name="2025级数控1班") == ["吴芳", "周杰"]
    assert names(major="汽车运用与维修") == ["郑洋"]
    assert names(class_name="2025级数控") == []  # the whole class name, not a part of it

    (zheng,) = ok(api.get(path, params={"student_number": "2025201"}))["items"]
    moved = api.patch(f"/api/v1/people/{zheng['id']}", json={"class_name": "2025级汽修1班", "reason": "分班调整"})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["class_name"], moved.json()["history"][-1]["changed_fields"]) == (
        "2025级汽修1班",
        ["class_name"],
    )

    exported_header, *exported = sheet(ok_response(api.get(f"{path}.xlsx", params={"major": "数控技术应用"})))
    at = exported_header.index("班级 Class")
    assert sorted((row[1], row[at]) for row in exported) == [("吴芳", "2025级数控1班"), ("周杰", "2025级数控1班")]
    too_long = api.post(path, json={"name": "王强", "kind": "student", "class_name": "班" * 61})
    assert too_long.status_code == 400 and "class_name" in too_long.json()["errors"]


def ok_response(response) -> bytes:
    assert response.status_code == 200, response.text
    return response.content


def test_a_roster_larger_than_a_chunk_is_registered_in_steps_and_its_progress_is_private(start_services, config):
    start_services(MembersService, GatewayService, overrides={"IMPORT_CHUNK_SIZE": 7})
    api = Api.for_config(config)
    dazu = school(api, "大足职业教育中心")
    rows = [[f"学生{i:03d}", "student", f"2025{i:03d}", national_id(i)] for i in range(40)]

    imported = upload(api, dazu["id"], xlsx(ROSTER_HEADER, *rows), "row_level", role="org_admin", org=dazu["id"])

    job = finished_import(api, imported)
    assert (job["status"], job["total"], job["registered"], job["failed"], job["errors"]) == ("done", 40, 40, 0, [])
    listed = people_of(api, dazu["id"])
    assert [p["student_number"] for p in listed] == [f"2025{i:03d}" for i in range(40)]
    assert len({p["id"] for p in listed}) == 40
    path = f"/api/v1/people-imports/{job['id']}"
    assert api.get(path, role="org_admin", org=dazu["id"]).status_code == 200
    assert api.get(path, role="org_admin", org="another-school").status_code == 403
    assert api.get("/api/v1/people-imports/000000000000000000000000").status_code == 404
