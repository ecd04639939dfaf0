"""Running the Node.js verifiers of tests/conformance over credentials."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent
NODE_TIMEOUT_SECONDS = 120


def node() -> str:
    """The machine's Node.js, with the suite's packages installed."""
    executable = shutil.which("node")
    if executable is None:
        pytest.fail("Node.js is not installed; the conformance suite needs Node.js 20")
    if not (HERE / "node_modules" / ".package-lock.json").exists():
        pytest.fail("the conformance suite's npm packages are missing; run scripts/ensure-node-packages")
    return executable


def conformance_reports(tmp_path: Path, credentials: dict[str, dict]) -> dict[str, dict]:
    """``{label: report}``: the OB 3.0 schema errors, the terms JSON-LD safe mode finds undefined,
    and Digital Bazaar's verification (with the status it reads) of each credential."""
    folder = tmp_path / "conformance"
    folder.mkdir(exist_ok=True)
    paths = []
    for label, credential in credentials.items():
        path = folder / f"{label}.json"
        path.write_text(json.dumps(credential, ensure_ascii=False), encoding="utf-8")
        paths.append(str(path))
    result = subprocess.run(
        [node(), str(HERE / "conformance.mjs"), *paths],
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    reports = json.loads(result.stdout)
    return {Path(report["file"]).stem: report for report in reports}
