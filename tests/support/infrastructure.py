"""The broker and database a test run uses, and the RabbitMQ vhosts tests keep to themselves."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from nameko.testing.rabbit import Client as RabbitAdmin

TEST_VHOST_PREFIX = "alliance_test_"
STALE_VHOST_SECONDS = 3600


@dataclass
class Infrastructure:
    amqp_uri: str  # broker root (default vhost); tests add their own vhost
    management_uri: str
    mongo_uri: str
    kind: str


def docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:  # noqa: BLE001 - no engine, no socket, no permission: all mean "no Docker"
        return False


def stale_test_vhost(name: str) -> bool:
    """A vhost an earlier, interrupted run left behind (runs going on at the same time keep theirs)."""
    if not name.startswith(TEST_VHOST_PREFIX):
        return False
    stamp = name[len(TEST_VHOST_PREFIX) :].split("_")[0]
    return not stamp.isdigit() or time.time() - int(stamp) > STALE_VHOST_SECONDS


@contextmanager
def own_vhost(infrastructure: Infrastructure) -> Iterator[str]:
    """An AMQP URI on a new vhost, deleted on leaving."""
    admin = RabbitAdmin(infrastructure.management_uri)
    vhost = f"{TEST_VHOST_PREFIX}{int(time.time())}_{uuid.uuid4().hex[:8]}"
    admin.create_vhost(vhost)
    user = urlsplit(infrastructure.amqp_uri).username or "guest"
    admin.set_vhost_permissions(vhost, user, ".*", ".*", ".*")
    try:
        yield f"{infrastructure.amqp_uri.rstrip('/')}/{quote(vhost, safe='')}"
    finally:
        admin.delete_vhost(vhost)
