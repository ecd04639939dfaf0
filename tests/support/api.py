"""Calling the gateway's HTTP API from tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import requests

from gateway.auth import mint_token


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
        headers: dict | None = None,
        **kwargs,
    ) -> requests.Response:
        merged = {**self.headers(role, org), **(headers or {})}
        return self.session.request(method, self.base_url + path, headers=merged, timeout=30, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)


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
