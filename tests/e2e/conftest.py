"""End-to-end tests: `alliance up` as a subprocess, as a user runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from alliance.embedded_db import free_port
from tests.support.waiting import wait_for

ALLIANCE = [str(Path(sys.executable).with_name("alliance"))]  # the installed console script


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid``."""
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            children = (task / "children").read_text().split() if (task / "children").exists() else []
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    frontier.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


class RunningSystem:
    def __init__(self, env: dict[str, str], port: int, log: Path, *options: str) -> None:
        self.env = env
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self.process = subprocess.Popen([*ALLIANCE, "up", "--port", str(port), "--metrics-port", "0", *options],
                                        env=env,
                                        stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)

    def wait_ready(self) -> None:
        def ready() -> bool:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            return "ready at" in self.log.read_text()

        wait_for(ready, timeout=120, interval=0.2, message="alliance up to be ready")

    def token(self, *args: str) -> str:
        result = subprocess.run([*ALLIANCE, "token", *args], env=self.env, capture_output=True,
                                text=True, timeout=60, check=True)
        return result.stdout.strip()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


@pytest.fixture
def system_env(vhost_uri, tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MONGO_URI"}
    env.update(AMQP_URI=vhost_uri, ALLIANCE_DATA_DIR=str(tmp_path / "var"),
               EMBEDDED_DB_PORT=str(free_port()), LOG_FORMAT="json")
    return env


