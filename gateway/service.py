"""The gateway: the HTTP API in front of the domain services."""

from __future__ import annotations

from datetime import timedelta

from nameko.extensions import DependencyProvider

from gateway.auth import jwt_secret, max_token_lifetime
from gateway.idempotency import IdempotencyRepository
from gateway.rate_limits import RateLimits
from gateway.routes.certificates import CertificatesRoutes
from gateway.routes.contracts import ContractRoutes
from gateway.routes.events import EventsRoutes
from gateway.routes.exports import ExportRoutes
from gateway.routes.members import MembersRoutes
from gateway.routes.spreadsheets import SpreadsheetRoutes
from gateway.routes.system import SystemRoutes
from gateway.routes.web import WebRoutes
from services.context import RequestContext
from services.metrics import Metrics
from services.mongo import MongoDatabase
from services.rpc import TimedRpcProxy


class JwtSecret(DependencyProvider):
    """The token secret, read once at start-up."""

    def setup(self) -> None:
        self.secret = jwt_secret(self.container.config)

    def get_dependency(self, worker_ctx) -> str:
        return self.secret


class TokenMaxLifetime(DependencyProvider):
    """The longest lifetime a bearer token may have, from the configuration."""

    def setup(self) -> None:
        self.lifetime = max_token_lifetime(self.container.config)

    def get_dependency(self, worker_ctx) -> timedelta:
        return self.lifetime


class GatewayService(
    SystemRoutes,
    MembersRoutes,
    EventsRoutes,
    CertificatesRoutes,
    SpreadsheetRoutes,
    ExportRoutes,
    ContractRoutes,
    WebRoutes,
):
    name = "gateway"

    request_id = RequestContext()
    metrics = Metrics()
    jwt_secret = JwtSecret()
    token_max_lifetime = TokenMaxLifetime()
    idempotency = MongoDatabase(IdempotencyRepository)
    rate_limits = RateLimits()
    members_rpc = TimedRpcProxy("members")
    events_rpc = TimedRpcProxy("events")
    certificates_rpc = TimedRpcProxy("certificates")
