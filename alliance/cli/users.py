"""``alliance users``: operators' account commands: the first alliance admin, rotating the token key."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from gateway.auth import ACCESS_TOKEN_LIFETIME
from gateway.token_keys import KEY_ACTIVATION, load_token_keys, new_key, token_keys_directory
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
    actions.add_parser(
        "rotate-token-key",
        help="add a new Ed25519 key that signs access tokens; older keys stay published until their tokens expired",
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
    if args.action == "rotate-token-key":
        return rotate_token_key(config)
    return create_admin(args, config)


def rotate_token_key(config: dict) -> int:
    """Add a signing key to the token-keys directory: published by every gateway within a minute,
    signing once it is ``KEY_ACTIVATION`` old."""
    directory = token_keys_directory(config)
    try:
        load_token_keys(directory, ACCESS_TOKEN_LIFETIME)  # the first key, if there is none yet
        key = new_key(directory)
    except (OSError, ValueError) as exc:
        print(f"alliance users: cannot use the token keys in {directory}: {exc}", file=sys.stderr)
        return 1
    print(f"new token signing key {key.kid} in {directory}")
    minutes = int(KEY_ACTIVATION.total_seconds() // 60)
    print(
        f"Gateways publish it within a minute and sign with it after {minutes} minutes; older keys stay in "
        "/.well-known/jwks.json until their tokens expired."
    )
    return 0


def create_admin(args: argparse.Namespace, config: dict) -> int:
    """Create an alliance admin account through the running members service."""
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
