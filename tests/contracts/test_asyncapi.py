"""The AsyncAPI document: valid AsyncAPI 3.0, complete, and derived from the marshmallow contracts.

``asyncapi-3.0.0.schema.json`` is the official AsyncAPI 3.0.0 JSON Schema,
copied unchanged from ``schemas/3.0.0.json`` of the npm package
``@asyncapi/specs`` 6.11.1 (Apache-2.0; its LICENSE and NOTICE lie beside it).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from services.config import load_config
from services.contracts import CONTRACTS, parse_event
from services.contracts.asyncapi import asyncapi_document, broker_server
from tests.support.cli import alliance_in_process

ASYNCAPI_SCHEMA = json.loads(Path(__file__).with_name("asyncapi-3.0.0.schema.json").read_text("utf-8"))
URI = "amqp://guest:secret-password@rabbit.example:5673/alliance"
NAMES = [f"{producer}.{event_type}" for producer, event_type in CONTRACTS]


@pytest.fixture(scope="module")
def document() -> dict:
    return asyncapi_document(URI)


def asyncapi_errors(document: dict) -> list[str]:
    validator = jsonschema.Draft7Validator(ASYNCAPI_SCHEMA)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def resolve(document: dict, node: dict) -> dict:
    while "$ref" in node:
        target = document
        for token in node["$ref"].removeprefix("#/").split("/"):
            target = target[token]
        node = target
    return node


def closed_objects(schema, path: str = "") -> list[str]:
    """Where a JSON Schema forbids properties it does not list."""
    if isinstance(schema, dict):
        found = [path] if schema.get("additionalProperties") is False else []
        return found + [p for key, value in schema.items() for p in closed_objects(value, f"{path}/{key}")]
    if isinstance(schema, list):
        return [p for index, item in enumerate(schema) for p in closed_objects(item, f"{path}/{index}")]
    return []


def test_the_document_is_valid_asyncapi_3(document):
    assert document["asyncapi"] == "3.0.0"
    assert asyncapi_errors(document) == []


def test_the_validation_would_notice_an_invalid_document(document):
    broken = copy.deepcopy(document)
    del broken["operations"]["certificates_certificate_issued"]["action"]
    broken["channels"]["certificates.certificate_issued"]["bindings"]["amqp"]["exchange"]["type"] = "queue"
    assert len(asyncapi_errors(broken)) == 2


@pytest.mark.parametrize("name", NAMES)
def test_each_event_has_its_exchange_routing_key_delivery_and_payload(document, name):
    producer, event_type = name.split(".")
    contract = CONTRACTS[(producer, event_type)]
    channel = document["channels"][name]
    assert channel["address"] == event_type
    assert channel["bindings"]["amqp"]["exchange"] == {
        "name": f"{producer}.events",
        "type": "topic",
        "durable": True,
        "autoDelete": False,
        "vhost": "alliance",
    }
    operation = document["operations"][name.replace(".", "_")]
    assert operation["action"] == "send" and resolve(document, operation["channel"]) is channel
    assert operation["bindings"]["amqp"]["deliveryMode"] == 2
    assert operation["x-delivery-guarantee"] == "at-least-once"
    message = resolve(document, operation["messages"][0])
    payload = message["payload"]
    assert set(payload["required"]) == {
        "event_id",
        "event_type",
        "schema_version",
        "occurred_at",
        "producer",
        "correlation_id",
        "data",
    }
    marshmallow_required = {n for n, f in contract.schema().fields.items() if f.required}
    assert set(payload["properties"]["data"]["required"]) == marshmallow_required
    assert set(payload["properties"]["data"]["properties"]) == set(contract.schema().fields)
    assert not closed_objects(payload), "a closed object would break subscribers on additive changes"


@pytest.mark.parametrize("name", NAMES)
def test_each_example_matches_its_payload_schema_and_the_runtime_parser(document, name):
    producer, event_type = name.split(".")
    message = document["components"]["messages"][name]
    [example] = message["examples"]
    jsonschema.Draft7Validator(message["payload"]).validate(example["payload"])
    assert example["headers"]["event_id"] == example["payload"]["event_id"]
    assert parse_event(producer, event_type, example["payload"])["data"] == example["payload"]["data"]


def test_the_payload_schema_rejects_what_the_platform_would_never_send(document):
    message = document["components"]["messages"]["certificates.certificate_issued"]
    validator = jsonschema.Draft7Validator(message["payload"])
    good = message["examples"][0]["payload"]
    assert validator.is_valid({**good, "extra_envelope_field": 1})
    assert validator.is_valid({**good, "data": {**good["data"], "new_optional_field": "x"}})
    assert not validator.is_valid({**good, "schema_version": "2.0"})
    assert not validator.is_valid({**good, "event_type": "certificate_status_changed"})
    assert not validator.is_valid({**good, "data": {**good["data"], "level": "三级"}})


def test_the_server_names_the_broker_without_its_credentials(document):
    assert document["servers"]["rabbitmq"]["host"] == "rabbit.example:5673"
    assert document["servers"]["rabbitmq"]["pathname"] == "alliance"
    assert "secret-password" not in json.dumps(document)
    assert broker_server("amqp://guest:guest@localhost:5672/")["pathname"] == "/"


def test_alliance_contract_prints_the_document():
    result = alliance_in_process("contract")
    assert result.returncode == 0
    printed = json.loads(result.stdout)
    assert printed == asyncapi_document(str(load_config()["AMQP_URI"]))
    assert asyncapi_errors(printed) == []
