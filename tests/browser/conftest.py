"""One running system for the browser tests: `alliance up` with the demo data, and headless Chromium.

Chromium is Debian's package (``scripts/ensure-browser`` installs it); Playwright drives
it through ``executable_path`` and never downloads a browser of its own.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alliance.embedded_db import free_port
from tests.support.browser import BROWSER_TIMEOUT_MS, CHROMIUM, LAUNCH_ARGS, Page, chromium_available, open_tab
from tests.support.cli import alliance
from tests.support.infrastructure import Infrastructure, own_vhost
from tests.support.system import RunningSystem, system_environment

# Small enough to seed in seconds, with the demo's 97.6 % pass rate (122 of 125);
# DEMO_COHORT_SIZE=2114 seeds the whole demo (for the README's screenshots).
COHORT_SIZE = int(os.environ.get("DEMO_COHORT_SIZE", "125"))


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not chromium_available():
        pytest.skip(f"{CHROMIUM} is absent and scripts/ensure-browser could not install it (needs root and apt-get)")
    return CHROMIUM


@pytest.fixture(scope="session")
def output_dir(tmp_path_factory) -> Path:
    """Where the tests save screenshots: BROWSER_OUTPUT_DIR, else a pytest temporary directory."""
    configured = os.environ.get("BROWSER_OUTPUT_DIR")
    path = Path(configured) if configured else tmp_path_factory.mktemp("browser-output")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def session_vhost_uri(infrastructure: Infrastructure) -> Iterator[str]:
    """A vhost of this test session's own (the shared ``vhost_uri`` is per test)."""
    with own_vhost(infrastructure) as uri:
        yield uri


@pytest.fixture(scope="session")
def seeded(session_vhost_uri, tmp_path_factory) -> Iterator[RunningSystem]:
    """A running system with the demo alliance loaded."""
    home = tmp_path_factory.mktemp("alliance")
    env = system_environment(session_vhost_uri, home / "var")
    system = RunningSystem(env, free_port(), home / "up.log")
    try:
        system.wait_ready()
        started = time.monotonic()
        result = alliance(
            "seed", "--demo", "--url", system.url, "--cohort-size", str(COHORT_SIZE), env=env, timeout=300
        )
        seconds = time.monotonic() - started
        assert result.returncode == 0, result.stderr[-3000:] + (home / "up.log").read_text()[-3000:]
        print(f"alliance seed --demo --cohort-size {COHORT_SIZE}: {seconds:.1f} s")
        yield system
    finally:
        assert system.stop() == 0


@pytest.fixture(scope="session")
def browser(chromium: Path):
    from playwright.sync_api import expect, sync_playwright

    # Playwright's stop() waits for its driver through asyncio's child watcher, which never wakes
    # under eventlet's monkey-patching (tests/conftest.py). Closing the browser ends Chromium; the
    # driver exits on its own when pytest ends and closes its stdin.
    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
    playwright = sync_playwright().start()
    instance = playwright.chromium.launch(executable_path=str(chromium), args=LAUNCH_ARGS)
    yield instance
    instance.close()


@pytest.fixture
def page(browser, seeded, output_dir) -> Iterator[Page]:
    """A desktop-sized tab; the test fails if the page logged any console error."""
    with open_tab(browser, seeded.url, output_dir, viewport={"width": 1100, "height": 900}) as tab:
        yield tab


@pytest.fixture
def phone(browser, seeded, output_dir) -> Iterator[Page]:
    """A phone-sized tab (375 × 740, touch)."""
    with open_tab(
        browser,
        seeded.url,
        output_dir,
        viewport={"width": 375, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    ) as tab:
        yield tab
