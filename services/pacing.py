"""Polling that slows down while there is nothing to do.

A service's work timer ticks often, so queued work starts at once; an :class:`IdlePacing` lets a
tick ask the database only when it is due. Each tick that finds nothing doubles the wait, up to
``IDLE_POLL_SECONDS``; a tick that finds work, or a submission through this instance
(:meth:`IdlePacing.wake`), brings it back to every tick. Work submitted through another instance
is found within ``IDLE_POLL_SECONDS`` at the latest.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from nameko.extensions import DependencyProvider

DEFAULT_IDLE_POLL_SECONDS = 2.0


class IdlePacing:
    """When a polling tick should ask for work: every ``busy_seconds`` while there is work, backing
    off to every ``idle_seconds`` while there is none."""

    def __init__(self, busy_seconds: float, idle_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.busy_seconds = busy_seconds
        self.idle_seconds = max(idle_seconds, busy_seconds)
        self.clock = clock
        self.interval = busy_seconds
        self.next_at = 0.0

    def due(self) -> bool:
        return self.clock() >= self.next_at

    def record(self, found_work: bool) -> None:
        """After a tick that asked: poll at once again after work, later and later after none."""
        self.interval = self.busy_seconds if found_work else min(self.idle_seconds, self.interval * 2)
        # The timer itself waits busy_seconds between ticks.
        self.next_at = self.clock() + self.interval - self.busy_seconds

    def wake(self) -> None:
        """Work was just submitted here: the next tick asks."""
        self.interval = self.busy_seconds
        self.next_at = 0.0


class Pacing(DependencyProvider):
    """One :class:`IdlePacing` per service instance, shared by its workers (the timer's and the RPCs')."""

    def __init__(self, busy_seconds: float) -> None:
        self.busy_seconds = busy_seconds

    def setup(self) -> None:
        idle = float(self.container.config.get("IDLE_POLL_SECONDS", DEFAULT_IDLE_POLL_SECONDS))
        self.pacing = IdlePacing(self.busy_seconds, idle)

    def get_dependency(self, worker_ctx) -> IdlePacing:
        return self.pacing
