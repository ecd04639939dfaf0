"""The web app in the browser tests: accounts to sign in with, and signing in through the page."""

from __future__ import annotations

from pathlib import Path

import requests
from openpyxl import Workbook
from playwright.sync_api import expect

from tests.support.browser import Page
from tests.support.system import RunningSystem

PASSWORD = "correct horse battery staple 7"


def account(system: RunningSystem, login: str, roles: list[dict], person_id: str | None = None) -> dict:
    """An account with ``roles`` and the test password, created by the alliance admin (once per login)."""
    listed = requests.get(f"{system.url}/api/v1/accounts", headers=system.admin(), params={"limit": 200}, timeout=30)
    assert listed.status_code == 200, listed.text
    for existing in listed.json()["items"]:
        if existing["login"] == login:
            return existing
    body = {"login": login, "roles": roles, "password": PASSWORD, "person_id": person_id}
    created = requests.post(f"{system.url}/api/v1/accounts", headers=system.admin(), json=body, timeout=30)
    assert created.status_code == 201, created.text
    return created.json()


def sign_in(tab: Page, login: str, password: str = PASSWORD, path: str = "/") -> None:
    """Open ``path`` and sign in with the keyboard; wait for the home (or the screen asked for)."""
    tab.open(path)
    tab.page.get_by_label("账号").fill(login)
    tab.page.get_by_label("密码").fill(password)
    tab.page.get_by_label("密码").press("Enter")
    expect(tab.page.locator("#account")).to_be_visible()


def confirm(tab: Page, reason: str | None = None) -> None:
    """Answer the screen's confirmation dialog (with ``reason``, where it asks for one)."""
    dialog = tab.page.locator("dialog.confirm")
    expect(dialog).to_be_visible()
    if reason is not None:
        dialog.locator("textarea").fill(reason)
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden()


def workbook(path: Path, header: list[str], rows: list[list]) -> Path:
    """An .xlsx file as a school fills one in: ``header``, then ``rows``."""
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(list(row))
    book.save(path)
    return path
