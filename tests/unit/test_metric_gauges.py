"""Gauges read NaN rather than fail a scrape when what they read is gone: the outbox's database,
a stopped container (tests run many in one process)."""

from __future__ import annotations

import math
import weakref

from prometheus_client import REGISTRY, generate_latest
from pymongo import MongoClient

from services.metrics import OUTBOX_PENDING, Metrics
from services.outbox import OutboxRelay


def test_a_relay_whose_client_was_closed_reads_nan_and_every_other_metric_is_still_scraped():
    client = MongoClient("mongodb://127.0.0.1:9/?directConnection=true", connect=False, serverSelectionTimeoutMS=200)
    relay = OutboxRelay(client["alliance_gauge_test"], {"AMQP_URI": "amqp://guest:guest@127.0.0.1:9//"})
    client.close()
    assert math.isnan(relay.pending_gauge())
    sample = next(
        s
        for metric in OUTBOX_PENDING.collect()
        for s in metric.samples
        if s.labels == {"service": "alliance_gauge_test"}
    )
    assert math.isnan(sample.value)
    # A scrape of the whole default registry (what /metrics serves) still succeeds.
    assert b'alliance_outbox_pending{service="alliance_gauge_test"} NaN' in generate_latest(REGISTRY)


class Container:
    """Stands for a service container, held by its dependency providers through a weak reference."""

    _worker_threads: dict = {}


def test_the_workers_gauge_of_a_container_that_is_gone_reads_nan():
    container = Container()
    metrics = Metrics()
    metrics.container = weakref.proxy(container)
    assert metrics._workers_in_use() == 0.0
    del container
    assert math.isnan(metrics._workers_in_use())
