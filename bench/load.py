"""A closed-loop HTTP load: N clients, each sending its next request when the last one answered."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

import requests


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def closed_loop(url_for: Callable[[int], str], clients: int, seconds: float) -> dict[str, float]:
    """Requests per second and latency percentiles (ms) of ``clients`` looping for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop_at = time.monotonic() + seconds

    def client(index: int) -> None:
        session = requests.Session()
        n = 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                ok = session.get(url_for(index * 100003 + n), timeout=30).status_code < 500
            except requests.RequestException:
                ok = False
            latencies[index].append((time.perf_counter() - started) * 1000)
            errors[index] += 0 if ok else 1
            n += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    flat = [v for per_client in latencies for v in per_client]
    return {
        "requests": len(flat),
        "errors": sum(errors),
        "rps": len(flat) / elapsed,
        "p50_ms": percentile(flat, 0.50),
        "p99_ms": percentile(flat, 0.99),
        "mean_ms": statistics.fmean(flat) if flat else float("nan"),
    }
