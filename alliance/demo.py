"""The demo alliance: the Chengdu–Chongqing teaching-research inter-school alliance, its people and events.

Pure data, no I/O: ``alliance seed --demo`` loads it through the HTTP API. Event
dates are placed relative to the day of seeding (the activity week in the coming
May) so registration is still open when the seed registers the teams.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

CHINA = timezone(timedelta(hours=8))

ALLIANCE = {
    "name": "成渝地区教学研究校际联盟",
    "region": "成渝地区 Chengdu–Chongqing",
    "description": "由重庆市渝中职业教育中心与成都市财贸职业高级中学校发起的“1+N”职业教育教学研究校际联盟。",
}

LEAD = "重庆市渝中职业教育中心"
FOUNDING = "成都市财贸职业高级中学校"
WULONG = "武隆职业教育中心"
LIANGJIANG = "重庆市两江职业教育中心"
CQNU = "重庆师范大学"
RESEARCH_BASE = "渝中研究基地"

# The 2022 skill-level assessment at 武隆职业教育中心: 2,063 of 2,114 candidates certified (97.6%).
COHORT_SIZE = 2114
COHORT_PASSED = 2063


@dataclass(frozen=True)
class Organisation:
    name: str
    kind: str
    region: str
    district: str
    role: str  # its membership of the alliance
    evaluator: dict[str, str] | None = None  # the numbering profile of an accredited evaluator

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name, "kind": self.kind, "region": self.region, "district": self.district}
        if self.evaluator:
            body.update(accredited_evaluator=True, evaluator=self.evaluator)
        return body


SCHOOL = "secondary_vocational_school"
ORGANISATIONS: tuple[Organisation, ...] = (
    Organisation(LEAD, SCHOOL, "重庆", "渝中区", "lead"),
    Organisation(FOUNDING, SCHOOL, "四川", "成都市", "founding"),
    Organisation(
        WULONG,
        SCHOOL,
        "重庆",
        "武隆区",
        "member",
        evaluator={"type": "S", "code": "5012", "province": "50", "site": "000156"},
    ),
    Organisation(LIANGJIANG, SCHOOL, "重庆", "渝北区", "member"),
    Organisation("重庆市工艺美术学校", SCHOOL, "重庆", "南岸区", "member"),
    Organisation("巫溪县职业教育中心", SCHOOL, "重庆", "巫溪县", "member"),
    Organisation("四川邻水职业中学", SCHOOL, "四川", "广安市邻水县", "member"),
    Organisation("重庆市工业学校", SCHOOL, "重庆", "沙坪坝区", "member"),
    Organisation("重庆文理学院", "university", "重庆", "永川区", "partner"),
    Organisation(CQNU, "university", "重庆", "沙坪坝区", "partner"),
    Organisation(RESEARCH_BASE, "research_base", "重庆", "渝中区", "partner"),
    Organisation("张家界市旅游学校", SCHOOL, "湖南", "张家界市", "partner"),
    Organisation("重庆海尔工业园", "enterprise", "重庆", "江北区", "member"),
    Organisation("重庆宗申集团", "enterprise", "重庆", "巴南区", "member"),
)


@dataclass(frozen=True)
class Person:
    organisation: str
    name: str
    kind: str
    student_number: str  # also the seed's key for finding the person again
    position: str | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name, "kind": self.kind, "student_number": self.student_number}
        if self.position:
            body["position"] = self.position
        return body


# Competition teams: (school, team name, members, award, rank, score).
TEAMS: tuple[tuple[str, str, tuple[str, ...], str, int, float], ...] = (
    (LEAD, "渝中职教中心代表队", ("李明轩", "张雨涵", "王浩然"), "first_prize", 1, 96.5),
    (FOUNDING, "成都财贸职高代表队", ("赵子涵", "孙嘉怡", "周俊杰"), "second_prize", 2, 91.0),
    (LIANGJIANG, "两江职教中心代表队", ("吴思远", "郑欣怡", "冯宇航"), "third_prize", 3, 87.5),
)

PEOPLE: tuple[Person, ...] = (
    *(
        Person(school, name, "student", f"NET-{index + 1}-{position + 1}")
        for index, (school, _, members, *_rest) in enumerate(TEAMS)
        for position, name in enumerate(members)
    ),
    Person(LEAD, "刘晓燕", "teacher", "T-YZ-001"),
    Person(FOUNDING, "杨帆", "teacher", "T-CC-001"),
    Person("巫溪县职业教育中心", "谭文静", "teacher", "T-WX-001"),
    Person("四川邻水职业中学", "何俊", "teacher", "T-LS-001"),
    Person(RESEARCH_BASE, "陈建国", "researcher", "R-YZ-001", "full_time_researcher"),
    Person(CQNU, "黄丽", "researcher", "R-CQNU-001", "part_time_researcher"),
    Person("重庆海尔工业园", "王志强", "expert", "E-HAIER-001"),
)

# Teachers who completed the training session, and so hold its certificate.
TRAINED_TEACHERS = ("T-WX-001", "T-LS-001")

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
_GIVEN = "子浩宇轩欣怡梓涵雨泽俊杰思远嘉佳明博文静晨阳一诺可馨若天昊然鑫磊婷雪晓峰佳琪"


def cohort_name(index: int) -> str:
    """A deterministic two- or three-character name for candidate ``index``."""
    surname = _SURNAMES[index % len(_SURNAMES)]
    first = _GIVEN[(index * 11 + index // len(_SURNAMES)) % len(_GIVEN)]
    second = _GIVEN[(index * 7 + 3) % len(_GIVEN)]
    if index % 3 == 0 or second == first:
        return surname + first
    return surname + first + second


def cohort_passed(size: int) -> int:
    """Those who pass: 2,063 of 2,114, and the same rate for another cohort size."""
    if size == COHORT_SIZE:
        return COHORT_PASSED
    return round(size * COHORT_PASSED / COHORT_SIZE)


def cohort(size: int = COHORT_SIZE, passed: int = COHORT_PASSED) -> list[tuple[Person, bool, float]]:
    """The assessment's candidates at 武隆职业教育中心: (person, passed, score).

    Those who failed are spread evenly through the cohort.
    """
    failed = size - passed
    fails = {round((i + 0.5) * size / failed) for i in range(failed)} if failed else set()
    candidates = []
    for index in range(size):
        person = Person(WULONG, cohort_name(index), "student", f"WL2022{index + 1:05d}")
        ok = index not in fails
        score = 60 + (index * 37) % 40 if ok else 35 + (index * 13) % 24
        candidates.append((person, ok, float(score)))
    return candidates


ASSESSMENT = {
    "occupation": "网络与信息安全管理员",
    "work_type": "网络安全管理员",
    "level": 4,
    "assessed_on": "2022-06-18",
    "title": "网络与信息安全管理员（网络安全管理员）四级/中级工 职业技能等级证书",
}


def assessment_ref(size: int) -> str:
    """The assessment's external reference: sending it again issues nothing twice."""
    return f"demo:{WULONG}:2022-06-18:network-security-l4:{size}"


def next_may(today: date) -> int:
    """The year of the coming May (this year's, until May has begun)."""
    return today.year if today.month < 5 else today.year + 1


def _at(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA).isoformat()


@dataclass(frozen=True)
class Event:
    key: str
    organiser: str
    body: dict[str, Any]
    actions: tuple[str, ...] = field(default=("publish",))  # the lifecycle the seed takes it through


# The competition's teams register for the May activity week; the demo then records it as held a
# week before the seed runs, since results are recorded only once an event has started.
COMPETITION_HELD_REASON = "赛程调整：比赛提前举行 (the competition was held earlier than announced)"


def competition_held(today: date) -> dict[str, str]:
    """The correction that dates the competition a week before ``today``."""
    held = today - timedelta(days=7)
    return {
        "registration_closes_at": _at(held - timedelta(days=1), 18),
        "starts_at": _at(held, 9),
        "ends_at": _at(held, 17),
        "reason": COMPETITION_HELD_REASON,
    }


def events(today: date) -> list[Event]:
    """The alliance's events, dated around ``today``."""
    year = next_may(today)
    week = date(year, 5, 10)
    training = today - timedelta(days=60)
    research = today - timedelta(days=20)
    visit = today + timedelta(days=30)
    return [
        Event(
            "activity_week",
            LEAD,
            {
                "kind": "activity_week",
                "title": f"{year}年职业教育活动周 · 成渝职教联盟开放周",
                "description": "五月职业教育活动周：技能展示、校园开放、学生企业面对面、职业体验日。",
                "starts_at": _at(week, 9),
                "ends_at": _at(week + timedelta(days=6), 17),
                "location": "重庆市渝中职业教育中心",
                "capacity": None,
            },
        ),
        Event(
            "competition",
            LEAD,
            {
                "kind": "skills_competition",
                "title": f"{year}年成渝职教联盟学生技能竞赛 · 网络搭建与应用",
                "description": "中职组团体赛，每队三人：网络搭建、服务器配置与安全防护。",
                "starts_at": _at(week + timedelta(days=2), 9),
                "ends_at": _at(week + timedelta(days=2), 17),
                "registration_closes_at": _at(week - timedelta(days=5), 18),
                "location": "重庆市渝中职业教育中心 网络实训中心",
                "capacity": 16,
                "team_size_min": 3,
                "team_size_max": 3,
                "skill": "网络搭建与应用",
            },
            actions=("publish", "close"),
        ),
        Event(
            "training",
            CQNU,
            {
                "kind": "teacher_training",
                "title": f"{training.year}年联盟“双师型”教师培训 · 信息技术类专业",
                "description": "重庆师范大学承办，面向联盟成员校专业教师，含企业实践半天。",
                "starts_at": _at(training, 9),
                "ends_at": _at(training + timedelta(days=2), 17),
                "location": "重庆师范大学 大学城校区",
                "capacity": 60,
            },
            actions=("publish", "close", "complete"),
        ),
        Event(
            "research",
            RESEARCH_BASE,
            {
                "kind": "teaching_research",
                "title": f"{research.year}年成渝中职专业课教学研讨会",
                "description": "渝中研究基地组织，专兼职研究员与成员校教师共同研讨课堂教学改革。",
                "starts_at": _at(research, 14),
                "ends_at": _at(research, 17, 30),
                "location": "渝中研究基地",
                "capacity": 80,
            },
            actions=("publish", "close", "complete"),
        ),
        Event(
            "visit",
            LEAD,
            {
                "kind": "enterprise_visit",
                "title": "学生企业面对面 · 走进重庆宗申集团",
                "description": "参观生产线，与一线技术人员面对面交流。",
                "starts_at": _at(visit, 9, 30),
                "ends_at": _at(visit, 16),
                "location": "重庆宗申集团",
                "capacity": 40,
            },
        ),
    ]


def training_certificate(title: str) -> dict[str, Any]:
    """What a teacher who completed the training session is certified with (holder and issuer added)."""
    return {
        "kind": "training_completion",
        "title": f"{title} 结业证书",
        "evidence": [{"name": title, "narrative": "completed all sessions, 24 hours"}],
    }
