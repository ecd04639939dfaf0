"""The standalone subscriber example stands on its own and reads everything from the document."""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
from pathlib import Path

from services.contracts.asyncapi import asyncapi_document

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "certificate_subscriber.py"
GOLDEN = Path(__file__).with_name("golden") / "certificates.certificate_issued.json"


def load_example():
    spec = importlib.util.spec_from_file_location("certificate_subscriber", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_imports_nothing_but_the_standard_library_kombu_and_jsonschema():
    tree = ast.parse(EXAMPLE.read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {
        node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported - set(sys.stdlib_module_names) == {"kombu", "jsonschema"}


def test_the_example_takes_exchange_routing_key_and_schema_from_the_document(tmp_path):
    path = tmp_path / "asyncapi.json"
    path.write_text(json.dumps(asyncapi_document("amqp://localhost/")), encoding="utf-8")
    example = load_example()
    subscription = example.Subscription(example.load_document(str(path)), example.EVENT)
    assert (subscription.exchange.name, subscription.exchange.type) == ("certificates.events", "topic")
    assert subscription.exchange.durable and subscription.routing_key == "certificate_issued"
    for sample in json.loads(GOLDEN.read_text(encoding="utf-8")):
        assert subscription.problems(sample) == []
    broken = json.loads(GOLDEN.read_text(encoding="utf-8"))[0]
    del broken["data"]["number"]
    broken["data"]["level"] = "三级"
    assert sorted(subscription.problems(broken)) == [
        "data/level: '三级' is not of type 'integer', 'null'",
        "data: 'number' is a required property",
    ]


def test_the_example_records_each_event_once():
    records = load_example().CertificateRecords()
    event = json.loads(GOLDEN.read_text(encoding="utf-8"))[0]
    assert records.record(event) is True
    assert records.record(event) is False
    assert list(records.certificates) == [event["data"]["number"]]
