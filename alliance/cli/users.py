"""``alliance users``: operators' account commands, such as creating the first alliance admin."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from services.config import load_config
from services.errors import DomainError

OPERATOR = "operator"


def register(commands) -> None:
    parser = commands.add_parser("users", help="create the first alliance admin and other operator account tasks")
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create-admin", help="create an alliance admin account (the members service runs)")
    create.add_argument("--login", required=True, help="sign-in name or e-mail address")
    create.add_argument("--person", help="id of the person behind the account, if any")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input, not a prompt"
    )
    parser.set_defaults(run=run)


def read_password(from_stdin: bool) -> str:
    """The new password: the first line of standard input, or typed twice at a prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("password: ")
    if getpass.getpass("again: ") != password:
        raise ValueError("the two passwords differ")
    return password


def run(args: argparse.Namespace) -> int:
    config = load_config()
    try:
        password = read_password(args.password_stdin)
    except (ValueError, EOFError) as exc:
        print(f"alliance users: {exc}", file=sys.stderr)
        return 2
    payload = {
        "login": args.login,
        "person_id": args.person,
        "roles": [{"role": "alliance_admin"}],
        "password": password,
    }
    timeout = float(config.get("RPC_TIMEOUT_SECONDS", 10))
    try:
        with ClusterRpcProxy({"AMQP_URI": config["AMQP_URI"]}, timeout=timeout) as proxy:
            account = proxy.members.create_account(payload, OPERATOR)
    except DomainError as exc:
        print(f"alliance users: {exc.message} {json.dumps(exc.details, ensure_ascii=False)}", file=sys.stderr)
        return 1
    except (RemoteError, RpcTimeout, UnknownService, OSError) as exc:
        print(f"alliance users: the members service did not answer: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"id": account["id"], "login": account["login"], "roles": account["roles"]}, ensure_ascii=False))
    return 0
