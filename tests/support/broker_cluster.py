"""A RabbitMQ cluster of a test's own: three nodes on this machine, joined into one cluster.

The nodes are :class:`~tests.support.broker_node.BrokerNode` instances under one ``base_dir``,
so they share its ``HOME`` and therefore one Erlang cookie of their own; the machine's broker
(its node name, port 5672 and cookie) is never touched. Nodes start one after the other: on a
small shared machine three booting Erlang VMs at once starve everything else.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.broker_node import BrokerNode, BrokerNodeError

CLUSTER_SIZE = 3


@dataclass
class BrokerCluster:
    """Nodes joined to the first one; ``amqp_uri`` lists every node for the clients' failover."""

    nodes: list[BrokerNode]

    @property
    def amqp_uri(self) -> str:
        """Every node's address, separated by ``;``: kombu connects to the next when one is lost."""
        return ";".join(node.amqp_uri for node in self.nodes)

    def queue_leaders(self) -> dict[str, str]:
        """Each quorum queue of the default vhost and the node that leads it, as a surviving node sees them.

        Asked through the management API: ``rabbitmqctl`` boots an Erlang VM per call, which
        takes tens of seconds on a busy machine.
        """
        for node in self.nodes:
            try:
                response = requests.get(
                    f"{node.management_uri}/api/queues/%2F", params={"columns": "name,type,leader"}, timeout=30
                )
                response.raise_for_status()
            except requests.RequestException:
                continue
            return {row["name"]: row["leader"] for row in response.json() if row.get("type") == "quorum"}
        raise BrokerNodeError("no node of the cluster answers")

    def leading_node(self) -> BrokerNode:
        """The node that leads the most quorum queues."""
        leaders = Counter(self.queue_leaders().values())
        if not leaders:
            raise BrokerNodeError("the cluster has no quorum queue")
        name = leaders.most_common(1)[0][0]
        return next(node for node in self.nodes if node.name == name)

    def stop(self) -> None:
        """Halt every node still running, all at once; each is killed if it will not halt."""
        halting = [(node, node.request_stop()) for node in self.nodes]
        failures = []
        for node, pid in halting:
            try:
                node.wait_halted(pid)
            except Exception as exc:  # noqa: BLE001 - the other nodes must be stopped all the same
                failures.append(exc)
        if failures:
            raise failures[0]


def started_node(base_dir: Path, name: str) -> BrokerNode:
    """A started node called ``name``; a boot that fails (a port taken meanwhile by someone else on a
    shared machine) is halted and tried once more, on fresh ports under a fresh name."""
    node = BrokerNode(base_dir, name=name)
    try:
        node.start()
        return node
    except BrokerNodeError:
        node.stop()
    short, host = name.split("@")
    node = BrokerNode(base_dir, name=f"{short}-retry@{host}")
    node.start()
    return node


@contextmanager
def broker_cluster(base_dir: Path, size: int = CLUSTER_SIZE) -> Iterator[BrokerCluster]:
    """A started cluster of ``size`` nodes under ``base_dir``; every node stopped on leaving, even on failure."""
    prefix = f"cluster-{uuid.uuid4().hex[:6]}"
    cluster = BrokerCluster([])
    try:
        for i in range(size):
            node = started_node(Path(base_dir), f"{prefix}-{i}@localhost")
            cluster.nodes.append(node)
            if i:
                node.ctl("stop_app")
                node.ctl("join_cluster", cluster.nodes[0].name)
                node.start_app()
        yield cluster
    finally:
        cluster.stop()
