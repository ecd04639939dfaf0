"""Is a service healthy? ``python -m alliance.healthcheck members|events|certificates|gateway``.

For a domain service: an RPC ``ping`` over the broker, answered by any
instance of that service (competing consumers share one queue), healthy when
that instance's database answered. For the gateway: its ``/health`` endpoint.
Prints one JSON object and exits 0 when healthy, 1 when not, 2 on usage
errors; built for container health checks and Kubernetes exec probes, so
it always ends within ``--timeout`` seconds.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)  # eventlet announces its own

import argparse  # noqa: E402
import json  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from typing import Any  # noqa: E402

import requests  # noqa: E402
from nameko.exceptions import RpcTimeout  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from services.config import load_config  # noqa: E402
from services.registry import DOMAIN_SERVICES, GATEWAY  # noqa: E402
from services.rpc import ConsumerCounter  # noqa: E402

DEFAULT_TIMEOUT_SECONDS = 5.0


class DeadlinePassed(BaseException):
    """The check did not finish within its timeout.

    A BaseException, so that the broker client's own ``except Exception``
    retries cannot swallow it.
    """


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise DeadlinePassed in this (main) thread once ``seconds`` have passed."""

    def expire(signum: int, frame: Any) -> None:
        raise DeadlinePassed(f"no answer within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_service(service: str, amqp_uri: str, timeout: float) -> tuple[bool, dict[str, Any]]:
    """Ping a domain service over RPC; healthy when its database answered."""
    counter = ConsumerCounter(amqp_uri)
    try:
        # A stopped service leaves its durable queue behind; a ping would just wait there.
        if counter.count(service) == 0:
            return False, {
                "service": service,
                "status": "unavailable",
                "error": f"service {service} is not running (its RPC queue has no consumer)",
            }
    finally:
        counter.close()
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout) as proxy:
        answer = getattr(proxy, service).ping()
    healthy = (answer.get("database") or {}).get("status") == "ok"
    return healthy, answer


def check_gateway(address: str, timeout: float) -> tuple[bool, dict[str, Any]]:
    """GET the gateway's ``/health``; healthy on 200 with status ok."""
    host, _, port = address.rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"  # bound to every interface: ask over loopback
    response = requests.get(f"http://{host}:{port}/health", timeout=timeout)
    try:
        answer = response.json()
    except ValueError:
        answer = {"status": "unreadable", "http_status": response.status_code, "body": response.text[:200]}
    return response.status_code == 200 and answer.get("status") == "ok", answer


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m alliance.healthcheck",
        description="Exit 0 when SERVICE answers healthy within the timeout, 1 when not.",
    )
    parser.add_argument("service", choices=(*DOMAIN_SERVICES, GATEWAY))
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        help=f"seconds to wait for the answer (default {DEFAULT_TIMEOUT_SECONDS:g})",
    )
    args = parser.parse_args(argv)
    if not 0 < args.timeout <= 300:
        parser.error("--timeout must be more than 0 and at most 300 seconds")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = load_config()
    try:
        with deadline(args.timeout):
            if args.service == GATEWAY:
                healthy, answer = check_gateway(str(config["WEB_SERVER_ADDRESS"]), args.timeout)
            else:
                healthy, answer = check_service(args.service, str(config["AMQP_URI"]), args.timeout)
    except (DeadlinePassed, RpcTimeout):
        healthy, answer = (
            False,
            {"service": args.service, "status": "timeout", "error": f"no answer within {args.timeout:g} s"},
        )
    except Exception as exc:  # noqa: BLE001 - any failure to get an answer means "not healthy"
        healthy, answer = (
            False,
            {"service": args.service, "status": "unavailable", "error": f"{type(exc).__name__}: {exc}"},
        )
    print(json.dumps(answer, ensure_ascii=False))
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
