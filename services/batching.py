"""Consuming events in batches: one worker, one transaction and one bulk write for many events.

``batch_event_handler`` is ``event_handler`` for a flood of one kind of event
(a cohort's ``person_registered``, its ``certificate_issued``). Its queue, and
the retry and dead-letter queues behind it, are the same; what differs is that
the entrypoint collects up to ``EVENT_BATCH_SIZE`` messages, or what arrived
within ``EVENT_BATCH_WAIT_MS`` of the first, and hands the service method the
list of their envelopes in one worker. Once the method returns, every message
of the batch is acked. When it raises, each message of the batch is handled
again alone, one after the other, and acked, retried or dead-lettered as
``event_handler`` does, so one poison message is retried and parked by itself
with the same attempt counts, and no message is acked before its effect has
been committed.

Batch handlers consume on a connection of their own whose prefetch holds two
batches (one being worked on, the next being collected), and each handler has
its own queue: a backlog of one kind occupies at most two workers and never
stands in front of the messages of another kind.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any, Generic, TypeVar

import eventlet
from eventlet.event import Event
from nameko.exceptions import ContainerBeingKilled

from services.messaging import DeadLetteringQueueConsumer, ReliableEventHandler, describe_failure
from services.metrics import EVENTS_CONSUMED

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_BATCH_SIZE = 100
DEFAULT_BATCH_WAIT_MS = 20
#: Batches in flight per handler: one being worked on while the next is collected.
BATCHES_IN_FLIGHT = 2


def batch_size(config: dict[str, Any]) -> int:
    """``EVENT_BATCH_SIZE``: at most this many messages per batch (at least 1)."""
    value = config.get("EVENT_BATCH_SIZE")
    size = int(DEFAULT_BATCH_SIZE if value in (None, "") else value)
    if size < 1:
        raise ValueError(f"EVENT_BATCH_SIZE must be at least 1, not {size}")
    return size


def batch_wait_seconds(config: dict[str, Any]) -> float:
    """``EVENT_BATCH_WAIT_MS`` as seconds: how long a batch waits for more after its first message."""
    wait_ms = config.get("EVENT_BATCH_WAIT_MS")
    wait = float(DEFAULT_BATCH_WAIT_MS if wait_ms in (None, "") else wait_ms) / 1000
    if wait < 0:
        raise ValueError(f"EVENT_BATCH_WAIT_MS must not be negative, not {wait_ms}")
    return wait


class BatchCollector(Generic[T]):
    """Groups arriving items into numbered batches of at most ``size`` items; free of I/O and clocks.

    A batch closes when it is full (``add`` returns it) or when whoever timed it asks for it
    by number (``close``); a timer that fires after its batch was already closed, full, gets
    nothing, whatever batch is open by then.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a batch holds at least one item")
        self.size = size
        self._items: list[T] = []
        self._number = 0

    @property
    def open_batch(self) -> int | None:
        """The number of the batch being collected; None while no item waits."""
        return self._number if self._items else None

    def add(self, item: T) -> list[T] | None:
        """Add ``item`` to the open batch (opening one if none is); the batch, once ``item`` fills it."""
        self._items.append(item)
        if len(self._items) >= self.size:
            return self._take()
        return None

    def close(self, number: int | None = None) -> list[T]:
        """The open batch's items, closing it; only if it is batch ``number`` when one is given."""
        if not self._items or (number is not None and number != self._number):
            return []
        return self._take()

    def _take(self) -> list[T]:
        items, self._items = self._items, []
        self._number += 1
        return items


class BatchQueueConsumer(DeadLetteringQueueConsumer):
    """The batch handlers' own consumer: a prefetch that lets two full batches be delivered."""

    @property
    def prefetch_count(self) -> int:
        return batch_size(self.container.config) * BATCHES_IN_FLIGHT


class BatchEventHandler(ReliableEventHandler):
    """An event handler whose method takes a list of validated envelopes; see the module's docstring."""

    queue_consumer = BatchQueueConsumer()

    def setup(self) -> None:
        super().setup()
        config = self.container.config
        self.collector: BatchCollector[tuple[dict[str, Any], Any]] = BatchCollector(batch_size(config))
        self.wait_seconds = batch_wait_seconds(config)

    def stop(self) -> None:
        super().stop()
        # No more deliveries: what was collected is worked on before the container's workers stop.
        self._dispatch(self.collector.close())

    def handle_message(self, body: Any, message: Any) -> None:
        envelope = self.envelope_or_dead_letter(body, message)
        if envelope is None:
            return
        opening = self.collector.open_batch is None
        full = self.collector.add((envelope, message))
        if full is not None:
            self._dispatch(full)
        elif opening:
            number = self.collector.open_batch
            self.container.spawn_managed_thread(
                partial(self._close_after_wait, number), identifier=f"{type(self).__name__}.wait[{self.queue.name}]"
            )

    def _close_after_wait(self, number: int | None) -> None:
        eventlet.sleep(self.wait_seconds)
        self._dispatch(self.collector.close(number))

    def _dispatch(self, batch: list[tuple[dict[str, Any], Any]]) -> None:
        """One worker for the whole batch; its messages go back to the queue if the container is dying."""
        if not batch:
            return
        try:
            self.container.spawn_worker(
                self,
                ([envelope for envelope, _ in batch],),
                {},
                context_data=self.unpack_message_headers(batch[0][1]),
                handle_result=partial(self._batch_done, batch),
            )
        except ContainerBeingKilled:
            for _, message in batch:
                self.queue_consumer.requeue_message(message)

    def _batch_done(
        self, batch: list[tuple[dict[str, Any], Any]], worker_ctx: Any, result: Any = None, exc_info: Any = None
    ) -> tuple[Any, Any]:
        if exc_info is None:
            for _, message in batch:
                self.queue_consumer.ack_message(message)
            EVENTS_CONSUMED.labels(self.container.service_name, self.source_service, self.event_type).inc(len(batch))
        elif len(batch) == 1:
            self.handle_message_processed(batch[0][1], result, exc_info)
        else:
            log.warning(
                "a batch of %d %s.%s events failed (%s); handling each alone",
                len(batch),
                self.source_service,
                self.event_type,
                describe_failure(exc_info[1]),
            )
            # Not from this worker's thread: it holds a slot of the worker pool the retries need.
            self.container.spawn_managed_thread(
                partial(self._handle_each_alone, batch), identifier=f"{type(self).__name__}.alone[{self.queue.name}]"
            )
        return result, exc_info

    def _handle_each_alone(self, batch: list[tuple[dict[str, Any], Any]]) -> None:
        """Each message in a batch of its own, one at a time: acked, retried or dead-lettered by itself."""
        for envelope, message in batch:
            done = Event()
            try:
                self.container.spawn_worker(
                    self,
                    ([envelope],),
                    {},
                    context_data=self.unpack_message_headers(message),
                    handle_result=partial(self._alone_done, message, done),
                )
            except ContainerBeingKilled:
                self.queue_consumer.requeue_message(message)
                continue
            done.wait()

    def _alone_done(
        self, message: Any, done: Event, worker_ctx: Any, result: Any = None, exc_info: Any = None
    ) -> tuple[Any, Any]:
        try:
            self.handle_message_processed(message, result, exc_info)
        finally:
            done.send(None)
        return result, exc_info


batch_event_handler = BatchEventHandler.decorator
