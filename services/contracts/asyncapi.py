"""The AsyncAPI 3.0 document of every published event, generated from the contracts.

The marshmallow schemas in ``services/contracts`` stay the single source of
truth: each message's payload is the envelope's JSON Schema with ``data``
replaced by the JSON Schema of the event's own schema, both converted by
apispec's marshmallow converter. Subscribers validate against it with any
JSON Schema library, so the converted schemas never forbid unknown fields:
within a major version new optional fields may appear at any time.
"""

from __future__ import annotations

import copy
import functools
import uuid
from typing import Any
from urllib.parse import unquote, urlsplit

from apispec import APISpec
from apispec.ext.marshmallow import OpenAPIConverter
from marshmallow import Schema

from services.contracts import CONTRACTS, EventContract
from services.contracts.envelope import EnvelopeSchema

ASYNCAPI_VERSION = "3.0.0"
DOCUMENT_VERSION = "1.0.0"
SERVER = "rabbitmq"
AMQP_BINDING_VERSION = "0.3.0"
EXAMPLE_NAMESPACE = uuid.UUID("5b0c8f8e-6c2a-4f4e-9d0e-2f1c7a1b9a10")

DESCRIPTION = """\
Events published by the vocational alliance platform (members, events and certificates services).

**Subscribing.** Each producer publishes to its own durable topic exchange `<producer>.events`
with the event type as routing key. Declare your own durable queue, bind it to the exchange with
the routing key of each event you want, and consume it with any AMQP 0-9-1 client. Messages are
JSON (`application/json`, UTF-8), persistent (delivery mode 2), with the AMQP `message_id`
property and the `event_id` header both set to the body's `event_id`.

**Delivery guarantees.** At least once. A producer records the state change and the event in one
database transaction (transactional outbox) and publishes it with publisher confirms; after a
crash an event may be published again. Deduplicate on `event_id`, and acknowledge a message only
after you have processed it. Order is not guaranteed across events.

**Versioning.** Every event carries `schema_version` (`MAJOR.MINOR`). Within a major version
changes are additive only: new optional fields, new events. Ignore fields you do not know.
A breaking change gets a new major version.

**History.** A subscriber that joins late asks an operator to replay the stored events into its
queue: `alliance events replay <producer>.<event_type> --since 2022-01-01 --to-queue <queue>`
(same body and headers as the original, so deduplication on `event_id` still holds).
"""

HEADERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "event_id": {"type": "string", "description": "The body's `event_id` (also the AMQP `message_id`)."},
        "nameko.request_id": {
            "type": ["string", "null"],
            "description": "The id of the request that caused the event (the body's `correlation_id`).",
        },
    },
    "required": ["event_id"],
}

# One realistic `data` per event, shown in the document; each is checked against its contract.
EXAMPLE_DATA: dict[tuple[str, str], dict[str, Any]] = {
    ("members", "organisation_registered"): {
        "organisation_id": "6650a1f0c2b7e4a1d3f00001",
        "name": "重庆市渝中职业教育中心",
        "kind": "secondary_vocational_school",
        "region": "重庆",
        "district": "渝中区",
        "code": "5001",
        "accredited_evaluator": True,
        "evaluator": {"type": "S", "code": "5001", "province": "50", "site": "000123"},
    },
    ("members", "organisation_updated"): {
        "organisation_id": "6650a1f0c2b7e4a1d3f00002",
        "name": "成都市财贸职业高级中学校",
        "kind": "secondary_vocational_school",
        "region": "四川",
        "district": "成都市",
        "code": None,
        "accredited_evaluator": False,
        "evaluator": None,
    },
    ("members", "membership_changed"): {
        "membership_id": "6650a1f0c2b7e4a1d3f00010",
        "alliance_id": "6650a1f0c2b7e4a1d3f00020",
        "organisation_id": "6650a1f0c2b7e4a1d3f00001",
        "role": "founding",
        "old_status": "applied",
        "new_status": "active",
        "reason": None,
        "old_role": None,
    },
    ("members", "person_registered"): {
        "person_id": "6650a1f0c2b7e4a1d3f00030",
        "organisation_id": "6650a1f0c2b7e4a1d3f00001",
        "name": "张三丰",
        "kind": "student",
        "student_number": "2022001",
        "subject_id": "urn:uuid:0b6f3a52-9d1e-4c7a-8f25-61e4d0c9b7a3",
    },
    ("members", "person_updated"): {
        "person_id": "6650a1f0c2b7e4a1d3f00030",
        "organisation_id": "6650a1f0c2b7e4a1d3f00001",
        "name": "张三峰",
        "kind": "student",
        "student_number": "2022001",
        "subject_id": "urn:uuid:0b6f3a52-9d1e-4c7a-8f25-61e4d0c9b7a3",
        "changed_fields": ["name"],
        "archived": False,
    },
    ("events", "event_published"): {
        "event_id": "6650a1f0c2b7e4a1d3f00040",
        "alliance_id": "6650a1f0c2b7e4a1d3f00020",
        "organiser_id": "6650a1f0c2b7e4a1d3f00001",
        "kind": "skills_competition",
        "title": "网络搭建与应用 学生技能大赛",
        "starts_at": "2022-05-10T01:00:00.000Z",
        "ends_at": "2022-05-12T09:00:00.000Z",
        "skill": "网络搭建与应用",
        "reason": None,
    },
    ("events", "registration_changed"): {
        "registration_id": "6650a1f0c2b7e4a1d3f00050",
        "event_id": "6650a1f0c2b7e4a1d3f00040",
        "organisation_id": "6650a1f0c2b7e4a1d3f00001",
        "person_ids": ["6650a1f0c2b7e4a1d3f00030"],
        "team_name": "渝中一队",
        "change": "confirmed",
        "status": "confirmed",
        "waitlist_position": None,
        "reason": None,
    },
    ("events", "event_updated"): {
        "event_id": "6650a1f0c2b7e4a1d3f00040",
        "alliance_id": "6650a1f0c2b7e4a1d3f00020",
        "organiser_id": "6650a1f0c2b7e4a1d3f00001",
        "kind": "skills_competition",
        "title": "网络搭建与应用 学生技能大赛",
        "status": "published",
        "starts_at": "2022-05-11T01:00:00.000Z",
        "ends_at": "2022-05-13T09:00:00.000Z",
        "time_zone": "Asia/Shanghai",
        "location": "重庆市工业学校 实训楼",
        "capacity": 40,
        "registration_closes_at": "2022-05-01T16:00:00.000Z",
        "skill": "网络搭建与应用",
        "sequence": 1,
        "changed_fields": ["starts_at", "ends_at"],
        "reason": "场地调整，顺延一天",
    },
    ("events", "results_published"): {
        "event_id": "6650a1f0c2b7e4a1d3f00040",
        "alliance_id": "6650a1f0c2b7e4a1d3f00020",
        "organiser_id": "6650a1f0c2b7e4a1d3f00001",
        "kind": "skills_competition",
        "title": "网络搭建与应用 学生技能大赛",
        "skill": "网络搭建与应用",
        "ends_at": "2022-05-12T09:00:00.000Z",
        "revision": 1,
        "results": [
            {
                "registration_id": "6650a1f0c2b7e4a1d3f00050",
                "organisation_id": "6650a1f0c2b7e4a1d3f00001",
                "person_ids": ["6650a1f0c2b7e4a1d3f00030"],
                "team_name": "渝中一队",
                "score": 96.5,
                "rank": 1,
                "award": "first_prize",
            }
        ],
        "award_changes": None,
    },
    ("certificates", "certificate_issued"): {
        "number": "TC-2022-000001",
        "kind": "training_completion",
        "title": "网络搭建与应用 师资培训",
        "holder_id": "6650a1f0c2b7e4a1d3f00030",
        "holder_organisation_id": "6650a1f0c2b7e4a1d3f00001",
        "issuer_id": "6650a1f0c2b7e4a1d3f00001",
        "occupation": None,
        "work_type": None,
        "level": None,
        "issued_at": "2022-06-30T08:00:00.000Z",
        "valid_until": None,
        "credential_id": "http://127.0.0.1:8000/api/v1/certificates/TC-2022-000001/credential",
        "status": "active",
    },
    ("certificates", "certificate_status_changed"): {
        "number": "TC-2022-000001",
        "holder_id": "6650a1f0c2b7e4a1d3f00030",
        "old_status": "active",
        "new_status": "revoked",
        "reason": "issued in error",
        "changed_at": "2022-07-01T02:00:00.000Z",
    },
    ("certificates", "batch_completed"): {
        "job_id": "6650a1f0c2b7e4a1d3f00060",
        "issuer_id": "6650a1f0c2b7e4a1d3f00001",
        "total": 2113,
        "issued": 2063,
        "failed": 0,
    },
}


def _converter() -> OpenAPIConverter:
    # OpenAPI 3.1 schemas are JSON Schema (nullable fields become `type: [..., "null"]`); a
    # resolver answering None inlines nested schemas, so each payload stands on its own.
    spec = APISpec(title="events", version=DOCUMENT_VERSION, openapi_version="3.1.0")
    return OpenAPIConverter(openapi_version="3.1.0", schema_name_resolver=lambda schema: None, spec=spec)


def _open(schema: Any) -> Any:
    """The schema without ``additionalProperties: false``, anywhere in it."""
    if isinstance(schema, dict):
        return {
            key: _open(value) for key, value in schema.items() if not (key == "additionalProperties" and value is False)
        }
    if isinstance(schema, list):
        return [_open(item) for item in schema]
    return schema


def json_schema(schema: type[Schema]) -> dict[str, Any]:
    """The JSON Schema of a marshmallow schema, open to fields added later."""
    return _open(_converter().schema2jsonschema(schema))


def payload_schema(contract: EventContract) -> dict[str, Any]:
    """The JSON Schema of a whole message body: the envelope, with ``data`` the event's schema."""
    envelope = json_schema(EnvelopeSchema)
    major = contract.schema_version.split(".")[0]
    envelope["properties"].update(
        event_type={"type": "string", "const": contract.event_type},
        producer={"type": "string", "const": contract.producer},
        schema_version={
            **envelope["properties"]["schema_version"],
            "pattern": rf"^{major}\.\d+$",
            "description": f"MAJOR.MINOR; this document describes major version {major}",
        },
        data={**json_schema(contract.schema), "description": contract.summary},
    )
    envelope["properties"]["event_id"]["description"] = "Unique per event; deduplicate on it."
    envelope["properties"]["occurred_at"]["description"] = "RFC 3339, UTC."
    envelope["properties"]["correlation_id"]["description"] = "The request id that caused the event."
    return envelope


def example_envelope(contract: EventContract, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid5(EXAMPLE_NAMESPACE, contract.qualified_name)),
        "event_type": contract.event_type,
        "schema_version": contract.schema_version,
        "occurred_at": "2022-06-30T08:00:00.000Z",
        "producer": contract.producer,
        "correlation_id": "req-5f2d8c1e9a7b4c3d",
        "data": data,
    }


def broker_server(amqp_uri: str) -> dict[str, Any]:
    """The AsyncAPI server of a broker URI, without its credentials."""
    parts = urlsplit(amqp_uri)
    vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
    return {
        "host": f"{parts.hostname or 'localhost'}:{parts.port or 5672}",
        "pathname": vhost,
        "protocol": parts.scheme or "amqp",
        "protocolVersion": "0.9.1",
        "description": f"The RabbitMQ broker the platform publishes to (virtual host `{vhost}`).",
    }


def _message(contract: EventContract) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": contract.qualified_name,
        "title": contract.event_type.replace("_", " ").capitalize(),
        "summary": contract.summary,
        "contentType": "application/json",
        "headers": HEADERS_SCHEMA,
        "payload": payload_schema(contract),
        "correlationId": {
            "description": "The request that caused the event.",
            "location": "$message.payload#/correlation_id",
        },
        "tags": [{"name": contract.producer}],
        "bindings": {
            "amqp": {
                "contentEncoding": "utf-8",
                "messageType": contract.qualified_name,
                "bindingVersion": AMQP_BINDING_VERSION,
            }
        },
        "x-schema-version": contract.schema_version,
    }
    data = EXAMPLE_DATA.get((contract.producer, contract.event_type))
    if data is not None:
        envelope = example_envelope(contract, data)
        message["examples"] = [
            {
                "name": f"{contract.event_type}_example",
                "summary": contract.summary,
                "headers": {"event_id": envelope["event_id"], "nameko.request_id": envelope["correlation_id"]},
                "payload": envelope,
            }
        ]
    return message


def _channel(contract: EventContract, vhost: str) -> dict[str, Any]:
    return {
        "address": contract.event_type,
        "title": f"{contract.event_type} on {contract.exchange}",
        "description": (
            f"Bind your own durable queue to the topic exchange `{contract.exchange}` "
            f"with routing key `{contract.event_type}`."
        ),
        "servers": [{"$ref": f"#/servers/{SERVER}"}],
        "messages": {contract.event_type: {"$ref": f"#/components/messages/{contract.qualified_name}"}},
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {
                    "name": contract.exchange,
                    "type": "topic",
                    "durable": True,
                    "autoDelete": False,
                    "vhost": vhost,
                },
                "bindingVersion": AMQP_BINDING_VERSION,
            }
        },
    }


def _operation(contract: EventContract) -> dict[str, Any]:
    channel = f"#/channels/{contract.qualified_name}"
    return {
        "action": "send",
        "channel": {"$ref": channel},
        "title": f"{contract.producer} publishes {contract.event_type}",
        "summary": contract.summary,
        "description": (
            "At-least-once delivery: published from a transactional outbox with "
            "publisher confirms, persistent; deduplicate on `event_id`."
        ),
        "messages": [{"$ref": f"{channel}/messages/{contract.event_type}"}],
        "bindings": {
            "amqp": {"deliveryMode": 2, "mandatory": False, "ack": True, "bindingVersion": AMQP_BINDING_VERSION}
        },
        "tags": [{"name": contract.producer}],
        "x-delivery-guarantee": "at-least-once",
    }


@functools.lru_cache(maxsize=8)
def _document(amqp_uri: str) -> dict[str, Any]:
    server = broker_server(amqp_uri)
    contracts = list(CONTRACTS.values())
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:vocational-alliance:events",
        "info": {
            "title": "Vocational Alliance Platform events",
            "version": DOCUMENT_VERSION,
            "description": DESCRIPTION,
            "tags": [{"name": producer} for producer in dict.fromkeys(c.producer for c in contracts)],
        },
        "defaultContentType": "application/json",
        "servers": {SERVER: server},
        "channels": {c.qualified_name: _channel(c, server["pathname"]) for c in contracts},
        "operations": {c.qualified_name.replace(".", "_"): _operation(c) for c in contracts},
        "components": {"messages": {c.qualified_name: _message(c) for c in contracts}},
    }


def asyncapi_document(amqp_uri: str) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of every published event, for the broker at ``amqp_uri``."""
    return copy.deepcopy(_document(amqp_uri))
