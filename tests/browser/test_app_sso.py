"""Single sign-on from the web app in headless Chromium: a deployment of its own with a real OpenID
Provider (tests/oidc), the sign-in screen's button, the provider's forms, and the way back."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import expect

from alliance.embedded_db import free_port
from tests.support.browser import Page, open_tab
from tests.support.infrastructure import own_vhost
from tests.support.oidc_provider import gateway_settings, provider_installed, running_provider
from tests.support.system import RunningSystem, system_environment
from tests.support.web_app import account

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not provider_installed(), reason="the OpenID Provider is not installed (npm ci in tests/oidc)"),
]

SSO_BUTTON = re.compile("使用统一身份认证登录")
OTHER_HOSTS = re.compile(r"^https?://(?!127\.0\.0\.1[:/])")


@pytest.fixture(scope="module")
def sso_system(infrastructure, tmp_path_factory) -> Iterator[tuple[RunningSystem, str]]:
    """`alliance up` on a vhost of its own whose gateway signs in with the provider; (system, issuer)."""
    home = tmp_path_factory.mktemp("alliance-sso")
    port = free_port()
    callback = f"http://127.0.0.1:{port}/api/v1/auth/oidc/callback"
    with own_vhost(infrastructure) as uri, running_provider(callback, home / "oidc-provider.log") as issuer:
        env = {**system_environment(uri, home / "var"), **gateway_settings(issuer, callback)}
        system = RunningSystem(env, port, home / "up.log")
        try:
            system.wait_ready()
            yield system, issuer
        finally:
            assert system.stop() == 0


@pytest.fixture
def tab(browser, sso_system, output_dir) -> Iterator[Page]:
    system, _ = sso_system
    with open_tab(browser, system.url, output_dir, viewport={"width": 1100, "height": 900}) as opened:
        opened.expect_status(404)  # the provider's pages ask for a favicon it does not have
        # ...and for web fonts from the internet, which this machine may not reach: an empty answer.
        opened.page.route(OTHER_HOSTS, lambda route: route.fulfill(status=200, body=""))
        yield opened


def through_the_provider(tab: Page, issuer: str, subject: str) -> None:
    """Sign in at the provider's development forms as ``subject``, and consent if asked."""
    tab.page.locator('input[name="login"]').fill(subject)
    tab.page.locator('input[name="password"]').fill("anything")
    tab.page.locator('form button[type="submit"]').click()
    expect(tab.page.locator('input[name="login"]')).to_have_count(0)
    if tab.page.url.startswith(issuer):  # the consent form, on a first sign-in
        tab.page.locator('form button[type="submit"]').click()


def test_a_linked_account_signs_in_with_the_button_and_lands_on_its_home(tab, sso_system):
    system, issuer = sso_system
    secretary = account(system, "asm-sso-secretary@example.org", [{"role": "alliance_admin"}])
    link = requests.post(
        f"{system.url}/api/v1/accounts/{secretary['id']}/oidc-links",
        headers=system.admin(),
        json={"issuer": issuer, "subject": "asm.secretary"},
        timeout=30,
    )
    assert link.status_code == 201, link.text

    tab.open("/")
    button = tab.page.get_by_role("link", name=SSO_BUTTON)
    expect(button).to_be_visible()
    assert button.get_attribute("href") == "/api/v1/auth/oidc/login?return_to=app"
    tab.screenshot("app-sign-in-sso")
    button.click()
    expect(tab.page.locator('input[name="login"]')).to_be_visible()
    through_the_provider(tab, issuer, "asm.secretary")

    expect(tab.page.locator("#account")).to_be_visible()
    expect(tab.page.get_by_role("heading", name=re.compile("您好"))).to_be_visible()
    expect(tab.page.locator("#account-name")).to_contain_text("asm-sso-secretary@example.org")
    # The tokens were read from the address and left it: neither the bar nor the history keeps them.
    assert "access_token" not in tab.page.url
    assert tab.page.evaluate("JSON.parse(sessionStorage.getItem('alliance.session')).refresh_token")


def test_a_subject_linked_to_no_account_comes_back_to_the_sign_in_screen_with_the_reason(tab, sso_system):
    _, issuer = sso_system
    tab.open("/")
    tab.page.get_by_role("link", name=SSO_BUTTON).click()
    expect(tab.page.locator('input[name="login"]')).to_be_visible()
    through_the_provider(tab, issuer, "asm.stranger")

    alert = tab.page.locator(".sso .message")
    expect(alert).to_contain_text("统一身份认证登录失败")
    expect(alert).to_contain_text("no account is linked")
    expect(tab.page.locator("#account")).to_be_hidden()
    expect(tab.page.get_by_label("账号")).to_be_visible()
