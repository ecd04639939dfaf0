"""Calling the gateway's HTTP API from tests."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

import requests

from gateway.auth import mint_token
from tests.support.cli import ALLIANCE


@dataclass
class Api:
    """A client of the running gateway, with tokens for each kind of caller."""

    base_url: str
    secret: str
    session: requests.Session

    @classmethod
    def for_config(cls, config: dict) -> Api:
        """A client of the gateway a test's configuration starts."""
        return cls(f"http://{config['WEB_SERVER_ADDRESS']}", config["JWT_SECRET"], requests.Session())

    def token(self, role: str = "alliance_admin", org: str | None = None) -> str:
        return mint_token(self.secret, role, org)

    def headers(self, role: str | None = "alliance_admin", org: str | None = None) -> dict:
        return {"Authorization": f"Bearer {self.token(role, org)}"} if role else {}

    def request(
        self,
        method: str,
        path: str,
        *,
        role: str | None = "alliance_admin",
        org: str | None = None,
        token: str | None = None,
        headers: dict | None = None,
        **kwargs,
    ) -> requests.Response:
        """A request with a service token for ``role`` (and ``org``), or with an account's ``token``."""
        if token == "":
            raise ValueError("an empty account token: sign in first")
        own = {"Authorization": f"Bearer {token}"} if token is not None else self.headers(role, org)
        merged = {**own, **(headers or {})}
        return self.session.request(method, self.base_url + path, headers=merged, timeout=30, **kwargs)

    def sign_in(self, login: str, password: str) -> str:
        """Sign in through ``POST /api/v1/auth/login``; the account's access token."""
        return self.sign_in_tokens(login, password)["access_token"]

    def sign_in_tokens(self, login: str, password: str) -> dict:
        """Sign in through ``POST /api/v1/auth/login``; the whole answer (access and refresh token)."""
        return ok(self.post("/api/v1/auth/login", role=None, json={"login": login, "password": password}))

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        return self.request("PATCH", path, **kwargs)


def ok(response: requests.Response, status: int = 200) -> dict:
    """The body of a response that must have ``status``."""
    assert response.status_code == status, response.text
    return response.json()


def create(api: Api, path: str, body: dict, **kwargs) -> dict:
    """POST ``body``, which must answer 201 Created; the created resource."""
    return ok(api.post(path, json=body, **kwargs), 201)


def all_items(fetch_page: Callable[[dict], dict], **params) -> list[dict]:
    """Every item of a paginated listing; ``fetch_page(query)`` answers one page as a dict."""
    items, cursor = [], None
    while True:
        page = fetch_page({**params, "limit": 200, **({"cursor": cursor} if cursor else {})})
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def create_admin(config: dict, login: str, password: str, *, expect_failure: bool = False) -> dict | str:
    """``alliance users create-admin`` run as an operator against a test's services; the account
    it prints, or (``expect_failure``) what it said on stderr."""
    result = subprocess.run(
        [ALLIANCE, "users", "create-admin", "--login", login, "--password-stdin"],
        input=password + "\n",
        env={**os.environ, "AMQP_URI": str(config["AMQP_URI"]), "RPC_TIMEOUT_SECONDS": "20"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if expect_failure:
        assert result.returncode != 0, result.stdout
        return result.stderr
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
