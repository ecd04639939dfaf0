"""Rate limits on public routes, per client address, shared by every gateway instance.

A route opts in with ``route(..., rate_limit=LOOKUP_LIMIT)``; the limit itself comes from the
configuration key of that name (``PUBLIC_RATE_LIMIT: 30/minute``), in the notation of the
``limits`` library. The counters live in the gateway's own database, so two gateways
behind one address count together, and a moving window means a burst cannot straddle a
window boundary to get twice the allowance.

The client is the socket peer. Behind a reverse proxy set ``TRUSTED_PROXY_HOPS`` to the
number of proxies in front of the gateway: only then is ``X-Forwarded-For`` read (by
werkzeug's ProxyFix, see gateway/http.py), and only as many hops as are trusted, so a
client cannot choose its own address by sending the header.
"""

from __future__ import annotations

import math
import time
from typing import Any

from limits import RateLimitItem, parse
from limits.storage import MongoDBStorage
from limits.strategies import MovingWindowRateLimiter
from nameko.extensions import DependencyProvider
from pymongo import MongoClient
from werkzeug.wrappers import Request, Response

from gateway.http import problem
from services.mongo import DatabaseUnavailable, connect, database_name

#: Guessing a name or a share link: verification, printable certificates, share links.
LOOKUP_LIMIT = "PUBLIC_RATE_LIMIT"
#: The public web pages.
PAGE_LIMIT = "PAGE_RATE_LIMIT"
DEFAULTS = {LOOKUP_LIMIT: "30/minute", PAGE_LIMIT: "120/minute"}

COUNTERS = "rate_limit_counters"
WINDOWS = "rate_limit_windows"


class _SharedClientStorage(MongoDBStorage):
    """The library's MongoDB storage on a client connected the way every service connects."""

    def __init__(self, client: MongoClient, database_name: str) -> None:
        self._client = client
        super().__init__(
            "mongodb://", database_name=database_name, counter_collection_name=COUNTERS, window_collection_name=WINDOWS
        )
        # The first use creates the expiry indexes: done now, at start-up, so a failure shows here.
        if not self.check():
            raise DatabaseUnavailable(f"cannot prepare the rate limit counters in {database_name}")

    def _init_mongo_client(self, uri: str | None, **options: Any) -> MongoClient:
        return self._client


class RateLimiter:
    """Counts requests per limit and client; answers 429 once a limit is used up."""

    def __init__(self, storage: MongoDBStorage, limits: dict[str, RateLimitItem]) -> None:
        self.strategy = MovingWindowRateLimiter(storage)
        self.limits = limits

    def check(self, name: str, request: Request) -> Response | None:
        """None while ``request``'s client is within limit ``name``; else the 429 answer."""
        item = self.limits[name]
        client = request.remote_addr or "unknown"
        if self.strategy.hit(item, name, client):
            return None
        reset_at = self.strategy.get_window_stats(item, name, client).reset_time
        retry_after = max(1, math.ceil(reset_at - time.time()))
        response = problem(
            429,
            f"at most {item} from one address; try again in {retry_after} s",
        )
        response.headers["Retry-After"] = str(retry_after)
        return response


def configured_limits(config: dict[str, Any]) -> dict[str, RateLimitItem]:
    """Each named limit as configured, or its default; ValueError names a malformed one."""
    parsed = {}
    for name, default in DEFAULTS.items():
        text = str(config.get(name) or default)
        try:
            parsed[name] = parse(text)
        except ValueError:
            raise ValueError(f"{name}: {text!r} is not a rate limit such as '30/minute'") from None
    return parsed


class RateLimits(DependencyProvider):
    """The gateway's rate limiter, its counters in the gateway's database."""

    def setup(self) -> None:
        config = self.container.config
        self.client = connect(config["MONGO_URI"], float(config.get("DATABASE_TIMEOUT_SECONDS", 5)))
        database = database_name(config, self.container.service_name)
        self.limiter = RateLimiter(_SharedClientStorage(self.client, database), configured_limits(config))

    def stop(self) -> None:
        self.client.close()

    def get_dependency(self, worker_ctx) -> RateLimiter:
        return self.limiter
