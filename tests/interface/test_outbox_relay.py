"""The outbox relay against the real broker and database: a batch published, then marked sent at once."""

from __future__ import annotations

from datetime import datetime, timezone

from kombu import Connection, Exchange, Queue

from services.mongo import Repository, connect, database_name
from services.outbox import OUTBOX, OutboxRelay


def test_a_batch_is_published_and_only_its_pending_records_are_marked_sent(config):
    client = connect(config["MONGO_URI"])
    database = client[database_name(config, "relayed")]
    Repository.ensure_indexes(database, config)
    now = datetime.now(timezone.utc)
    envelopes = [
        {"event_id": f"e{n}", "event_type": "thing_happened", "producer": "relayed", "data": {"n": n}} for n in range(5)
    ]
    database[OUTBOX].insert_many(
        [
            {"_id": e["event_id"], "event_type": e["event_type"], "envelope": e, "status": "pending", "created_at": now}
            for e in envelopes
        ]
    )
    earlier = datetime(2020, 1, 1, tzinfo=timezone.utc)
    database[OUTBOX].insert_one(
        {"_id": "sent-before", "event_type": "thing_happened", "envelope": {}, "status": "sent", "sent_at": earlier}
    )
    relay = OutboxRelay(database, config)
    queue = Queue("relayed-things", Exchange("relayed.events", type="topic", durable=True), "thing_happened")
    try:
        with Connection(config["AMQP_URI"]) as connection:
            queue(connection.channel()).declare()
            assert relay.relay_once() == 5
            assert relay.relay_once() == 0
            received = []
            with connection.Consumer(queue, callbacks=[lambda body, message: received.append(body)], accept=["json"]):
                while len(received) < 5:
                    connection.drain_events(timeout=10)
        assert sorted(body["data"]["n"] for body in received) == list(range(5))
        records = {r["_id"]: r for r in database[OUTBOX].find()}
        assert {records[e["event_id"]]["status"] for e in envelopes} == {"sent"}
        assert len({records[e["event_id"]]["sent_at"] for e in envelopes}) == 1
        assert records["sent-before"]["sent_at"].replace(tzinfo=timezone.utc) == earlier
    finally:
        relay.publisher.close()
        client.close()
