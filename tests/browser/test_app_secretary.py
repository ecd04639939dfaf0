"""The secretary's screens in headless Chromium: organisations, memberships through their lifecycle
and periods, the alliance's corrections and the statistics with their export; at desktop and phone
width."""

from __future__ import annotations

import re
import uuid

import openpyxl
import pytest
import requests
from playwright.sync_api import expect

from alliance import demo
from tests.browser.conftest import COHORT_SIZE
from tests.support.web_app import account, sign_in

pytestmark = pytest.mark.e2e

SECRETARY = "sec-secretary@example.org"
# The seed passes the demo's share of a smaller cohort: 122 of 125 (2,063 of 2,114 when whole).
COHORT_PASSED = (
    demo.COHORT_PASSED
    if COHORT_SIZE == demo.COHORT_SIZE
    else round(COHORT_SIZE * demo.COHORT_PASSED / demo.COHORT_SIZE)
)


def unique(name: str) -> str:
    """An organisation name no other test uses."""
    return f"{name}-{uuid.uuid4().hex[:6]}"


def as_secretary(tab, seeded, path: str = "/") -> None:
    account(seeded, SECRETARY, [{"role": "alliance_admin"}])
    sign_in(tab, SECRETARY, path=path)


def alliance_id(seeded) -> str:
    return next(a for a in seeded.all("/api/v1/alliances") if a["name"] == demo.ALLIANCE["name"])["id"]


def organisation_named(seeded, name: str) -> dict:
    return next(o for o in seeded.all("/api/v1/organisations", name=name) if o["name"] == name)


def api(seeded, method: str, path: str, **body) -> dict:
    answer = requests.request(method, f"{seeded.url}{path}", headers=seeded.admin(), json=body, timeout=30)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def applied_school(seeded, name: str) -> tuple[dict, dict]:
    """A school registered, and its application for membership, through the API."""
    school = api(seeded, "POST", "/api/v1/organisations", name=name, kind="secondary_vocational_school", region="重庆")
    path = f"/api/v1/alliances/{alliance_id(seeded)}/memberships"
    return school, api(seeded, "POST", path, organisation_id=school["id"], role="member")


def member_school(seeded, name: str) -> tuple[dict, dict]:
    """A school registered and approved as a member, through the API."""
    school, applied = applied_school(seeded, name)
    return school, api(seeded, "POST", f"/api/v1/memberships/{applied['id']}/approve")


def confirm(tab, button: str, reason: str | None = None) -> None:
    dialog = tab.page.locator("dialog.confirm")
    expect(dialog).to_be_visible()
    if reason is not None:
        dialog.get_by_label("原因").fill(reason)
    dialog.get_by_role("button", name=re.compile(button)).click()
    expect(dialog).to_have_count(0)


def test_the_secretary_registers_a_school_it_applies_and_is_approved_suspended_and_reinstated(page, seeded):
    name = unique("测试职业学校甲")
    as_secretary(page, seeded, "/#/organisations")
    expect(page.page.get_by_role("heading", name=re.compile("成员单位"))).to_be_visible()
    page.page.get_by_text("登记新单位").click()
    register = page.page.locator("details.register form")
    register.get_by_label("名称").fill(name)
    register.get_by_label(re.compile("^类型")).select_option("secondary_vocational_school")
    register.get_by_label("地区").fill("重庆")
    register.get_by_label("区县").fill("武隆区")
    register.get_by_role("button", name=re.compile("登记")).click()

    # Its page: no membership yet, so it applies (the secretary on its behalf).
    expect(page.page.get_by_role("heading", name=re.compile(name))).to_be_visible()
    school = organisation_named(seeded, name)
    assert school["kind"] == "secondary_vocational_school" and school["district"] == "武隆区"
    expect(page.page.locator(".organisation-memberships")).to_contain_text("尚未申请加入联盟")
    page.page.get_by_label("角色").select_option("member")
    page.page.get_by_role("button", name=re.compile("提交申请")).click()
    expect(page.page.get_by_role("heading", name=re.compile("Membership"))).to_be_visible()
    expect(page.page.locator("dl.details")).to_contain_text("已申请")

    # The list: approve, suspend with a reason (asked for), reinstate.
    page.page.goto(f"{seeded.url}/#/memberships")
    row = page.page.locator("tr", has_text=name)
    row.get_by_role("button", name=re.compile("批准")).click()
    confirm(page, "批准")
    expect(row.locator(".badge")).to_have_text(re.compile("在册"))

    row.get_by_role("button", name=re.compile("暂停")).click()
    dialog = page.page.locator("dialog.confirm")
    dialog.get_by_role("button", name=re.compile("暂停")).click()
    expect(dialog.locator(".field-error")).to_have_text(re.compile("请填写原因"))  # a suspension needs a reason
    confirm(page, "暂停", "年度报告逾期未交")
    expect(row.locator(".badge")).to_have_text(re.compile("已暂停"))
    memberships = seeded.all(f"/api/v1/alliances/{alliance_id(seeded)}/memberships", organisation_id=school["id"])
    assert [(m["status"], m["history"][-1]["reason"]) for m in memberships] == [("suspended", "年度报告逾期未交")]
    assert memberships[0]["history"][-1]["by"].startswith("account:")  # the secretary, signed in

    row.get_by_role("button", name=re.compile("恢复")).click()
    confirm(page, "恢复")
    expect(row.locator(".badge")).to_have_text(re.compile("在册"))
    assert seeded.get(f"/api/v1/memberships/{memberships[0]['id']}")["status"] == "active"
    expect(page.page.locator("#toast")).to_be_hidden()  # not over the screenshot
    page.screenshot("app-memberships")

    # The organisation's page now shows its one period, active.
    row.get_by_role("link", name=name, exact=True).click()
    section = page.page.locator(".organisation-memberships")
    expect(section.locator(".badge")).to_have_text(re.compile("在册"))
    # An open membership: no new application offered.
    expect(section.get_by_role("heading", name=re.compile("申请加入联盟"))).to_have_count(0)
    page.screenshot("app-organisation")

    # A change of role, with its reason, is a line of the history.
    section.get_by_role("link", name=re.compile("记录与操作")).click()
    change = page.page.locator("form", has=page.page.get_by_role("button", name=re.compile("变更角色")))
    change.get_by_label("角色").select_option("partner")
    change.get_by_label("原因").fill("转为校企合作单位")
    change.get_by_role("button", name=re.compile("变更角色")).click()
    line = page.page.locator("section.period tbody tr", has_text="转为校企合作单位")
    expect(line).to_contain_text("成员单位 Member → 合作单位 Partner")
    expect(line).to_contain_text(SECRETARY)
    assert seeded.get(f"/api/v1/memberships/{memberships[0]['id']}")["role"] == "partner"

    page.page.goto(f"{seeded.url}/#/organisations")
    expect(page.page.locator(".paged table")).to_contain_text(demo.WULONG)
    page.screenshot("app-organisations")
    page.page.get_by_label("名称包含").fill(name)
    page.page.get_by_role("button", name=re.compile("筛选")).click()
    expect(page.page.locator(".paged tbody tr")).to_have_count(1)
    expect(page.page.locator(".paged .count")).to_have_text("1 条 in all")
    assert "null" not in page.page.locator(".paged").inner_text()  # a last page has no "more" button, nor a stand-in


def test_the_school_leaves_and_rejoins_and_the_history_keeps_both_periods(page, seeded):
    name = unique("测试职业学校乙")
    school, membership = member_school(seeded, name)
    login = f"sec-school-{school['id']}@example.org"
    account(seeded, login, [{"role": "org_admin", "organisation_id": school["id"]}])
    sign_in(page, login, path=f"/#/organisations/{school['id']}")
    expect(page.page.get_by_role("heading", name=re.compile(name))).to_be_visible()
    page.page.get_by_role("link", name=re.compile("记录与操作")).click()

    # The school's own admin may leave, and nothing else.
    toolbar = page.page.locator(".toolbar")
    expect(toolbar.get_by_role("button")).to_have_text([re.compile("退出")])
    toolbar.get_by_role("button", name=re.compile("退出")).click()
    confirm(page, "退出", "学校调整合作方向")
    expect(page.page.locator("dl.details")).to_contain_text("已退出")

    # Rejoining applies again: a new period, the first one kept.
    toolbar.get_by_role("button", name=re.compile("重新加入")).click()
    confirm(page, "重新加入")
    expect(page.page.locator("dl.details")).to_contain_text("已申请")
    periods = seeded.all(f"/api/v1/alliances/{alliance_id(seeded)}/memberships", organisation_id=school["id"])
    assert sorted(p["status"] for p in periods) == ["applied", "left"]
    rejoined = next(p for p in periods if p["status"] == "applied")
    assert page.page.url.endswith(f"#/memberships/{rejoined['id']}")
    api(seeded, "POST", f"/api/v1/memberships/{rejoined['id']}/approve")
    page.page.reload()

    shown = page.page.locator("section.period")
    expect(shown).to_have_count(2)
    first, second = shown.nth(0), shown.nth(1)
    expect(first.get_by_role("heading")).to_contain_text("第 1 期")
    expect(first.locator(".badge")).to_have_text(re.compile("已退出"))
    expect(first.locator("tbody tr")).to_have_count(3)  # applied, approved, left
    expect(first.locator("tbody tr").nth(2)).to_contain_text("学校调整合作方向")
    expect(first.locator("tbody tr").nth(2)).to_contain_text(login)  # who left: the school's admin
    expect(second.get_by_role("heading")).to_contain_text("第 2 期")
    expect(second.locator(".badge")).to_have_text(re.compile("在册"))
    expect(second.locator("tbody tr")).to_have_count(2)  # applied again, approved
    assert membership["id"] == first.get_attribute("data-membership")
    page.screenshot("app-membership-history")


def test_the_statistics_show_wulong_s_cohort_and_export_the_same_figures(page, seeded, tmp_path):
    wulong = organisation_named(seeded, demo.WULONG)
    as_secretary(page, seeded, "/#/stats?year=2022")
    expect(page.page.get_by_role("heading", name=re.compile("统计"))).to_be_visible()
    row = page.page.locator('[data-block="by-organisation"] tr', has_text=demo.WULONG)
    expect(row.locator('[data-key="assessed"]')).to_have_text(f"{COHORT_SIZE:,}")
    expect(row.locator('[data-key="certified"]')).to_have_text(f"{COHORT_PASSED:,}")
    rate = f"{100 * round(COHORT_PASSED / COHORT_SIZE, 3):.1f} %"
    expect(row.locator('[data-key="rate"]')).to_have_text(rate)
    chart = page.page.locator('[data-block="by-organisation"] svg[role="img"]')
    expect(chart).to_contain_text(f"{demo.WULONG} · {COHORT_PASSED:,} / {COHORT_SIZE:,} · {rate}")
    expect(page.page.locator(".stats-counts")).to_contain_text("成员资格（按状态）")
    page.screenshot("app-stats")

    page.page.get_by_label("范围").select_option(wulong["id"])
    page.page.get_by_role("button", name=re.compile("筛选")).click()
    expect(page.page.locator(".stats-scope")).to_have_text(f"{demo.WULONG} · 2022")
    expect(page.page.locator('.tile[data-key="assessed"] .value')).to_have_text(f"{COHORT_SIZE:,}")
    expect(page.page.locator('.tile[data-key="rate"] .value')).to_have_text(rate)
    level = page.page.locator('[data-block="by-occupation-and-level"] tbody tr', has_text=demo.ASSESSMENT["occupation"])
    expect(level).to_contain_text("四级/中级工")

    with page.page.expect_download() as downloaded:
        page.page.get_by_role("button", name=re.compile("导出 Excel")).click()
    saved = tmp_path / downloaded.value.suggested_filename
    downloaded.value.save_as(saved)
    assert saved.suffix == ".xlsx"
    rows = [row for row in openpyxl.load_workbook(saved).active.iter_rows(values_only=True) if any(row)]
    total = next(row for row in rows if row[0] and "合计" in str(row[0]))
    assert list(total[2:5]) == [COHORT_SIZE, COHORT_PASSED, pytest.approx(COHORT_PASSED / COHORT_SIZE, abs=5e-4)]
    occupation = next(row for row in rows if row[0] == demo.ASSESSMENT["occupation"])
    assert list(occupation[1:4]) == [demo.ASSESSMENT["level"], COHORT_SIZE, COHORT_PASSED]


def test_errors_of_the_api_show_beside_their_fields_and_the_alliance_keeps_its_corrections(page, seeded):
    as_secretary(page, seeded, "/#/organisations?register=1")
    register = page.page.locator("details.register form")
    page.expect_status(400)
    register.get_by_label("名称").fill(unique("测试职业学校丙"))
    register.get_by_label("技能等级认定机构").check()
    register.get_by_label("机构代码").fill("12")
    register.get_by_label("省份代码").fill("50")
    register.get_by_label("考点序号").fill("000001")
    register.get_by_role("button", name=re.compile("登记")).click()
    code = register.locator('[data-field="evaluator.code"]')
    expect(code.locator(".field-error")).to_be_visible()
    expect(code.locator("input")).to_have_attribute("aria-invalid", "true")

    # A name another organisation holds: the API's 409 names the field.
    page.expect_status(409)
    register.get_by_label("技能等级认定机构").uncheck()
    register.get_by_label("名称").fill(demo.WULONG)
    register.get_by_role("button", name=re.compile("登记")).click()
    name = register.locator('[data-field="name"]')
    expect(name.locator(".field-error")).to_have_text(re.compile("already registered"))
    expect(name.locator("input")).to_have_attribute("aria-invalid", "true")
    expect(register.locator(".form-alert")).to_be_visible()
    assert len([o for o in seeded.all("/api/v1/organisations", name=demo.WULONG) if o["name"] == demo.WULONG]) == 1

    # Creating an alliance: a name is needed, and the API says so beside it (nothing is created).
    alliances = len(seeded.all("/api/v1/alliances"))
    page.page.goto(f"{seeded.url}/#/alliances/new")
    create = page.page.locator("form", has=page.page.get_by_role("button", name=re.compile("创建")))
    create.get_by_label("地区").fill("成渝地区")
    create.get_by_role("button", name=re.compile("创建")).click()
    expect(create.locator('[data-field="name"] .field-error')).to_be_visible()
    expect(create.locator('[data-field="name"] textarea, [data-field="name"] input')).to_have_attribute(
        "aria-invalid", "true"
    )
    assert len(seeded.all("/api/v1/alliances")) == alliances

    # The alliance: a correction with its reason lands in the history; a second one puts it back.
    page.page.goto(f"{seeded.url}/#/alliance")
    expect(page.page.get_by_role("heading", name=re.compile(demo.ALLIANCE["name"]))).to_be_visible()
    correction = page.page.locator("form", has=page.page.get_by_label("更正原因"))
    original = demo.ALLIANCE["region"]
    for region, reason in ((f"{original}（测试）", "核对地区名称"), (original, "恢复原名称")):
        correction.get_by_label("地区").fill(region)
        correction.get_by_label("更正原因").fill(reason)
        correction.get_by_role("button", name=re.compile("保存更正")).click()
        expect(page.page.locator("table tbody tr", has_text=reason)).to_contain_text(SECRETARY)
    history = seeded.get(f"/api/v1/alliances/{alliance_id(seeded)}")["history"]
    assert [h["reason"] for h in history[-2:]] == ["核对地区名称", "恢复原名称"]
    assert history[-1]["changes"] == [{"field": "region", "from": f"{original}（测试）", "to": original}]


def test_the_memberships_fit_a_phone(phone, seeded):
    name = unique("测试职业学校丁")
    _, applied = applied_school(seeded, name)
    as_secretary(phone, seeded, "/#/memberships?status=applied")
    row = phone.page.locator("tr", has_text=name)
    expect(row.locator(".badge")).to_have_text(re.compile("已申请"))
    expect(row.get_by_role("button", name=re.compile("拒绝"))).to_be_visible()
    assert phone.fits_width()
    phone.screenshot("app-memberships-phone")

    row.get_by_role("button", name=re.compile("批准")).click()
    confirm(phone, "批准")
    expect(row).to_have_count(0)  # approved: no longer among the applications
    assert seeded.get(f"/api/v1/memberships/{applied['id']}")["status"] == "active"
    phone.page.goto(f"{seeded.url}/#/memberships/{applied['id']}")
    expect(phone.page.locator("section.period .badge")).to_have_text(re.compile("在册"))
    assert phone.fits_width()
