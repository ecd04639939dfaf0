"""Headless Chromium for the browser tests: Debian's package, driven by Playwright."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ENSURE_BROWSER = ROOT / "scripts" / "ensure-browser"
SCREENSHOTS = ROOT / "docs" / "screenshots"
BROWSER_TIMEOUT_MS = 30_000
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def chromium_available() -> bool:
    """Chromium (and a Chinese font) are there, or the project's script installs them (CI runs as root)."""
    if shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run([str(ENSURE_BROWSER)], check=False, timeout=900)
    return CHROMIUM.exists()


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
        return [e for e in self.errors if not ((m := logged.match(e)) and int(m.group(1)) in self.expected_statuses)]

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


@contextmanager
def open_tab(browser, base_url: str, output_dir: Path, **context_options) -> Iterator[Page]:
    """A tab in a fresh context (Chinese locale, Shanghai time); on leaving, the page must have logged no error."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context_options)
    # Generous waits: the stack behind the page shares two cores with the rest of the suite.
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    tab = Page(context.new_page(), base_url, output_dir)
    yield tab
    context.close()
    assert tab.unexpected_errors() == [], f"console errors: {tab.errors}"
