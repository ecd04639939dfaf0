"""A student-records system's subscriber to the alliance's certificate_issued events.

It needs nothing but RabbitMQ and the published AsyncAPI document: it reads the
exchange, routing key and message JSON Schema from the document, declares its
own durable queue, validates every message, records it, and acknowledges it
only then. A message that is not valid JSON or does not match the schema is
rejected; RabbitMQ dead-letters it to ``<queue>.invalid``, where it waits for
someone to look at it instead of being lost.

    pip install kombu jsonschema
    python certificate_subscriber.py --contract http://127.0.0.1:8000/asyncapi.json \\
        --amqp-uri amqp://guest:guest@localhost:5672/ --queue student-records.certificates

Each processed message is one JSON line on stdout (``recorded``, ``duplicate``
or ``rejected``); progress and a summary go to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import jsonschema
from kombu import Connection, Exchange, Queue

log = logging.getLogger("certificate_subscriber")

EVENT = "certificates.certificate_issued"


def load_document(location: str) -> dict[str, Any]:
    """The AsyncAPI document from a file path or an http(s) URL."""
    if location.startswith(("http://", "https://")):
        with urllib.request.urlopen(location, timeout=10) as response:
            return json.load(response)
    return json.loads(Path(location).read_text(encoding="utf-8"))


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``{"$ref": "#/..."}`` to the object it points at."""
    while "$ref" in node:
        target: Any = document
        for token in node["$ref"].removeprefix("#/").split("/"):
            target = target[token.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


class Subscription:
    """Where an event is published and what its messages look like, read from the document."""

    def __init__(self, document: dict[str, Any], event: str) -> None:
        channel = resolve(document, document["channels"][event])
        binding = channel["bindings"]["amqp"]["exchange"]
        self.exchange = Exchange(
            binding["name"],
            type=binding["type"],
            durable=binding["durable"],
            auto_delete=binding.get("autoDelete", False),
        )
        self.routing_key = channel["address"]
        message = resolve(document, next(iter(channel["messages"].values())))
        schema = resolve(document, message["payload"])
        validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
        self.validator = validator_class(schema)

    def problems(self, body: Any) -> list[str]:
        """Why ``body`` does not match the message schema (empty when it does)."""
        return [
            f"{'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}"
            for error in self.validator.iter_errors(body)
        ]


class CertificateRecords:
    """The subscriber's own store: certificates by number, and the event ids already handled.

    A real system keeps both in its database and writes them in one transaction,
    because the same event can be delivered more than once.
    """

    def __init__(self) -> None:
        self.certificates: dict[str, dict[str, Any]] = {}
        self.seen_event_ids: set[str] = set()

    def record(self, event: dict[str, Any]) -> bool:
        """Store the certificate; False when this event was already recorded."""
        if event["event_id"] in self.seen_event_ids:
            return False
        self.certificates[event["data"]["number"]] = event["data"]
        self.seen_event_ids.add(event["event_id"])
        return True


class Subscriber:
    def __init__(self, subscription: Subscription, queue_name: str) -> None:
        self.subscription = subscription
        self.records = CertificateRecords()
        self.counts = {"recorded": 0, "duplicate": 0, "rejected": 0}
        self.invalid_queue = Queue(f"{queue_name}.invalid", durable=True)
        self.queue = Queue(
            queue_name,
            subscription.exchange,
            routing_key=subscription.routing_key,
            durable=True,
            queue_arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": self.invalid_queue.name},
        )

    @property
    def handled(self) -> int:
        return sum(self.counts.values())

    def declare(self, connection: Connection) -> None:
        channel = connection.default_channel
        self.invalid_queue(channel).declare()
        self.queue(channel).declare()

    def on_message(self, message: Any) -> None:
        try:
            body = json.loads(message.body)
        except (ValueError, UnicodeDecodeError) as exc:
            self.reject(message, None, [f"(body): not JSON: {exc}"])
            return
        problems = self.subscription.problems(body)
        if problems:
            self.reject(message, body, problems)
            return
        outcome = "recorded" if self.records.record(body) else "duplicate"
        self.counts[outcome] += 1
        emit(
            {
                "status": outcome,
                "event_id": body["event_id"],
                "number": body["data"]["number"],
                "holder_id": body["data"]["holder_id"],
                "title": body["data"]["title"],
            }
        )
        message.ack()  # only now: a crash before this line gets the message delivered again

    def reject(self, message: Any, body: Any, problems: list[str]) -> None:
        event_id = body.get("event_id") if isinstance(body, dict) else None
        log.warning(
            "rejecting message %s to %s: %s",
            event_id or message.properties.get("message_id"),
            self.invalid_queue.name,
            "; ".join(problems),
        )
        self.counts["rejected"] += 1
        emit({"status": "rejected", "event_id": event_id, "problems": problems, "parked_in": self.invalid_queue.name})
        message.reject(requeue=False)


def emit(line: dict[str, Any]) -> None:
    print(json.dumps(line, ensure_ascii=False), flush=True)


def consume(
    connection: Connection, subscriber: Subscriber, max_messages: int | None, idle_timeout: float | None
) -> None:
    """Process messages until ``max_messages`` were handled or none came for ``idle_timeout`` s."""
    last_message_at = time.monotonic()
    with connection.Consumer(subscriber.queue, on_message=subscriber.on_message, prefetch_count=20):
        while max_messages is None or subscriber.handled < max_messages:
            handled = subscriber.handled
            try:
                connection.drain_events(timeout=0.5)
            except TimeoutError:
                pass
            if subscriber.handled != handled:
                last_message_at = time.monotonic()
            elif idle_timeout is not None and time.monotonic() - last_message_at >= idle_timeout:
                log.info("no message for %.1f s; stopping", idle_timeout)
                return


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contract", required=True, help="AsyncAPI document: a file path or an http(s) URL")
    parser.add_argument(
        "--amqp-uri", default="amqp://guest:guest@localhost:5672/", help="the broker, with credentials and virtual host"
    )
    parser.add_argument("--queue", default="student-records.certificates", help="this subscriber's own durable queue")
    parser.add_argument("--max-messages", type=int, default=None, help="stop after this many messages")
    parser.add_argument(
        "--idle-timeout", type=float, default=None, help="stop when no message arrived for this many seconds"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    try:
        subscription = Subscription(load_document(args.contract), EVENT)
    except (OSError, ValueError, KeyError) as exc:
        log.error("cannot read the %s channel from %s: %s", EVENT, args.contract, exc)
        return 2
    subscriber = Subscriber(subscription, args.queue)
    with Connection(args.amqp_uri) as connection:
        try:
            connection.ensure_connection(max_retries=3)
        except Exception as exc:  # noqa: BLE001 - any failure to connect is reported the same way
            log.error("cannot reach the broker: %s", exc)
            return 2
        subscriber.declare(connection)
        log.info(
            "listening on queue %s (exchange %s, routing key %s)",
            subscriber.queue.name,
            subscription.exchange.name,
            subscription.routing_key,
        )
        try:
            consume(connection, subscriber, args.max_messages, args.idle_timeout)
        except KeyboardInterrupt:
            log.info("interrupted")
    log.info("handled %d message(s): %s", subscriber.handled, subscriber.counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
