"""End-to-end tests: `alliance up` as a subprocess, as a user runs it."""

from __future__ import annotations

import pytest

from tests.support.system import system_environment


@pytest.fixture
def system_env(vhost_uri, tmp_path) -> dict[str, str]:
    return system_environment(vhost_uri, tmp_path / "var")
