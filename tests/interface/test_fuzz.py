"""Schemathesis over every route of /openapi.json: no 5xx, nothing that contradicts the document."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import schemathesis

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"
ST = shutil.which("st") or str(Path(sys.executable).with_name("st"))


@pytest.mark.skipif(not Path(ST).exists(), reason="schemathesis is not installed")
def test_every_route_survives_generated_input(api, tmp_path):
    result = subprocess.run(
        [
            ST,
            "run",
            f"{api.base_url}/openapi.json",
            "--header",
            f"Authorization: Bearer {api.token()}",
            "--checks",
            CHECKS,
            "--phases",
            "examples,fuzzing",
            "--max-examples",
            "12",
            "--seed",
            "20261128",
            "--workers",
            "2",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    summary = result.stdout[result.stdout.find("SUMMARY") :] if "SUMMARY" in result.stdout else result.stdout[-4000:]
    print(summary)
    assert result.returncode == 0, result.stdout[-8000:]
    assert "Tested:" in summary


def nested(depth: int) -> list:
    """A list inside a list ``depth`` times: deeper than any request of the API needs."""
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


# Inputs that once answered 500: no schema describes them, so generation alone rarely finds them.
HOSTILE_VALUES = {"lone surrogate": "\ud800", "integer beyond 64 bits": 2**70, "nested lists": nested(40)}


def test_every_body_survives_hostile_values(api):
    document = api.get("/openapi.json", role=None).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    # Spreadsheet uploads take files, not JSON; their hostile input is tested in test_spreadsheets*.py.
    with_body = [
        operation
        for operation in operations
        if operation.body
        and "application/json" in document["paths"][operation.path][operation.method.lower()]["requestBody"]["content"]
    ]
    assert with_body
    headers = {"Authorization": f"Bearer {api.token()}"}
    for operation in with_body:
        names = list(body_properties(document, operation.path, operation.method)) or ["name"]
        for label, value in HOSTILE_VALUES.items():
            for name in names:
                case = operation.Case(
                    body={name: value},
                    path_parameters={parameter.name: "x" for parameter in operation.path_parameters},
                    media_type="application/json",
                )
                response = case.call(base_url=api.base_url, headers=headers)
                assert response.status_code == 400, (operation.label, label, name, response.text[:300])


def body_properties(document: dict, path: str, method: str) -> dict:
    """The properties of an operation's JSON body, following its ``$ref`` to the components."""
    definition = document["paths"][path][method.lower()]["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in definition:
        definition = document["components"]["schemas"][definition["$ref"].rsplit("/", 1)[-1]]
    return definition.get("properties", {})
