"""The whole system started with `alliance up` as a subprocess, as a user runs it."""

from __future__ import annotations

import os
import signal
import subprocess
from functools import cached_property
from pathlib import Path

import requests
from pymongo import MongoClient

from alliance.embedded_db import database_credentials, database_uri, free_port
from tests.support.api import all_items
from tests.support.cli import ALLIANCE, alliance
from tests.support.waiting import wait_for


def system_environment(amqp_uri: str, data_dir: Path) -> dict[str, str]:
    """The environment of an `alliance up` on ``amqp_uri`` with its own data directory and embedded database."""
    env = {k: v for k, v in os.environ.items() if k != "MONGO_URI"}
    env.update(AMQP_URI=amqp_uri, ALLIANCE_DATA_DIR=str(data_dir), EMBEDDED_DB_PORT=str(free_port()), LOG_FORMAT="json")
    return env


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
    """`alliance up` with its output in ``log``; tokens from `alliance token`, requests as the alliance admin."""

    def __init__(self, env: dict[str, str], port: int, log: Path, *options: str) -> None:
        self.env = env
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        with open(log, "ab") as output:
            self.process = subprocess.Popen(
                [ALLIANCE, "up", "--port", str(port), "--metrics-port", "0", *options],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def database(self) -> MongoClient:
        """A client of the embedded database `alliance up` started, with the credentials it generated."""
        credentials = database_credentials(Path(self.env["ALLIANCE_DATA_DIR"]))
        return MongoClient(database_uri(int(self.env["EMBEDDED_DB_PORT"]), credentials), tz_aware=True)

    def wait_ready(self) -> None:
        def ready() -> bool:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            return "ready at" in self.log.read_text()

        wait_for(ready, timeout=120, interval=0.2, message="alliance up to be ready")

    def token(self, *args: str) -> str:
        result = alliance("token", *args, env=self.env)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    @cached_property
    def admin_token(self) -> str:
        return self.token("--role", "alliance_admin")

    def admin(self) -> dict[str, str]:
        """The headers of a request by the alliance admin."""
        return {"Authorization": f"Bearer {self.admin_token}"}

    def get(self, path: str, **params) -> dict:
        response = requests.get(self.url + path, headers=self.admin(), params=params, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def all(self, path: str, **params) -> list[dict]:
        """Every item of a paginated listing."""
        return all_items(lambda query: self.get(path, **query), **params)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)
