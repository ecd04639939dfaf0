"""The ``alliance`` command."""

from __future__ import annotations

import argparse
import sys

from alliance.cli import contract, dlq, events, keys, seed, status, token, up, users, verify


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="alliance", description="Run and operate the vocational alliance platform.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (up, token, users, dlq, status, verify, contract, events, keys, seed):
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
