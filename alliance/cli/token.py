"""``alliance token``: print a bearer JWT the running gateway accepts."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from gateway.auth import ROLES, jwt_secret, max_token_lifetime, mint_token
from services.config import load_config


def register(commands) -> None:
    parser = commands.add_parser("token", help="print a bearer token for the gateway")
    parser.add_argument("--role", required=True, choices=ROLES)
    parser.add_argument("--org", help="organisation id (required for org_admin)")
    parser.add_argument(
        "--hours", type=float, default=12.0, help="lifetime (default 12, at most TOKEN_MAX_LIFETIME_HOURS)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = load_config()
    try:
        if not args.hours > 0:
            raise ValueError("--hours must be a positive number")
        token = mint_token(
            jwt_secret(config),
            args.role,
            args.org,
            lifetime=timedelta(hours=args.hours),
            max_lifetime=max_token_lifetime(config),
        )
    except ValueError as exc:
        print(f"alliance token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0
