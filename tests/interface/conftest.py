"""Interface tests: the real services in nameko containers on the real broker and database."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import requests

from certificates_svc.service import CertificatesService
from events_svc.service import EventsService
from gateway.auth import mint_token
from gateway.service import GatewayService
from members_svc.service import MembersService

ALL_SERVICES = (MembersService, EventsService, CertificatesService, GatewayService)
RUNNERS: list = []  # the runners started by the current test, newest last


@dataclass
class Api:
    """A client of the running gateway, with tokens for each kind of caller."""

    base_url: str
    secret: str
    session: requests.Session

    def token(self, role: str = "alliance_admin", org: str | None = None) -> str:
        return mint_token(self.secret, role, org)

    def headers(self, role: str | None = "alliance_admin", org: str | None = None) -> dict:
        return {"Authorization": f"Bearer {self.token(role, org)}"} if role else {}

    def request(self, method: str, path: str, *, role: str | None = "alliance_admin",
                org: str | None = None, headers: dict | None = None, **kwargs) -> requests.Response:
        merged = {**self.headers(role, org), **(headers or {})}
        return self.session.request(method, self.base_url + path, headers=merged, timeout=30, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)


@pytest.fixture
def start_services(runner_factory, config):
    """Start the given service classes (default: all four) with this test's config."""

    def start(*service_classes, overrides: dict | None = None):
        runner = runner_factory({**config, **(overrides or {})}, *(service_classes or ALL_SERVICES))
        runner.start()
        RUNNERS.append(runner)
        return runner

    yield start
    RUNNERS.clear()


@pytest.fixture
def api(start_services, config) -> Api:
    start_services()
    return Api(f"http://{config['WEB_SERVER_ADDRESS']}", config["JWT_SECRET"], requests.Session())
