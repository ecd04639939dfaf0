"""The gateway: the HTTP API in front of the domain services."""

from __future__ import annotations

from datetime import timedelta

from nameko.extensions import DependencyProvider

from gateway.auth import ACCESS_TOKEN_LIFETIME, jwt_secret, max_token_lifetime
from gateway.idempotency import IdempotencyRepository
from gateway.rate_limits import RateLimits
from gateway.routes.accounts import AccountsRoutes
from gateway.routes.certificates import CertificatesRoutes
from gateway.routes.contracts import ContractRoutes
from gateway.routes.events import EventsRoutes
from gateway.routes.exports import ExportRoutes
from gateway.routes.members import MembersRoutes
from gateway.routes.spreadsheets import SpreadsheetRoutes
from gateway.routes.system import SystemRoutes
from gateway.routes.web import WebRoutes
from gateway.token_keys import TokenKeyStore, token_keys_directory
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


class TokenKeys(DependencyProvider):
    """The keys of account access tokens, read at start-up (a first one created if none exists)."""

    def setup(self) -> None:
        self.keys = TokenKeyStore(token_keys_directory(self.container.config), ACCESS_TOKEN_LIFETIME)

    def get_dependency(self, worker_ctx) -> TokenKeyStore:
        return self.keys


class GatewayService(
    SystemRoutes,
    MembersRoutes,
    EventsRoutes,
    CertificatesRoutes,
    SpreadsheetRoutes,
    ExportRoutes,
    AccountsRoutes,
    ContractRoutes,
    WebRoutes,
):
    name = "gateway"

    request_id = RequestContext()
    metrics = Metrics()
    jwt_secret = JwtSecret()
    token_max_lifetime = TokenMaxLifetime()
    token_keys = TokenKeys()
    idempotency = MongoDatabase(IdempotencyRepository)
    rate_limits = RateLimits()
    members_rpc = TimedRpcProxy("members")
    events_rpc = TimedRpcProxy("events")
    certificates_rpc = TimedRpcProxy("certificates")
