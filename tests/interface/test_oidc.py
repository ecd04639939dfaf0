"""Single sign-on through a real, certified OpenID Provider (panva/oidc-provider, tests/oidc/).

The test starts the provider with Node, registers the gateway as its client, and drives the
authorization code flow with PKCE over HTTP as a browser would: the gateway's redirect, the
provider's login and consent forms, the redirect back to the gateway's callback.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from tests.support.api import Api, create, ok
from tests.support.oidc_provider import gateway_settings, provider_installed, running_provider

FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*method="post">(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)"')

pytestmark = pytest.mark.skipif(
    not provider_installed(),
    reason="the OpenID Provider is not installed: run `npm ci` in tests/oidc (scripts/ensure-node-packages does)",
)


def callback_uri(config) -> str:
    return f"http://{config['WEB_SERVER_ADDRESS']}/api/v1/auth/oidc/callback"


@pytest.fixture
def provider(tmp_path, config) -> Iterator[str]:
    """The provider's issuer URL, its client being the gateway of this test's configuration."""
    with running_provider(callback_uri(config), tmp_path / "oidc-provider.log") as issuer:
        yield issuer


@pytest.fixture
def sso_api(start_services, config, provider) -> Api:
    start_services(overrides=gateway_settings(provider, callback_uri(config)))
    return Api.for_config(config)


def submit_form(browser: requests.Session, page: requests.Response, **fields: str) -> requests.Response:
    """Post the page's form (its hidden fields and ``fields``), following redirects as a browser does."""
    match = FORM.search(page.text)
    assert match, page.text[:500]
    action, body = match.groups()
    data = {name: html.unescape(value) for name, value in HIDDEN.findall(body)} | fields
    return browser.post(requests.compat.urljoin(page.url, html.unescape(action)), data=data, timeout=30)


def sign_in_through_provider(api: Api, subject: str, **params: str) -> requests.Response:
    """A browser's whole trip: the gateway's redirect, the provider's login and consent, the callback."""
    browser = requests.Session()
    login_page = browser.get(f"{api.base_url}/api/v1/auth/oidc/login", params=params, timeout=30)
    assert login_page.status_code == 200 and 'name="login"' in login_page.text, login_page.text[:500]
    assert (
        login_page.history[0].status_code == 302
        and "code_challenge_method=S256" in login_page.history[0].headers["Location"]
    )
    consent_page = submit_form(browser, login_page, login=subject, password="anything")
    if 'name="prompt" value="consent"' in consent_page.text:
        return submit_form(browser, consent_page)
    return consent_page


def linked_teacher(api: Api, provider: str, subject: str) -> tuple[dict, dict]:
    """A school's teacher whose account is linked to ``subject`` at the provider; (school, account)."""
    school = create(api, "/api/v1/organisations", {"name": "重庆市工艺美术学校", "kind": "secondary_vocational_school"})
    teacher = create(
        api,
        "/api/v1/accounts",
        {"login": "liu@gongmei.edu.cn", "roles": [{"role": "teacher", "organisation_id": school["id"]}]},
    )
    create(api, f"/api/v1/accounts/{teacher['id']}/oidc-links", {"issuer": provider, "subject": subject})
    return school, teacher


def app_redirect(answer: requests.Response) -> tuple[str, dict[str, str]]:
    """The callback's 303 to the web app: the screen and the values its fragment carries."""
    (callback,) = [r for r in answer.history if urlsplit(r.url).path == "/api/v1/auth/oidc/callback"]
    assert callback.status_code == 303 and callback.headers["Cache-Control"] == "no-store", callback.text
    location = urlsplit(callback.headers["Location"])
    # Everything is in the fragment, which a browser keeps to itself: nothing in the path or query.
    assert (location.scheme, location.netloc, location.path, location.query) == ("", "", "/", "")
    screen, _, values = location.fragment.partition("?")
    return screen, dict(parse_qsl(values, strict_parsing=True))


def test_the_sign_in_methods_offer_the_password_and_the_provider(sso_api, provider):
    methods = ok(sso_api.get("/api/v1/auth/methods", role=None))
    assert methods == {
        "password": True,
        "oidc": [{"name": "统一身份认证 Single sign-on", "issuer": provider, "login_url": "/api/v1/auth/oidc/login"}],
    }


def test_a_linked_account_signs_in_through_the_provider(sso_api, provider):
    school, teacher = linked_teacher(sso_api, provider, "liu.teacher")

    answer = sign_in_through_provider(sso_api, "liu.teacher")
    assert answer.status_code == 200, answer.text
    assert answer.url.startswith(f"{sso_api.base_url}/api/v1/auth/oidc/callback?")
    tokens = answer.json()
    assert tokens["account"]["id"] == teacher["id"] and tokens["token_type"] == "Bearer"
    me = ok(sso_api.get("/api/v1/me", token=tokens["access_token"]))
    assert me["roles"] == [{"role": "teacher", "organisation_id": school["id"]}]
    # the refresh token of a single sign-on works like a password sign-in's
    refreshed = sso_api.post("/api/v1/auth/refresh", role=None, json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text


def test_a_subject_linked_to_no_account_is_refused(sso_api):
    answer = sign_in_through_provider(sso_api, "stranger")
    assert answer.status_code == 401 and answer.headers["Content-Type"].startswith("application/problem+json")
    assert "no account is linked" in answer.json()["detail"]


def test_a_callback_without_the_flow_this_browser_began_is_refused(sso_api):
    forged = sso_api.get("/api/v1/auth/oidc/callback?code=stolen&state=guessed", role=None)
    assert forged.status_code == 401 and "no sign-in is under way" in forged.json()["detail"]


def test_a_sign_in_begun_by_the_web_app_returns_to_it_with_the_tokens_in_the_fragment(sso_api, provider):
    school, teacher = linked_teacher(sso_api, provider, "liu.teacher")

    answer = sign_in_through_provider(sso_api, "liu.teacher", return_to="app")
    screen, values = app_redirect(answer)
    assert screen == "/signed-in" and set(values) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert answer.status_code == 200 and "/app/main.js" in answer.text  # the web app, which reads the fragment
    me = ok(sso_api.get("/api/v1/me", token=values["access_token"]))
    assert me["account"]["id"] == teacher["id"]
    assert me["roles"] == [{"role": "teacher", "organisation_id": school["id"]}]
    refreshed = sso_api.post("/api/v1/auth/refresh", role=None, json={"refresh_token": values["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    assert int(values["expires_in"]) == refreshed.json()["expires_in"]


def test_a_failed_sign_in_begun_by_the_web_app_returns_to_its_sign_in_screen_with_the_reason(sso_api):
    answer = sign_in_through_provider(sso_api, "stranger", return_to="app")
    screen, values = app_redirect(answer)
    assert screen == "/sign-in" and values["sso_error"] == "Unauthorized"
    assert "no account is linked" in values["sso_detail"]
    assert not {"access_token", "refresh_token"} & set(values)
