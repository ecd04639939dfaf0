"""Runs each service of the platform as its own child process, restarts the ones that die,
and stops them in order (the gateway first)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from alliance.embedded_db import private_child
from services.registry import GATEWAY

STOP_TIMEOUT_SECONDS = 20


@dataclass
class Child:
    service: str
    instance: int
    process: subprocess.Popen
    restarts: int = 0
    started_at: float = field(default_factory=time.monotonic)


class Supervisor:
    """Starts, watches and stops the service processes."""

    def __init__(self, env: dict[str, str], logs: Path, metrics_port: int = 0) -> None:
        self.env = env
        self.logs = logs
        self.children: list[Child] = []
        self.stopping = False
        self.metrics_port = metrics_port
        self.metrics_ports: dict[tuple[str, int], int] = {}

    def spawn(self, service: str, instance: int) -> subprocess.Popen:
        env = dict(self.env, ALLIANCE_SERVICE=service, ALLIANCE_INSTANCE=str(instance))
        if self.metrics_port:
            port = self.metrics_ports.setdefault((service, instance), self.metrics_port + len(self.metrics_ports) + 1)
            env["METRICS_PORT"] = str(port)
        return subprocess.Popen(
            [sys.executable, "-m", "alliance.runner", service],
            env=env,
            stdin=subprocess.DEVNULL,
            # Signals from the terminal reach only `alliance up`, which stops the children in order.
            start_new_session=True,
            preexec_fn=private_child,
        )

    def start(self, service: str, instances: int) -> None:
        for instance in range(1, instances + 1):
            self.children.append(Child(service, instance, self.spawn(service, instance)))

    def watch(self) -> None:
        """Restart a child that died on its own, with a growing pause."""
        for child in self.children:
            code = child.process.poll()
            if code is None or self.stopping:
                continue
            pause = min(2**child.restarts, 30)
            if time.monotonic() - child.started_at < pause:
                continue
            print(
                f"alliance up: {child.service}#{child.instance} exited with code {code}; restarting",
                file=sys.stderr,
                flush=True,
            )
            child.restarts += 1
            child.started_at = time.monotonic()
            child.process = self.spawn(child.service, child.instance)

    def stop(self) -> None:
        """SIGTERM the gateway first, then the services; SIGKILL what outlives the deadline."""
        self.stopping = True
        order = sorted(self.children, key=lambda c: c.service != GATEWAY)
        for child in order:
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for child in order:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()


def wait_ready(url: str, supervisor: Supervisor, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/ready", timeout=3).status_code == 200:
                return True
        except requests.RequestException:
            pass
        supervisor.watch()
        time.sleep(0.25)
    return False
