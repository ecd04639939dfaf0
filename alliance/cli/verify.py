"""``alliance verify``: check a certificate's credential offline and say why it fails.

Exit status: 0 valid, 1 invalid, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import requests

from certificates_svc.verification import verify_credential

DID_FETCH_TIMEOUT_SECONDS = 10


class InputError(Exception):
    """A file or document the command cannot use."""


def register(commands) -> None:
    parser = commands.add_parser(
        "verify",
        help="verify a certificate credential offline (proof, dates, status)",
        description="Verify a certificate's verifiable credential. Exit status 0 valid, 1 invalid, "
        "2 usage or input error.",
    )
    parser.add_argument("credential", metavar="CREDENTIAL.json", help="the signed credential")
    parser.add_argument(
        "--did", metavar="DID.json", help="the issuer's DID document (default: resolve the issuer's did:web)"
    )
    parser.add_argument(
        "--status-list",
        metavar="LIST.json",
        action="append",
        default=[],
        dest="status_lists",
        help="a status list credential (repeatable)",
    )
    parser.set_defaults(run=run)


def read_json(path: str, what: str) -> dict[str, Any]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"the {what} {path} is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InputError(f"the {what} {path} is not a JSON object")
    return document


def did_web_url(did: str) -> str:
    """Where a ``did:web`` DID document lives (http only for a local address)."""
    if not isinstance(did, str) or not did.startswith("did:web:"):
        raise InputError(f"the issuer {did!r} is not a did:web DID; pass its document with --did")
    host, *path = [unquote(part) for part in did[len("did:web:") :].split(":")]
    local = host.split(":")[0] in ("127.0.0.1", "localhost")
    base = f"{'http' if local else 'https'}://{host}"
    return f"{base}/{'/'.join(path)}/did.json" if path else f"{base}/.well-known/did.json"


def resolve_did(credential: dict[str, Any]) -> dict[str, Any]:
    issuer = credential.get("issuer")
    url = did_web_url(issuer.get("id") if isinstance(issuer, dict) else issuer)
    try:
        response = requests.get(url, timeout=DID_FETCH_TIMEOUT_SECONDS)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise InputError(f"cannot fetch the issuer's DID document from {url}: {exc}") from None
    if not isinstance(document, dict):
        raise InputError(f"the DID document at {url} is not a JSON object")
    return document


def run(args: argparse.Namespace) -> int:
    try:
        credential = read_json(args.credential, "credential")
        did_document = read_json(args.did, "DID document") if args.did else resolve_did(credential)
        lists = [read_json(path, "status list") for path in args.status_lists]
    except InputError as exc:
        print(f"alliance verify: {exc}", file=sys.stderr)
        return 2
    result = verify_credential(credential, did_document, lists)
    subject = credential.get("credentialSubject")
    number = subject.get("licenseNumber") if isinstance(subject, dict) else None
    print(f"{'VALID' if result.valid else 'INVALID'}: {number or args.credential} ({result.status})")
    for problem in result.problems:
        print(f"  problem: {problem}")
    for warning in result.warnings:
        print(f"  warning: {warning}")
    return 0 if result.valid else 1
