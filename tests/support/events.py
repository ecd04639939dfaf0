"""Events on the broker: publishing as a service does, and listening as a subscriber does."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from kombu import Connection, Queue, binding
from nameko.standalone.events import get_event_exchange

from tests.support.waiting import wait_for


def publish_message(config: dict, producer: str, event_type: str, body: object, **options) -> None:
    """Publish ``body`` on ``producer``'s event exchange with routing key ``event_type``."""
    exchange = get_event_exchange(producer, config)
    with Connection(config["AMQP_URI"]) as connection:
        connection.Producer(serializer="json").publish(
            body, exchange=exchange, routing_key=event_type, declare=[exchange], retry=True, **options
        )


def publish_event(config: dict, envelope: dict, **options) -> None:
    """Publish an event envelope as its producer does: the producer's exchange, routing key = event type."""
    publish_message(config, envelope["producer"], envelope["event_type"], envelope, **options)


class EventTap:
    """A queue of the test's own, bound to a service's event exchange: every event it publishes
    (or only ``event_types``) from the moment the tap exists."""

    def __init__(self, config: dict, producer: str, *event_types: str) -> None:
        exchange = get_event_exchange(producer, config)
        self.connection = Connection(config["AMQP_URI"])
        self.channel = self.connection.channel()
        self.queue = Queue(
            f"test-tap-{uuid.uuid4().hex}",
            exclusive=True,
            bindings=[binding(exchange, routing_key=key) for key in event_types or ("#",)],
        )(self.channel)
        self.queue.declare()
        self.received: list[dict] = []

    def drain(self) -> list[dict]:
        """Every event received so far, oldest first."""
        while (message := self.queue.get(no_ack=True)) is not None:
            self.received.append(message.payload)
        return self.received

    def of_type(self, event_type: str) -> list[dict]:
        return [e for e in self.drain() if e["event_type"] == event_type]

    def first(self, predicate: Callable[[dict], bool], message: str, timeout: float = 10.0) -> dict:
        """The first event ``predicate`` accepts, once it has arrived."""
        return wait_for(lambda: next((e for e in self.drain() if predicate(e)), None), timeout=timeout, message=message)

    def close(self) -> None:
        self.channel.close()
        self.connection.release()

    def __enter__(self) -> EventTap:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
