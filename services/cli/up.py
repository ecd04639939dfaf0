"""``alliance up``: the whole system on one machine, each service its own process."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from kombu import Connection

from services.config import data_dir, load_config
from services.embedded_db import EmbeddedDatabase, die_with_parent

DOMAIN_SERVICES = ("members", "events", "certificates")
READY_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 20

BROKER_HELP = """\
alliance up: no RabbitMQ broker answers at {uri}

Start one, then run `alliance up` again:
  - installed locally (Debian):  rabbitmq-server -detached
                                 (or: sudo systemctl start rabbitmq-server)
  - with Docker:                 docker run -d -p 5672:5672 -p 15672:15672 rabbitmq:3-management
Or point AMQP_URI at a running broker."""


def register(commands) -> None:
    parser = commands.add_parser("up", help="start the database, every service and the gateway")
    parser.add_argument("--port", type=int, default=8000, help="gateway port (default 8000)")
    parser.add_argument("--host", default="127.0.0.1", help="gateway address (default 127.0.0.1)")
    parser.add_argument("--scale", action="append", default=[], metavar="SERVICE=N",
                        help="run N instances of a service, e.g. certificates=2 (repeatable)")
    parser.add_argument("--log-format", choices=("json", "text"), default=None)
    parser.add_argument("--metrics-port", type=int, default=9100,
                        help="first Prometheus metrics port; each process takes the next one (0: none)")
    parser.set_defaults(run=run)


def parse_scale(values: list[str]) -> dict[str, int]:
    scale = {name: 1 for name in DOMAIN_SERVICES}
    for value in values:
        name, _, count = value.partition("=")
        if name not in scale or not count.isdigit() or not 1 <= int(count) <= 16:
            raise ValueError(f"--scale {value!r}: expected SERVICE=N with SERVICE one of "
                             f"{', '.join(DOMAIN_SERVICES)} and N from 1 to 16")
        scale[name] = int(count)
    return scale


def broker_answers(uri: str) -> bool:
    try:
        with Connection(uri, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
        return True
    except Exception:  # noqa: BLE001 - any failure means "no broker"
        return False


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
            port = self.metrics_ports.setdefault(
                (service, instance), self.metrics_port + len(self.metrics_ports) + 1)
            env["METRICS_PORT"] = str(port)
        return subprocess.Popen(
            [sys.executable, "-m", "services.runner", service],
            env=env, stdin=subprocess.DEVNULL,
            # Signals from the terminal reach only `alliance up`, which stops the children in order.
            start_new_session=True,
            preexec_fn=die_with_parent,
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
            pause = min(2 ** child.restarts, 30)
            if time.monotonic() - child.started_at < pause:
                continue
            print(f"alliance up: {child.service}#{child.instance} exited with code {code}; "
                  "restarting", file=sys.stderr, flush=True)
            child.restarts += 1
            child.started_at = time.monotonic()
            child.process = self.spawn(child.service, child.instance)

    def stop(self) -> None:
        """SIGTERM the gateway first, then the services; SIGKILL what outlives the deadline."""
        self.stopping = True
        order = sorted(self.children, key=lambda c: c.service != "gateway")
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


def run(args: argparse.Namespace) -> int:
    config = load_config()
    try:
        scale = parse_scale(args.scale)
    except ValueError as exc:
        print(f"alliance up: {exc}", file=sys.stderr)
        return 2
    amqp_uri = str(config["AMQP_URI"])
    if not broker_answers(amqp_uri):
        print(BROKER_HELP.format(uri=amqp_uri), file=sys.stderr)
        return 2

    state = data_dir(config)
    env = dict(os.environ, ALLIANCE_DATA_DIR=str(state),
               WEB_SERVER_ADDRESS=f"{args.host}:{args.port}")
    if args.log_format:
        env["LOG_FORMAT"] = args.log_format
    if "PUBLIC_BASE_URL" not in os.environ:
        env["PUBLIC_BASE_URL"] = f"http://{args.host}:{args.port}"

    database = None
    if not os.environ.get("MONGO_URI"):
        database = EmbeddedDatabase(str(state / "db"), port=int(config["EMBEDDED_DB_PORT"]),
                                    log_path=state / "embedded-db.log")
        try:
            database.start()
        except RuntimeError as exc:
            print(f"alliance up: {exc}", file=sys.stderr)
            return 1
        env["MONGO_URI"] = database.uri

    supervisor = Supervisor(env, state, args.metrics_port)
    stop_requested = False

    def request_stop(signum, frame) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    url = f"http://{args.host}:{args.port}"
    try:
        for service in DOMAIN_SERVICES:
            supervisor.start(service, scale[service])
        supervisor.start("gateway", 1)
        if wait_ready(url, supervisor, READY_TIMEOUT_SECONDS) and not stop_requested:
            print(f"alliance up: ready at {url}  (API docs: {url}/docs)", flush=True)
            for (service, instance), port in supervisor.metrics_ports.items():
                print(f"  metrics of {service}#{instance}: http://127.0.0.1:{port}/metrics", flush=True)
        elif not stop_requested:
            print(f"alliance up: not ready after {READY_TIMEOUT_SECONDS} s; see the logs above",
                  file=sys.stderr, flush=True)
            return 1
        while not stop_requested:
            supervisor.watch()
            time.sleep(0.5)
        print("alliance up: stopping", file=sys.stderr, flush=True)
        return 0
    finally:
        supervisor.stop()
        if database is not None:
            database.stop()
