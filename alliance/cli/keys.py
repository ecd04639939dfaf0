"""``alliance keys``: list the issuer's signing keys, or rotate to a new one."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from certificates_svc.keys import KeyRing, load_or_create_keys, public_key_multibase
from certificates_svc.signing import issuer_did, keys_directory
from services.config import load_config


def register(commands) -> None:
    parser = commands.add_parser("keys", help="list or rotate the certificate signing keys")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="key ids, which one signs, and their public keys")
    listing.add_argument("--json", action="store_true", help="one JSON document")
    actions.add_parser("rotate", help="add a new Ed25519 key that signs from the next restart on")
    parser.set_defaults(run=run)


def describe(keyring: KeyRing, did: str) -> list[dict[str, Any]]:
    """Every key, oldest first, as the DID document publishes it."""
    return [
        {
            "key_id": key.key_id,
            "signing": key is keyring.current,
            "verification_method": f"{did}#{key.key_id}",
            "public_key_multibase": public_key_multibase(key.public_key),
        }
        for key in keyring.keys
    ]


def run(args: argparse.Namespace) -> int:
    config = load_config()
    directory = keys_directory(config)
    try:
        if args.action == "rotate":
            return rotate(directory, issuer_did(config))
        return show(directory, issuer_did(config), as_json=args.json)
    except (OSError, ValueError, TypeError) as exc:
        print(f"alliance keys: cannot use the signing keys in {directory}: {exc}", file=sys.stderr)
        return 1


def rotate(directory: Path, did: str) -> int:
    existed = any(directory.glob("*.pem"))
    keyring = load_or_create_keys(directory)
    # With no key yet, the one just created is the new signing key; a second would be pointless.
    key = keyring.rotate(directory) if existed else keyring.current
    print(f"new signing key {key.key_id} in {directory}")
    print(f"  {public_key_multibase(key.public_key)}")
    print(
        "Restart every certificates instance so it signs with the new key; "
        "every older key stays published, so credentials already issued still verify."
    )
    return 0


def show(directory: Path, did: str, *, as_json: bool) -> int:
    if not any(directory.glob("*.pem")):
        print(
            f"alliance keys: no signing keys in {directory} (the certificates service creates the "
            "first when it starts; `alliance keys rotate` creates one now)",
            file=sys.stderr,
        )
        return 1
    keys = describe(load_or_create_keys(directory), did)
    if as_json:
        print(json.dumps({"directory": str(directory), "keys": keys}, indent=2))
        return 0
    print(f"signing keys in {directory} (the newest signs; all are published in {did})")
    for key in keys:
        print(f"  {key['key_id']}  {'signing' if key['signing'] else '       '}  {key['public_key_multibase']}")
    return 0
