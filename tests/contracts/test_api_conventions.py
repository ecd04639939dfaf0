"""The README's API conventions, checked over the OpenAPI document and the schemas behind it.

Responses sampled from a running stack are checked by tests/interface/test_api_conventions.py
with the same rules (tests/support/conventions.py).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import gateway.service  # noqa: F401 - declares every route
from gateway.api import ROUTES
from gateway.openapi import _schema_name_resolver as schema_name
from gateway.openapi import openapi_document
from services.fields import ResponseSchema
from tests.support.conventions import TIMESTAMP_NAME

PROBLEM_REF = "#/components/schemas/Problem"


def document() -> dict[str, Any]:
    return openapi_document()


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, methods in document()["paths"].items()
        for method, operation in methods.items()
        if isinstance(operation, dict) and "responses" in operation
    ]


def properties(schema: dict[str, Any]) -> dict[str, Any]:
    return schema.get("properties", {})


def test_every_schema_has_a_name_of_its_own():
    # apispec warns and appends a number when two schemas resolve to one name (Certificate1).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        schemas = document()["components"]["schemas"]
    assert not [name for name in schemas if name[-1].isdigit()]
    assert "CertificatesCertificateWithoutHistory" in schemas  # a shared certificate leaves its history out


def test_every_error_response_is_a_problem():
    checked = 0
    for path, method, operation in operations():
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            content = response.get("content", {})
            assert list(content) == ["application/problem+json"], (method, path, status)
            assert content["application/problem+json"]["schema"] == {"$ref": PROBLEM_REF}, (method, path, status)
            checked += 1
    assert checked > 100


def test_the_problem_schema_holds_field_errors_as_lists():
    errors = properties(document()["components"]["schemas"]["Problem"])["errors"]
    assert errors["type"] == "object"
    assert errors["additionalProperties"] == {"type": "array", "items": {"type": "string"}}


def test_every_timestamp_property_is_a_date_time():
    schemas = document()["components"]["schemas"]
    timestamps = {
        (name, prop): spec
        for name, schema in schemas.items()
        for prop, spec in properties(schema).items()
        if TIMESTAMP_NAME.search(prop)
    }
    assert len(timestamps) > 20
    for (name, prop), spec in timestamps.items():
        assert (spec.get("type"), spec.get("format")) == ("string", "date-time"), (name, prop, spec)
    date_times = [spec for schema in schemas.values() for spec in properties(schema).values()]
    assert all(spec.get("type") == "string" for spec in date_times if spec.get("format") == "date-time")


def is_nullable(spec: dict[str, Any]) -> bool:
    """OpenAPI 3.0's mark, also as apispec writes it for a nullable nested object (``anyOf``)."""
    return bool(spec.get("nullable")) or any(option.get("nullable") for option in spec.get("anyOf", []))


def response_schemas() -> list[type]:
    found = {route.response for route in ROUTES if route.response is not None}
    return sorted(found, key=lambda schema: f"{schema.__module__}.{schema.__name__}")


@pytest.mark.parametrize("schema", response_schemas(), ids=lambda schema: schema.__name__)
def test_nullable_fields_are_always_present_and_marked_nullable(schema):
    assert issubclass(schema, ResponseSchema), f"{schema.__name__} answers the API; derive it from ResponseSchema"
    fields = schema().dump_fields
    nullable = {name for name, field in fields.items() if field.allow_none}
    # ResponseSchema writes null for a nullable field the record lacks; nothing may override that.
    assert {name for name in nullable if fields[name].dump_default is not None} == set()

    component = document()["components"]["schemas"][schema_name(schema)]
    marked = {name for name, spec in properties(component).items() if is_nullable(spec)}
    assert marked == nullable
