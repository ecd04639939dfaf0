"""``alliance status``: what the running system has in flight."""

from __future__ import annotations

import argparse
import json
import sys

import requests

from services.config import load_config, public_base_url
from services.dead_letters import list_dead_letters
from services.registry import DOMAIN_SERVICES


def register(commands) -> None:
    parser = commands.add_parser("status", help="readiness, outbox backlog and dead letters per service")
    parser.add_argument("--url", default=None, help="gateway URL (default: PUBLIC_BASE_URL)")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = load_config()
    url = (args.url or public_base_url(config)).rstrip("/")
    try:
        ready = requests.get(f"{url}/ready", timeout=10).json()
    except (requests.RequestException, ValueError) as exc:
        print(f"alliance status: the gateway at {url} does not answer: {exc}", file=sys.stderr)
        return 2
    report = {"status": ready.get("status"), "services": {}}
    for service in DOMAIN_SERVICES:
        detail = dict(ready.get("services", {}).get(service, {}))
        try:
            detail["dead_letters"] = len(list_dead_letters(str(config["AMQP_URI"]), service))
        except OSError as exc:
            detail["dead_letters"] = f"broker unreachable: {exc}"
        report["services"][service] = detail
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(f"system: {report['status']}")
        for service, detail in report["services"].items():
            database = detail.get("database") or {}
            print(
                f"  {service:<13} {detail.get('status', '?'):<12} "
                f"outbox pending: {database.get('outbox_pending', '?'):<6} "
                f"dead letters: {detail['dead_letters']}"
            )
    return 0 if report["status"] == "ready" else 1
