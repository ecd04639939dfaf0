"""Configuration: one YAML file with ``${VAR:default}`` substitution, read once."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from nameko.cli.main import setup_yaml_parser

DEFAULT_CONFIG_PATH = Path(__file__).with_name("default.yaml")
CONFIG_ENV_VAR = "ALLIANCE_CONFIG"


def config_path() -> Path:
    """The configuration file in force: ``$ALLIANCE_CONFIG`` or the packaged default."""
    return Path(os.environ.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG_PATH)


def read_config(path: Path) -> dict[str, Any]:
    """Parse one YAML configuration file, substituting environment variables."""
    setup_yaml_parser()
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


@functools.lru_cache(maxsize=1)
def load_config() -> dict[str, Any]:
    """The process-wide configuration, read once."""
    return read_config(config_path())


def data_dir(config: dict[str, Any]) -> Path:
    """The directory for local state (embedded database, generated secrets and keys)."""
    path = Path(str(config.get("DATA_DIR") or "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"


def public_base_url(config: Mapping[str, Any]) -> str:
    """Where the public reaches the gateway (``PUBLIC_BASE_URL``), without a trailing slash."""
    return str(config.get("PUBLIC_BASE_URL") or DEFAULT_PUBLIC_BASE_URL).rstrip("/")
