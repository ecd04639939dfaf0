"""Waiting in tests for something the services do asynchronously."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from services.waiting import wait_until

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.05, message: str = "condition"
) -> T:
    """Poll ``predicate`` until it returns something truthy; TimeoutError after ``timeout`` seconds.

    The loop is the project's :func:`services.waiting.wait_until`; its sleep lets the services'
    green threads run because tests/conftest.py monkey-patches the test process.
    """
    return wait_until(predicate, timeout, message, interval)
