"""``alliance events replay``: send a late subscriber the history it missed."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from kombu.exceptions import OperationalError
from nameko.amqp.publish import UndeliverableMessage

from alliance.backfill import UnknownQueue, parse_since, replay_events
from alliance.embedded_db import with_embedded_credentials
from services.config import data_dir, load_config
from services.contracts import CONTRACTS, ContractViolation
from services.mongo import DatabaseUnavailable


def since_argument(text: str) -> datetime:
    try:
        return parse_since(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date or ISO 8601 date-time: {text!r}") from None


def register(commands) -> None:
    parser = commands.add_parser("events", help="operate on published events")
    actions = parser.add_subparsers(dest="action", required=True)
    replay = actions.add_parser("replay", help="re-publish stored events to one queue (backfill for a late subscriber)")
    names = ", ".join(f"{producer}.{event_type}" for producer, event_type in CONTRACTS)
    replay.add_argument("event", metavar="PRODUCER.EVENT_TYPE", help=f"one of {names}")
    replay.add_argument(
        "--since",
        type=since_argument,
        required=True,
        help="replay events recorded at or after this date or date-time (UTC unless "
        "an offset is given), e.g. 2022-01-01",
    )
    replay.add_argument(
        "--to-queue",
        dest="queue",
        required=True,
        metavar="NAME",
        help="the subscriber's existing queue; nobody else receives the events",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = load_config()
    config = with_embedded_credentials(config, data_dir(config))
    try:
        count = replay_events(config, args.event, args.since, args.queue)
    except ContractViolation as exc:
        print(f"alliance events replay: {exc}", file=sys.stderr)
        return 2
    except (UnknownQueue, UndeliverableMessage) as exc:
        print(f"alliance events replay: {exc or 'the queue no longer exists'}", file=sys.stderr)
        return 1
    except (DatabaseUnavailable, OperationalError, OSError) as exc:
        print(f"alliance events replay: {exc}", file=sys.stderr)
        return 2
    print(f"replayed {count} {args.event} event(s) to queue {args.queue}")
    return 0
