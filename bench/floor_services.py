"""The verify floor: a bare nameko http entrypoint → one RPC → one find_one, no project code."""

from __future__ import annotations

import json

from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy, rpc
from nameko.web.handlers import http
from pymongo import MongoClient


class Collection(DependencyProvider):
    def setup(self) -> None:
        self.client = MongoClient(self.container.config["FLOOR_MONGO_URI"])
        self.collection = self.client[self.container.config["FLOOR_DATABASE"]]["certificates"]

    def stop(self) -> None:
        self.client.close()

    def get_dependency(self, worker_ctx):
        return self.collection


class FloorStore:
    name = "floor_store"
    certificates = Collection()

    @rpc
    def find(self, number: str) -> dict | None:
        return self.certificates.find_one({"_id": number}, {"_id": 0, "number": 1, "status": 1, "title": 1})


class FloorGateway:
    name = "floor_gateway"
    store = RpcProxy("floor_store")

    @http("GET", "/verify/<string:number>")
    def verify(self, request, number: str) -> str:
        return json.dumps(self.store.find(number))
