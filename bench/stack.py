"""A fresh stack for a benchmark run: own vhost, own data directory, `alliance up` as a user runs it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import requests
from nameko.testing.rabbit import Client as RabbitAdmin
from prometheus_client.parser import text_string_to_metric_families
from pymongo import MongoClient

from alliance.embedded_db import database_credentials, database_uri, die_with_parent, free_port

ALLIANCE = str(Path(sys.executable).with_name("alliance"))
MANAGEMENT_URI = os.environ.get("RABBIT_MANAGEMENT_URI", "http://guest:guest@127.0.0.1:15672")
BROKER = os.environ.get("BENCH_AMQP_ROOT", "amqp://guest:guest@127.0.0.1:5672")


class Vhost:
    """A RabbitMQ vhost of the run's own."""

    def __init__(self) -> None:
        self.admin = RabbitAdmin(MANAGEMENT_URI)
        self.name = f"alliance_bench_{int(time.time())}_{uuid.uuid4().hex[:6]}"
        self.admin.create_vhost(self.name)
        self.admin.set_vhost_permissions(self.name, "guest", ".*", ".*", ".*")
        self.uri = f"{BROKER}/{quote(self.name, safe='')}"

    def delete(self) -> None:
        self.admin.delete_vhost(self.name)


class Stack:
    """`alliance up` in a temporary data directory; knows its URL, tokens and database."""

    def __init__(
        self, workdir: Path, amqp_uri: str, scale: dict[str, int] | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.db_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k != "MONGO_URI"}
        self.env.update(
            AMQP_URI=amqp_uri,
            ALLIANCE_DATA_DIR=str(workdir / "var"),
            EMBEDDED_DB_PORT=str(self.db_port),
            LOG_LEVEL="WARNING",
            PUBLIC_BASE_URL=self.url,
        )
        self.env.update(env or {})
        # Each process serves its metrics on the next port after this one (see `alliance up`).
        self.metrics_base = free_port()
        args = [ALLIANCE, "up", "--port", str(self.port), "--metrics-port", str(self.metrics_base)]
        for service, count in (scale or {}).items():
            args += ["--scale", f"{service}={count}"]
        self.log = open(workdir / "stack.log", "ab")
        self.process = subprocess.Popen(
            args,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        self._wait_ready()
        credentials = database_credentials(self.workdir / "var")
        self.mongo = MongoClient(database_uri(self.db_port, credentials), tz_aware=True)

    def _wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"alliance up exited; see {self.workdir / 'stack.log'}")
            try:
                ready = requests.get(f"{self.url}/ready", timeout=2).status_code == 200
                # `alliance up` lists the metrics endpoints right after it says so.
                if ready and "metrics of gateway" in (self.workdir / "stack.log").read_text(errors="replace"):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError("the stack did not become ready")

    def token(self, *args: str) -> str:
        out = subprocess.run(
            [ALLIANCE, "token", *args], env=self.env, capture_output=True, text=True, check=True, timeout=60
        )
        return out.stdout.strip()

    def metrics_urls(self) -> list[str]:
        """Every service process's metrics endpoint, as `alliance up` listed them once ready."""
        text = (self.workdir / "stack.log").read_text(errors="replace")
        return re.findall(r"metrics of \S+: (http://\S+/metrics)", text)

    def database_commands(self) -> int:
        """Database commands (round trips) every service process has sent so far."""
        return sum(self.database_commands_by_kind().values())

    def database_commands_by_kind(self) -> dict[str, int]:
        """Database commands every service process has sent so far, by ``<database>.<command>``."""
        counts: dict[str, int] = {}
        for url in self.metrics_urls():
            for family in text_string_to_metric_families(requests.get(url, timeout=10).text):
                if family.name == "alliance_database_commands":
                    for sample in family.samples:
                        if sample.name.endswith("_total"):
                            kind = f"{sample.labels['database']}.{sample.labels['command']}"
                            counts[kind] = counts.get(kind, 0) + int(sample.value)
        return counts

    def service_pids(self) -> dict[str, list[int]]:
        """The process ids of each service, read from /proc."""
        pids: dict[str, list[int]] = {}
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes().split(b"\0")
                environ = (proc / "environ").read_bytes()
            except OSError:
                continue
            if b"alliance.runner" in cmdline and f"ALLIANCE_DATA_DIR={self.workdir / 'var'}".encode() in environ:
                pids.setdefault(cmdline[-2].decode(), []).append(int(proc.name))
        return pids

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.mongo.close()
        self.log.close()
