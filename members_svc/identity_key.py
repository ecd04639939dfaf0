"""The deployment's key for hashing national ID numbers, as a nameko dependency.

``IDENTITY_KEY`` (hex, at least 32 bytes) when configured; else generated once
in ``<ALLIANCE_DATA_DIR>/identity-key`` (mode 0600) and read from there by
every instance. Losing the key only stops repeats from being recognised; the
numbers themselves were never stored.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nameko.extensions import DependencyProvider

from services.config import data_dir

KEY_BYTES = 32
KEY_FILE = "identity-key"


def _create_once(path: Path) -> None:
    # Linking a finished file into place is atomic: of instances starting together, one key wins.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".identity-key-")
    try:
        with os.fdopen(handle, "w") as file:
            file.write(secrets.token_hex(KEY_BYTES))
        os.chmod(temporary, 0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)


def identity_key(config: Mapping[str, Any]) -> bytes:
    """The configured key, or the one generated once under the data dir."""
    configured = config.get("IDENTITY_KEY")
    if configured:
        key = bytes.fromhex(str(configured))
    else:
        path = data_dir(config) / KEY_FILE
        if not path.exists():
            _create_once(path)
        key = bytes.fromhex(path.read_text().strip())
    if len(key) < KEY_BYTES:
        raise ValueError(f"IDENTITY_KEY must be at least {KEY_BYTES} bytes written in hex")
    return key


class IdentityKey(DependencyProvider):
    """Loads the identity key once per process."""

    def setup(self) -> None:
        self.key = identity_key(self.container.config)

    def get_dependency(self, worker_ctx) -> bytes:
        return self.key
