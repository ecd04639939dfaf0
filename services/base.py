"""What every domain service class has in common: request ids, metrics, config and a ping."""

from __future__ import annotations

from typing import Any, ClassVar

from nameko.dependency_providers import Config

from services.context import RequestContext
from services.metrics import Metrics
from services.mongo import Repository
from services.rpc import rpc


class DomainService:
    """Base of the three domain services.

    nameko finds entrypoints and dependencies on base classes too, so each service
    declares only its name, its ``repository = MongoDatabase(...)`` and its own entrypoints.
    """

    name: ClassVar[str]
    repository: Repository

    request_id = RequestContext()
    metrics = Metrics()
    config = Config()

    @rpc
    def ping(self) -> dict[str, Any]:
        """This instance answers, and so does its database."""
        return {"service": self.name, "database": self.repository.ping()}
