"""Interface tests: the real services in nameko containers on the real broker and database."""

from __future__ import annotations

import pytest

from certificates_svc.service import CertificatesService
from events_svc.service import EventsService
from gateway.service import GatewayService
from members_svc.service import MembersService
from tests.support.api import Api

ALL_SERVICES = (MembersService, EventsService, CertificatesService, GatewayService)


@pytest.fixture
def runners() -> list:
    """The service runners this test started, oldest first."""
    return []


@pytest.fixture
def start_services(runner_factory, config, runners):
    """Start the given service classes (default: all four) with this test's config."""

    def start(*service_classes, overrides: dict | None = None):
        runner = runner_factory({**config, **(overrides or {})}, *(service_classes or ALL_SERVICES))
        runner.start()
        runners.append(runner)
        return runner

    return start


@pytest.fixture
def api(start_services, config) -> Api:
    start_services()
    return Api.for_config(config)
