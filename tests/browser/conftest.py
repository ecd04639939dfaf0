"""One running system for the browser tests: `alliance up` with the demo data, and headless Chromium.

Chromium is Debian's package (``scripts/ensure-browser`` installs it); Playwright drives
it through ``executable_path`` and never downloads a browser of its own.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from alliance.embedded_db import free_port
from tests.e2e.conftest import ALLIANCE, RunningSystem
from tests.support.infrastructure import Infrastructure, own_vhost

CHROMIUM = Path("/usr/bin/chromium")
ENSURE_BROWSER = Path(__file__).resolve().parents[2] / "scripts" / "ensure-browser"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Small enough to seed in seconds, with the demo's 97.6 % pass rate (122 of 125);
# DEMO_COHORT_SIZE=2114 seeds the whole demo (for the README's screenshots).
COHORT_SIZE = int(os.environ.get("DEMO_COHORT_SIZE", "125"))
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def chromium_available() -> bool:
    """Chromium (and a Chinese font) are there, or the project's script installs them (CI runs as root)."""
    if shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run([str(ENSURE_BROWSER)], check=False, timeout=900)
    return CHROMIUM.exists()


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not chromium_available():
        pytest.skip(f"{CHROMIUM} is absent and scripts/ensure-browser could not install it "
                    "(needs root and apt-get)")
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


class SeededSystem(RunningSystem):
    """A running system with the demo alliance loaded, and an admin token for the tests' own calls."""

    seed_seconds: float
    seed_output: str

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}

    def get(self, path: str, **params) -> dict:
        response = requests.get(self.url + path, headers=self.admin(), params=params, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def all(self, path: str, **params) -> list[dict]:
        items, cursor = [], None
        while True:
            page = self.get(path, **params, limit=200, **({"cursor": cursor} if cursor else {}))
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items


@pytest.fixture(scope="session")
def seeded(session_vhost_uri, tmp_path_factory) -> Iterator[SeededSystem]:
    home = tmp_path_factory.mktemp("alliance")
    env = {k: v for k, v in os.environ.items() if k != "MONGO_URI"}
    env.update(AMQP_URI=session_vhost_uri, ALLIANCE_DATA_DIR=str(home / "var"),
               EMBEDDED_DB_PORT=str(free_port()), LOG_FORMAT="json")
    system = SeededSystem(env, free_port(), home / "up.log")
    try:
        system.wait_ready()
        started = time.monotonic()
        result = subprocess.run([*ALLIANCE, "seed", "--demo", "--url", system.url,
                                 "--cohort-size", str(COHORT_SIZE)],
                                env=env, capture_output=True, text=True, timeout=300)
        system.seed_seconds = time.monotonic() - started
        assert result.returncode == 0, result.stderr[-3000:] + (home / "up.log").read_text()[-3000:]
        system.seed_output = result.stdout
        print(f"alliance seed --demo --cohort-size {COHORT_SIZE}: {system.seed_seconds:.1f} s")
        system.admin_token = system.token("--role", "alliance_admin")
        yield system
    finally:
        assert system.stop() == 0


@pytest.fixture(scope="session")
def browser(chromium: Path):
    from playwright.sync_api import sync_playwright

    # Playwright's stop() waits for its driver through asyncio's child watcher, which never wakes
    # under eventlet's monkey-patching (tests/conftest.py). Closing the browser ends Chromium; the
    # driver exits on its own when pytest ends and closes its stdin.
    playwright = sync_playwright().start()
    instance = playwright.chromium.launch(executable_path=str(chromium), args=LAUNCH_ARGS)
    yield instance
    instance.close()


class Page:
    """A browser tab that records console errors and uncaught exceptions."""

    def __init__(self, page, base_url: str, output_dir: Path) -> None:
        self.page = page
        self.base_url = base_url
        self.output_dir = output_dir
        self.errors: list[str] = []
        self.expected_statuses: set[int] = set()
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def expect_status(self, status: int) -> None:
        """An API answer the page is meant to handle (a 404 for a wrong name): Chromium still logs
        "Failed to load resource" for it, which is the browser's network log, not a page error."""
        self.expected_statuses.add(status)

    def unexpected_errors(self) -> list[str]:
        logged = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")
        return [e for e in self.errors
                if not ((m := logged.match(e)) and int(m.group(1)) in self.expected_statuses)]

    def open(self, path: str):
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status == 200
        return response

    def screenshot(self, name: str) -> Path:
        """Save a full-page screenshot; with UPDATE_SCREENSHOTS=1 also the README's copy."""
        path = self.output_dir / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, SCREENSHOTS / path.name)
        return path

    def fits_width(self) -> bool:
        return self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _page(browser, seeded: SeededSystem, output_dir: Path, **context_options) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context_options)
    tab = Page(context.new_page(), seeded.url, output_dir)
    yield tab
    context.close()
    assert tab.unexpected_errors() == [], f"console errors: {tab.errors}"


@pytest.fixture
def page(browser, seeded, output_dir) -> Iterator[Page]:
    """A desktop-sized tab; the test fails if the page logged any console error."""
    yield from _page(browser, seeded, output_dir, viewport={"width": 1100, "height": 900})


@pytest.fixture
def phone(browser, seeded, output_dir) -> Iterator[Page]:
    """A phone-sized tab (375 × 740, touch)."""
    yield from _page(browser, seeded, output_dir, viewport={"width": 375, "height": 740},
                     device_scale_factor=2, is_mobile=True, has_touch=True)


