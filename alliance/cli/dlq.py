"""``alliance dlq``: list, replay or purge a service's dead-letter queue."""

from __future__ import annotations

import argparse
import json
import sys

from services.config import load_config
from services.dead_letters import list_dead_letters, purge_dead_letters, replay_dead_letters
from services.registry import DOMAIN_SERVICES


def register(commands) -> None:
    parser = commands.add_parser("dlq", help="inspect and replay dead-lettered events")
    actions = parser.add_subparsers(dest="action", required=True)
    for action, text in (
        ("list", "show parked messages (they stay parked)"),
        ("replay", "send parked messages back to their queues"),
        ("purge", "delete every parked message"),
    ):
        sub = actions.add_parser(action, help=text)
        sub.add_argument("service", help=f"one of {', '.join(DOMAIN_SERVICES)} (or another service's name)")
        if action == "replay":
            sub.add_argument("--id", action="append", dest="ids", help="replay only this id (repeatable)")
        if action == "list":
            sub.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    uri = str(load_config()["AMQP_URI"])
    try:
        if args.action == "list":
            letters = list_dead_letters(uri, args.service)
            for letter in letters:
                if args.json:
                    print(json.dumps(letter.as_dict(), ensure_ascii=False))
                else:
                    print(
                        f"{letter.id}  {letter.event_type or '?'}  attempts={letter.attempts}  "
                        f"queue={letter.queue}\n    {letter.error}"
                    )
            if not args.json:
                print(f"{len(letters)} dead-lettered message(s) for {args.service}")
        elif args.action == "replay":
            replayed = replay_dead_letters(uri, args.service, set(args.ids) if args.ids else None)
            print(f"replayed {len(replayed)} message(s)")
            if args.ids and len(replayed) < len(set(args.ids)):
                missing = sorted(set(args.ids) - set(replayed))
                print(f"not found: {', '.join(missing)}", file=sys.stderr)
                return 1
        else:
            print(f"purged {purge_dead_letters(uri, args.service)} message(s)")
    except OSError as exc:
        print(f"alliance dlq: cannot reach the broker at {uri}: {exc}", file=sys.stderr)
        return 2
    return 0
