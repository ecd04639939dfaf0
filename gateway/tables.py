"""The tables the API reads from and writes to spreadsheets: their columns, and rows turned into
the JSON the services take (imports) or made from the JSON they answer (exports). Pure, no I/O.

Headers are bilingual (``姓名 Name``) and values are the API's own (``student``), so an exported
roster can be filled in and imported again; an import also takes the Chinese words for kinds,
positions and pass or fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from gateway.spreadsheets import Column, SheetRow

# imports

ROSTER = (
    Column("name", "姓名", "Name", required=True),
    Column("kind", "类别", "Kind", required=True),
    Column("student_number", "学号", "Student number"),
    Column("major", "专业", "Major"),
    Column("class_name", "班级", "Class"),
    Column("national_id", "身份证号", "National ID"),
    Column("position", "岗位", "Position"),
)
ROSTER_EXAMPLE = {
    "name": "李明",
    "kind": "student",
    "student_number": "2025001",
    "major": "数控技术应用",
    "class_name": "2025级数控1班",
}
MAX_ROSTER_ROWS = 5000  # the largest cohort members_svc registers at once

ASSESSMENT_RESULTS = (
    Column("person_id", "人员编号", "Person ID"),
    Column("student_number", "学号", "Student number"),
    Column("name", "姓名", "Name"),
    Column("passed", "是否通过", "Passed", required=True),
    Column("score", "成绩", "Score"),
)
ASSESSMENT_RESULTS_EXAMPLE = {"student_number": "2025001", "name": "李明", "passed": "是", "score": 86.5}
MAX_RESULT_ROWS = 20_000  # the largest assessment certificates_svc takes

KIND_WORDS = {"学生": "student", "教师": "teacher", "老师": "teacher", "研究人员": "researcher", "专家": "expert"}
POSITION_WORDS = {
    "专职": "full_time_researcher",
    "专职研究人员": "full_time_researcher",
    "兼职": "part_time_researcher",
    "兼职研究人员": "part_time_researcher",
}
PASSED_WORDS = {
    **dict.fromkeys(("true", "yes", "y", "1", "pass", "passed", "是", "通过", "合格"), True),
    **dict.fromkeys(("false", "no", "n", "0", "fail", "failed", "否", "不通过", "未通过", "不合格"), False),
}


def person_from_row(row: SheetRow) -> dict[str, Any]:
    """A PersonCreate body from a roster row; kinds and positions may be written in Chinese."""
    person = {name: value for name, value in row.values.items() if value is not None}
    if "kind" in person:
        person["kind"] = KIND_WORDS.get(person["kind"], person["kind"].lower())
    if "position" in person:
        person["position"] = POSITION_WORDS.get(person["position"], person["position"].lower())
    return person


def passed_from_text(text: str | None) -> bool:
    """Pass or fail as written in a results sheet; ValueError for anything else."""
    if text is None:
        raise ValueError("say whether the candidate passed: 是 or 否 (yes or no)")
    passed = PASSED_WORDS.get(text.strip().lower())
    if passed is None:
        raise ValueError("write 是 or 否 (yes or no)")
    return passed


def row_errors(
    rows: Sequence[SheetRow], columns: Sequence[Column], problems: dict[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The errors of each row (unreadable cells first, then ``problems`` by the row's index), each
    naming the row as the spreadsheet numbers it and the column by its header."""
    headers = {column.name: column.header for column in columns}
    errors = []
    for index, row in enumerate(rows):
        found: dict[str, list[str]] = {name: list(messages) for name, messages in row.errors.items()}
        for name, messages in (problems.get(index) or {}).items():
            found.setdefault(name, []).extend(_messages(messages))
        for name, messages in found.items():
            column = headers.get(name)
            errors.append(
                {"row": row.number, "column": column, "field": name if column else None, "messages": messages}
            )
    return errors


def _messages(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [f"{key}: {text}" for key, value in messages.items() for text in _messages(value)]
    if isinstance(messages, list | tuple):
        return [text for item in messages for text in _messages(item)]
    return [str(messages)]


# exports

PEOPLE = (
    Column("id", "人员编号", "Person ID"),
    Column("name", "姓名", "Name"),
    Column("kind", "类别", "Kind"),
    Column("student_number", "学号", "Student number"),
    Column("major", "专业", "Major"),
    Column("class_name", "班级", "Class"),
    Column("position", "岗位", "Position"),
    Column("national_id_masked", "身份证号（部分隐藏）", "National ID (masked)"),
    Column("created_at", "登记时间", "Registered at"),
)

REGISTRATIONS = (
    Column("id", "报名编号", "Registration ID"),
    Column("organisation_id", "单位编号", "Organisation ID"),
    Column("organisation_name", "单位名称", "Organisation"),
    Column("team_name", "队伍名称", "Team"),
    Column("person_ids", "人员编号", "Person IDs"),
    Column("names", "姓名", "Names"),
    Column("status", "状态", "Status"),
    Column("waitlist_position", "候补顺位", "Waitlist position"),
    Column("created_at", "报名时间", "Registered at"),
)

RESULTS = (
    Column("rank", "名次", "Rank"),
    Column("award", "奖项", "Award"),
    Column("score", "成绩", "Score"),
    Column("team_name", "队伍名称", "Team"),
    Column("organisation_name", "单位名称", "Organisation"),
    Column("names", "姓名", "Names"),
    Column("organisation_id", "单位编号", "Organisation ID"),
    Column("person_ids", "人员编号", "Person IDs"),
    Column("registration_id", "报名编号", "Registration ID"),
)

CERTIFICATES = (
    Column("number", "证书编号", "Number"),
    Column("kind", "证书类别", "Kind"),
    Column("title", "证书名称", "Title"),
    Column("holder_name", "持证人", "Holder"),
    Column("holder_id", "持证人编号", "Holder ID"),
    Column("holder_organisation_id", "持证人单位编号", "Holder's organisation ID"),
    Column("issuer_name", "发证机构", "Issuer"),
    Column("issuer_id", "发证机构编号", "Issuer ID"),
    Column("occupation", "职业", "Occupation"),
    Column("work_type", "工种", "Work type"),
    Column("level", "等级", "Level"),
    Column("level_name", "等级名称", "Level name"),
    Column("issued_at", "发证日期", "Issued at"),
    Column("valid_until", "有效期至", "Valid until"),
    Column("status", "状态", "Status"),
)

ATTAINMENT = (
    Column("occupation", "职业", "Occupation"),
    Column("level", "等级", "Level"),
    Column("assessed", "参评人数", "Assessed"),
    Column("certified", "取证人数", "Certified"),
    Column("attainment_rate", "取证率", "Attainment rate"),
)
TOTAL = "合计 Total"


def listed(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items of a list route as table rows: lists of ids and names joined (a registration's names from
    its people), a level's names in both languages."""
    rows = []
    for item in items:
        row = dict(item)
        if isinstance(row.get("people"), list):
            row["names"] = [person.get("name") for person in row["people"]]
        for joined in ("person_ids", "names"):
            if isinstance(row.get(joined), list):
                row[joined] = ", ".join(value or "" for value in row[joined])
        if isinstance(row.get("level_name"), dict):
            row["level_name"] = f"{row['level_name']['zh']} {row['level_name']['en']}"
        rows.append(row)
    return rows


def attainment_rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """An Attainment as rows: one per occupation and level, then the total."""
    total = {
        "occupation": TOTAL,
        "assessed": figures["assessed"],
        "certified": figures["certified"],
        "attainment_rate": figures["attainment_rate"],
    }
    return [*figures["by_occupation_and_level"], total]
