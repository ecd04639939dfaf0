"""Runs one service in this process: ``python -m alliance.runner members``."""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)  # eventlet announces its own

import eventlet  # noqa: E402

eventlet.monkey_patch()  # before anything else imports socket or threading

import argparse  # noqa: E402
import importlib  # noqa: E402
import logging.config  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

from nameko.cli.run import run  # noqa: E402

from services.config import load_config  # noqa: E402
from services.logging import logging_config  # noqa: E402
from services.registry import SERVICES  # noqa: E402


def service_class(name: str) -> type:
    module_name, _, class_name = SERVICES[name].entrypoint.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alliance.runner")
    parser.add_argument("service", choices=sorted(SERVICES))
    args = parser.parse_args(argv)
    os.environ.setdefault("ALLIANCE_SERVICE", args.service)
    config = dict(load_config())
    logging.config.dictConfig(
        logging_config(args.service, str(config.get("LOG_LEVEL") or "INFO"), str(config.get("LOG_FORMAT") or "json"))
    )
    run([service_class(args.service)], config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
