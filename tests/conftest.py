"""Test infrastructure: a real RabbitMQ and a real MongoDB-protocol server.

Chosen once per run, in this order:
1. ``AMQP_URI`` / ``MONGO_URI`` from the environment;
2. testcontainers (RabbitMQ with management, MongoDB) when a Docker engine answers;
3. the local RabbitMQ on 127.0.0.1:5672 and an embedded SecantusDB started for the run.

Each test gets its own RabbitMQ vhost and its own database names, so nothing
one test leaves behind reaches another.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # nameko's pytest plugin no longer does this

import os  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402
from nameko.testing.rabbit import Client as RabbitAdmin  # noqa: E402

from alliance.embedded_db import EmbeddedDatabase, free_port  # noqa: E402
from services.config import DEFAULT_CONFIG_PATH, read_config  # noqa: E402
from tests.support.infrastructure import (  # noqa: E402
    Infrastructure,
    docker_answers,
    own_vhost,
    stale_test_vhost,
)


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    started: list = []
    amqp_uri = os.environ.get("AMQP_URI")
    management_uri = os.environ.get("RABBIT_MANAGEMENT_URI", "http://guest:guest@127.0.0.1:15672")
    mongo_uri = os.environ.get("MONGO_URI")
    kind = "environment"
    use_docker = (not amqp_uri or not mongo_uri) and docker_answers()
    if not amqp_uri:
        if use_docker:
            from testcontainers.rabbitmq import RabbitMqContainer

            rabbit = RabbitMqContainer("rabbitmq:3-management").with_exposed_ports(5672, 15672)
            rabbit.start()
            started.append(rabbit)
            host = rabbit.get_container_host_ip()
            amqp_uri = f"amqp://guest:guest@{host}:{rabbit.get_exposed_port(5672)}/"
            management_uri = f"http://guest:guest@{host}:{rabbit.get_exposed_port(15672)}"
            kind = "testcontainers"
        else:
            amqp_uri = "amqp://guest:guest@127.0.0.1:5672/"
            kind = "local"
    if not mongo_uri:
        if use_docker:
            from testcontainers.mongodb import MongoDbContainer

            mongo = MongoDbContainer("mongo:7").with_command("--replSet rs0 --bind_ip_all")
            mongo.start()
            started.append(mongo)
            mongo.exec("mongosh --quiet --eval 'rs.initiate()'")
            mongo_uri = (
                f"mongodb://{mongo.get_container_host_ip()}:{mongo.get_exposed_port(27017)}/?directConnection=true"
            )
        else:
            database = EmbeddedDatabase(":memory:")
            database.start()
            started.append(database)
            mongo_uri = database.uri
    admin = RabbitAdmin(management_uri)
    for vhost in admin.get_all_vhosts():
        if stale_test_vhost(vhost["name"]):
            admin.delete_vhost(vhost["name"])
    yield Infrastructure(amqp_uri, management_uri, mongo_uri, kind)
    for part in reversed(started):
        part.stop()


@pytest.fixture
def vhost_uri(infrastructure: Infrastructure) -> Iterator[str]:
    """An AMQP URI on a vhost of this test's own, deleted afterwards."""
    with own_vhost(infrastructure) as uri:
        yield uri


@pytest.fixture
def config(infrastructure: Infrastructure, vhost_uri: str, tmp_path) -> dict:
    """A service configuration isolated to this test (vhost, databases, data dir)."""
    base = read_config(DEFAULT_CONFIG_PATH)
    base.update(
        AMQP_URI=vhost_uri,
        MONGO_URI=infrastructure.mongo_uri,
        DATABASE_PREFIX=f"t{uuid.uuid4().hex[:10]}_",
        DATA_DIR=str(tmp_path / "var"),
        WEB_SERVER_ADDRESS=f"127.0.0.1:{free_port()}",
        JWT_SECRET="test-secret-" + uuid.uuid4().hex,
        OUTBOX_POLL_SECONDS=0.2,
        EVENT_RETRY_BASE_SECONDS=0.2,
        # A cohort of 2,114 people registered in one call must fit on a busy 2-core machine.
        RPC_TIMEOUT_SECONDS=15,
        max_workers=10,
    )
    return base
