"""The conformance suite runs the real services, like the interface tests, reachable at their public URL."""

import pytest

from tests.interface.conftest import runners, start_services  # noqa: F401
from tests.support.api import Api


@pytest.fixture
def api(start_services, config) -> Api:  # noqa: F811
    """All four services, publishing credentials, DIDs and status lists at the gateway's real address,
    so the independent verifiers resolve them as an outside integrator would."""
    config["PUBLIC_BASE_URL"] = f"http://{config['WEB_SERVER_ADDRESS']}"
    start_services()
    return Api.for_config(config)
