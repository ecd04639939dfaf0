"""Schemathesis over every route of /openapi.json: no 5xx, nothing that contradicts the document."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
