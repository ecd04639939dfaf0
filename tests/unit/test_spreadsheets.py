"""Reading and writing spreadsheets: real XLSX bytes made by openpyxl, real CSV text."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from gateway import tables
from gateway.spreadsheets import CSV, XLSX, Column, SpreadsheetError, neutralise, read_table, template, write_table
from members_svc.domain import cohort_problems

COLUMNS = (
    Column("name", "姓名", "Name", required=True),
    Column("student_number", "学号", "Student number"),
    Column("national_id", "身份证号", "National ID"),
)
NATIONAL_ID = "11010519491231002X"


def workbook_bytes(*rows: list) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_values(data: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def test_an_xlsx_roster_is_read_with_excel_row_numbers_whatever_the_header_language_or_order():
    data = workbook_bytes(
        ["学号", "Name"],
        [2022001, "李明"],
        [None, None],
        ["2022003", "  王芳 "],
    )

    rows = read_table(data, COLUMNS, max_rows=10)

    assert [row.number for row in rows] == [2, 4]
    assert rows[0].values == {"name": "李明", "student_number": "2022001", "national_id": None}
    assert rows[1].values["name"] == "王芳"


def test_a_long_number_cell_is_an_error_of_that_cell_not_a_wrong_value():
    data = workbook_bytes(["姓名 Name", "身份证号 National ID"], ["李明", 110105194912310020])

    (row,) = read_table(data, COLUMNS, max_rows=10)

    assert row.values["national_id"] is None
    assert "text" in row.errors["national_id"][0]


def test_csv_is_read_as_utf8_with_a_bom_or_as_gb18030_from_chinese_excel():
    text = "姓名 Name,学号 Student number\r\n张三,001\r\n"
    for data in (("\ufeff" + text).encode("utf-8"), text.encode("gb18030")):
        (row,) = read_table(data, COLUMNS, max_rows=10)
        assert row.values == {"name": "张三", "student_number": "001", "national_id": None}


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (b"", "empty"),
        ("姓名,班级\n张三,1\n".encode(), "unknown column '班级'"),
        ("学号\n001\n".encode(), "missing column '姓名 Name'"),
        ("姓名\n".encode(), "no data rows"),
        (b"\xd0\xcf\x11\xe0rest of an old workbook", "save it as .xlsx or .csv"),
        (b"PK\x03\x04not really a zip", "not a valid .xlsx file"),
    ],
)
def test_an_unreadable_file_is_one_invalid_input_naming_what_is_wrong(data, complaint):
    with pytest.raises(SpreadsheetError) as raised:
        read_table(data, COLUMNS, max_rows=10)
    assert raised.value.status == 400
    assert any(complaint in message for message in raised.value.details["file"])


def test_an_unknown_header_holding_an_id_number_is_named_masked():
    with pytest.raises(SpreadsheetError) as raised:
        read_table(f"姓名,{NATIONAL_ID}\n张三,1\n".encode(), COLUMNS, max_rows=10)
    assert NATIONAL_ID not in str(raised.value.details)
    assert "1101**********002X" in str(raised.value.details)


def test_more_rows_than_allowed_are_refused():
    data = ("姓名\n" + "张三\n" * 3).encode()
    with pytest.raises(SpreadsheetError):
        read_table(data, COLUMNS, max_rows=2)
    assert len(read_table(data, COLUMNS, max_rows=3)) == 3


def test_a_workbook_that_unpacks_to_too_much_is_refused_unopened(monkeypatch):
    monkeypatch.setattr("gateway.spreadsheets.MAX_UNPACKED_BYTES", 1000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "0" * 100_000)
    with pytest.raises(SpreadsheetError, match="unpacks"):
        read_table(buffer.getvalue(), COLUMNS, max_rows=10)


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1"])
def test_text_that_could_start_a_formula_is_neutralised(text):
    assert neutralise(text) == "'" + text
    assert neutralise("李明") == "李明"


def test_an_xlsx_export_has_bilingual_headers_values_and_no_formulas():
    data = write_table(COLUMNS, [{"name": '=HYPERLINK("x")', "student_number": "007"}, {"name": "王芳"}], XLSX, "人员")

    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["人员"]
    assert sheet_values(data) == [
        ("姓名 Name", "学号 Student number", "身份证号 National ID"),
        ('\'=HYPERLINK("x")', "007", None),
        ("王芳", None, None),
    ]
    assert all(cell.data_type != "f" for row in workbook.active.iter_rows() for cell in row)


def test_a_csv_export_starts_with_a_bom_and_neutralises_formulas():
    data = write_table(COLUMNS, [{"name": "=1+1", "student_number": "-5"}, {"name": "李明"}], CSV, "people")

    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        ["姓名 Name", "学号 Student number", "身份证号 National ID"],
        ["'=1+1", "'-5", ""],
        ["李明", "", ""],
    ]


def test_an_export_reads_back_as_the_same_rows():
    people = [{"name": "张三", "student_number": "2022001"}, {"name": "李四", "student_number": "2022002"}]
    for file_format in (XLSX, CSV):
        rows = read_table(write_table(COLUMNS, people, file_format, "people"), COLUMNS, max_rows=10)
        assert [row.values for row in rows] == [{**person, "national_id": None} for person in people]


def test_the_roster_template_names_every_roster_column_and_imports_as_its_example():
    data = template(tables.ROSTER, "roster", tables.ROSTER_EXAMPLE)

    header, example = sheet_values(data)
    assert header == (
        "姓名 Name",
        "类别 Kind",
        "学号 Student number",
        "专业 Major",
        "班级 Class",
        "身份证号 National ID",
        "岗位 Position",
    )
    (row,) = read_table(data, tables.ROSTER, max_rows=10)
    assert tables.person_from_row(row) == tables.ROSTER_EXAMPLE


def test_roster_rows_take_chinese_kinds_and_positions():
    data = "姓名,类别,岗位\n陈静,研究人员,兼职\n王老师,教师,\n".encode()
    researcher, teacher = (tables.person_from_row(row) for row in read_table(data, tables.ROSTER, max_rows=10))
    assert researcher == {"name": "陈静", "kind": "researcher", "position": "part_time_researcher"}
    assert teacher == {"name": "王老师", "kind": "teacher"}


@pytest.mark.parametrize(
    ("text", "passed"), [("是", True), ("通过", True), ("TRUE", True), ("否", False), ("0", False)]
)
def test_pass_or_fail_is_read_in_either_language(text, passed):
    assert tables.passed_from_text(text) is passed


def test_pass_or_fail_must_be_said():
    for text in (None, "maybe"):
        with pytest.raises(ValueError):
            tables.passed_from_text(text)


def test_row_errors_name_the_row_number_and_column_header():
    rows = read_table(workbook_bytes(["姓名", "身份证号"], ["李明", 110105194912310020], ["王芳", "x"]), COLUMNS, 10)

    errors = tables.row_errors(rows, COLUMNS, {1: {"national_id": "check digit does not match", "_schema": ["x"]}})

    assert errors == [
        {
            "row": 2,
            "column": "身份证号 National ID",
            "field": "national_id",
            "messages": [rows[0].errors["national_id"][0]],
        },
        {
            "row": 3,
            "column": "身份证号 National ID",
            "field": "national_id",
            "messages": ["check digit does not match"],
        },
        {"row": 3, "column": None, "field": None, "messages": ["x"]},
    ]


def test_attainment_rows_end_with_the_total():
    figures = {
        "assessed": 3,
        "certified": 2,
        "attainment_rate": 0.667,
        "by_occupation_and_level": [
            {"occupation": "电工", "level": 4, "assessed": 3, "certified": 2, "attainment_rate": 0.667}
        ],
    }
    rows = tables.attainment_rows(figures)
    assert rows[-1] == {"occupation": tables.TOTAL, "assessed": 3, "certified": 2, "attainment_rate": 0.667}
    assert sheet_values(write_table(tables.ATTAINMENT, rows, XLSX, "attainment"))[1] == ("电工", 4, 3, 2, 0.667)


def test_a_roster_repeating_or_reusing_student_and_id_numbers_is_refused_by_row():
    prepared = {
        0: {"student_number": "1", "identity": {"digest": "d1"}},
        1: {"student_number": "1", "identity": {"digest": "d2"}},
        2: {"student_number": "3", "identity": {"digest": "d1"}},
        3: {"student_number": "9"},
        4: {"identity": {"digest": "d9"}},
    }

    problems = cohort_problems(prepared, taken_numbers={"9"}, taken_digests={"d9"})

    assert problems == {
        1: {"student_number": ["appears more than once in the cohort"]},
        2: {"national_id": ["appears more than once in the cohort"]},
        3: {"student_number": ["already registered in this organisation"]},
        4: {"national_id": ["already registered in this organisation"]},
    }
