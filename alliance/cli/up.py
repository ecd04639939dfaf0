"""``alliance up``: the whole system on one machine, each service its own process."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from kombu import Connection

from alliance.embedded_db import (
    EmbeddedDatabase,
    OplogBounds,
    PortInUseError,
    database_credentials,
    port_answers,
    private_directory,
)
from alliance.supervisor import Supervisor, wait_ready
from services.config import data_dir, load_config
from services.mongo import redact_uri
from services.registry import DOMAIN_SERVICES, GATEWAY

READY_TIMEOUT_SECONDS = 90

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
    parser.add_argument(
        "--scale",
        action="append",
        default=[],
        metavar="SERVICE=N",
        help="run N instances of a service, e.g. certificates=2 (repeatable)",
    )
    parser.add_argument("--log-format", choices=("json", "text"), default=None)
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=9100,
        help="first Prometheus metrics port; each process takes the next one (0: none)",
    )
    parser.set_defaults(run=run)


def parse_scale(values: list[str]) -> dict[str, int]:
    scale = {name: 1 for name in DOMAIN_SERVICES}
    for value in values:
        name, _, count = value.partition("=")
        if name not in scale or not count.isdigit() or not 1 <= int(count) <= 16:
            raise ValueError(
                f"--scale {value!r}: expected SERVICE=N with SERVICE one of "
                f"{', '.join(DOMAIN_SERVICES)} and N from 1 to 16"
            )
        scale[name] = int(count)
    return scale


def broker_answers(uri: str) -> bool:
    try:
        with Connection(uri, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
        return True
    except Exception:  # noqa: BLE001 - any failure means "no broker"
        return False


def run(args: argparse.Namespace) -> int:
    config = load_config()
    try:
        scale = parse_scale(args.scale)
    except ValueError as exc:
        print(f"alliance up: {exc}", file=sys.stderr)
        return 2
    embedded = not os.environ.get("MONGO_URI")
    if embedded and port_answers(int(config["EMBEDDED_DB_PORT"])):
        print(f"alliance up: {PortInUseError(int(config['EMBEDDED_DB_PORT']))}", file=sys.stderr)
        return 2
    amqp_uri = str(config["AMQP_URI"])
    if not broker_answers(amqp_uri):
        print(BROKER_HELP.format(uri=redact_uri(amqp_uri)), file=sys.stderr)
        return 2

    # Signing keys, the token secret and the database live here: nobody else may read them.
    state = private_directory(data_dir(config))
    env = dict(os.environ, ALLIANCE_DATA_DIR=str(state), WEB_SERVER_ADDRESS=f"{args.host}:{args.port}")
    if args.log_format:
        env["LOG_FORMAT"] = args.log_format
    if "PUBLIC_BASE_URL" not in os.environ:
        env["PUBLIC_BASE_URL"] = f"http://{args.host}:{args.port}"

    database = None
    if embedded:
        database = EmbeddedDatabase(
            str(state / "db"),
            port=int(config["EMBEDDED_DB_PORT"]),
            log_path=state / "embedded-db.log",
            credentials=database_credentials(state),
            oplog=OplogBounds(
                int(config.get("EMBEDDED_DB_OPLOG_RETENTION_SECONDS") or 3600),
                int(config.get("EMBEDDED_DB_OPLOG_MAX_ENTRIES") or 100_000),
            ),
        )
        try:
            database.start(timeout=float(config.get("EMBEDDED_DB_START_TIMEOUT_SECONDS") or 600))
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
        supervisor.start(GATEWAY, 1)
        if wait_ready(url, supervisor, READY_TIMEOUT_SECONDS) and not stop_requested:
            print(f"alliance up: ready at {url}  (API docs: {url}/docs)", flush=True)
            for (service, instance), port in supervisor.metrics_ports.items():
                print(f"  metrics of {service}#{instance}: http://127.0.0.1:{port}/metrics", flush=True)
        elif not stop_requested:
            print(
                f"alliance up: not ready after {READY_TIMEOUT_SECONDS} s; see the logs above",
                file=sys.stderr,
                flush=True,
            )
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
