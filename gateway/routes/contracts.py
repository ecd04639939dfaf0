"""The machine-readable contract of the published events."""

from __future__ import annotations

from typing import Any

from nameko.dependency_providers import Config

from gateway.api import PUBLIC, Call, route
from services.contracts.asyncapi import asyncapi_document


class ContractRoutes:
    config = Config()

    @route(
        "GET",
        "/asyncapi.json",
        summary="The AsyncAPI 3.0 document of every published event",
        access=PUBLIC,
        tags=("system",),
    )
    def asyncapi(self, call: Call) -> dict[str, Any]:
        return asyncapi_document(str(self.config["AMQP_URI"]))
