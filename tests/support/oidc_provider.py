"""A real, certified OpenID Provider (panva/oidc-provider, tests/oidc/) run with Node for the
single sign-on tests: its development login form takes any login as the subject."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from alliance.embedded_db import free_port
from tests.support.waiting import wait_for

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "oidc"
CLIENT_ID, CLIENT_SECRET = "vocational-alliance", "a client secret the provider and the gateway share"


def provider_installed() -> bool:
    return (PROVIDER_DIR / "node_modules" / "oidc-provider").exists() and shutil.which("node") is not None


@contextmanager
def running_provider(redirect_uri: str, log: Path) -> Iterator[str]:
    """The provider's issuer URL while it runs, with the gateway whose callback is ``redirect_uri`` as its client."""
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin:/usr/local/bin",
        "NODE_ENV": "development",
        "OIDC_PORT": str(port),
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URI": redirect_uri,
    }
    with open(log, "wb") as output:
        process = subprocess.Popen(
            ["node", "provider.mjs"], cwd=PROVIDER_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    issuer = f"http://127.0.0.1:{port}"
    try:

        def discovery_answers() -> bool:
            assert process.poll() is None, log.read_text()
            try:
                return requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok
            except requests.ConnectionError:
                return False

        wait_for(discovery_answers, timeout=30, message="the OpenID Provider to answer")
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)


def gateway_settings(issuer: str, redirect_uri: str) -> dict[str, str]:
    """The gateway's configuration for signing in with the provider at ``issuer``."""
    return {
        "OIDC_ISSUER": issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URI": redirect_uri,
    }
