"""``alliance contract``: print the AsyncAPI 3.0 document of every published event."""

from __future__ import annotations

import argparse
import json

from services.config import load_config
from services.contracts.asyncapi import asyncapi_document


def register(commands) -> None:
    parser = commands.add_parser("contract", help="print the AsyncAPI 3.0 document of the published events (JSON)")
    parser.add_argument("--output", metavar="FILE", help="write the document to FILE instead of stdout")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    document = asyncapi_document(str(load_config()["AMQP_URI"]))
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        print(text, end="")
    return 0
