"""The web app's front door in headless Chromium: signing in, a role's home, errors next to fields,
a reset link, signing out; at desktop and phone width."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from alliance import demo
from tests.support.web_app import PASSWORD, account, sign_in

pytestmark = pytest.mark.e2e


def lead_school(seeded) -> dict:
    return next(o for o in seeded.all("/api/v1/organisations") if o["name"] == demo.LEAD)


def test_the_front_door_asks_to_sign_in_and_a_wrong_password_is_said_next_to_the_form(page, seeded):
    page.open("/")
    expect(page.page.get_by_role("heading", name=re.compile("登录"))).to_be_visible()
    account(seeded, "secretary@example.org", [{"role": "alliance_admin"}])
    page.expect_status(401)
    page.page.get_by_label("账号").fill("secretary@example.org")
    page.page.get_by_label("密码").fill("not the password")
    page.page.get_by_role("button", name=re.compile("登录")).click()
    alert = page.page.locator("form .form-alert")
    expect(alert).to_be_visible()
    answer = requests.post(
        f"{seeded.url}/api/v1/auth/login", json={"login": "secretary@example.org", "password": "wrong"}, timeout=30
    )
    assert answer.status_code == 401
    assert answer.json()["title"] in alert.inner_text()  # the API's own words, shown to the user
    expect(page.page.locator("#account")).to_be_hidden()
    page.screenshot("app-sign-in-error")


def test_the_secretary_signs_in_sees_the_alliance_tasks_and_signs_out(page, seeded):
    account(seeded, "secretary@example.org", [{"role": "alliance_admin"}])
    sign_in(page, "secretary@example.org")
    expect(page.page.get_by_role("heading", name=re.compile("您好"))).to_be_visible()
    tasks = page.page.locator(".tasks").inner_text()
    assert "成员单位" in tasks and "证书" in tasks and "我的证书" not in tasks
    assert demo.ALLIANCE["name"] in page.page.inner_text("main")
    page.screenshot("app-home-secretary")
    page.page.get_by_role("button", name=re.compile("退出")).click()
    expect(page.page.get_by_role("heading", name=re.compile("登录"))).to_be_visible()
    # Signed out means the refresh token no longer works either: the page kept nothing.
    assert page.page.evaluate("sessionStorage.getItem('alliance.session')") is None


def test_a_teacher_gets_the_school_tasks_and_a_screen_asked_for_before_signing_in(page, seeded):
    school = lead_school(seeded)
    account(seeded, "teacher@example.org", [{"role": "teacher", "organisation_id": school["id"]}])
    page.open("/#/password")  # asked for before signing in: shown after it
    page.page.get_by_label("账号").fill("teacher@example.org")
    page.page.get_by_label("密码").fill(PASSWORD)
    page.page.get_by_label("密码").press("Enter")
    expect(page.page.get_by_role("heading", name=re.compile("修改密码"))).to_be_visible()
    page.page.goto(seeded.url + "/#/")
    expect(page.page.locator(".grants")).to_contain_text(demo.LEAD)
    tasks = page.page.locator(".tasks").inner_text()
    assert "人员" in tasks and "成员资格" not in tasks


def test_a_reset_link_sets_the_password_and_the_new_one_signs_in(page, seeded):
    created = account(seeded, "newadmin@example.org", [{"role": "alliance_admin"}])
    link = requests.post(f"{seeded.url}/api/v1/accounts/{created['id']}/reset-link", headers=seeded.admin(), timeout=30)
    assert link.status_code == 201, link.text
    url = link.json()["url"]
    assert "/reset-password#token=" in url
    page.page.goto(seeded.url + url[url.index("/reset-password") :])
    page.page.get_by_label("新密码").fill("a brand new passphrase 42")
    page.page.get_by_label("新密码").press("Enter")
    expect(page.page.get_by_role("heading", name=re.compile("登录"))).to_be_visible()
    sign_in(page, "newadmin@example.org", "a brand new passphrase 42")
    expect(page.page.get_by_role("heading", name=re.compile("您好"))).to_be_visible()


def test_the_student_home_fits_a_phone(phone, seeded):
    school = lead_school(seeded)
    person = seeded.all(f"/api/v1/organisations/{school['id']}/people", kind="student")[0]
    account(seeded, "student@example.org", [{"role": "student", "organisation_id": school["id"]}], person["id"])
    sign_in(phone, "student@example.org")
    expect(phone.page.get_by_role("heading", name=re.compile("您好"))).to_be_visible()
    assert "我的证书" in phone.page.locator(".tasks").inner_text()
    assert phone.fits_width()
    phone.screenshot("app-home-student-phone")
