"""`alliance up` as a user runs it: a subprocess, driven over HTTP, then stopped."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest
import requests
from pymongo import MongoClient
from pymongo.errors import OperationFailure

from alliance.embedded_db import CREDENTIALS_FILE, free_port
from tests.support.cli import alliance
from tests.support.system import RunningSystem, alive, descendants
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


def test_alliance_up_runs_the_slice_stops_cleanly_and_keeps_data(system_env, tmp_path):
    port = free_port()
    system = RunningSystem(system_env, port, tmp_path / "up.log")
    try:
        system.wait_ready()
        admin = system.admin()
        assert requests.get(f"{system.url}/ready", timeout=10).status_code == 200

        school = requests.post(
            f"{system.url}/api/v1/organisations",
            headers=admin,
            timeout=30,
            json={"name": "武隆职业教育中心", "kind": "secondary_vocational_school", "region": "重庆"},
        ).json()
        person = requests.post(
            f"{system.url}/api/v1/organisations/{school['id']}/people",
            headers=admin,
            timeout=30,
            json={"name": "王小明", "kind": "student", "national_id": "110101199003077774"},
        ).json()
        issued = requests.post(
            f"{system.url}/api/v1/certificates",
            headers=admin,
            timeout=30,
            json={
                "kind": "training_completion",
                "holder_id": person["id"],
                "issuer_id": school["id"],
                "title": "企业面对面 实践培训",
            },
        )
        assert issued.status_code == 201, issued.text
        number = issued.json()["number"]
        started = time.monotonic()

        def in_portfolio() -> bool:
            body = requests.get(f"{system.url}/api/v1/people/{person['id']}", headers=admin, timeout=10).json()
            return [c["number"] for c in body["certificates"]] == [number]

        wait_for(in_portfolio, timeout=10, message="the certificate in the portfolio")
        print(f"portfolio updated {time.monotonic() - started:.3f} s after issuing")

        org_token = system.token("--role", "org_admin", "--org", school["id"])
        own = requests.get(
            f"{system.url}/api/v1/people/{person['id']}", headers={"Authorization": f"Bearer {org_token}"}, timeout=10
        )
        assert own.status_code == 200

        children = descendants(system.process.pid)
        assert len(children) >= 5  # database, three services, gateway
        assert_database_private(system_env)
    finally:
        code = system.stop()
    assert code == 0, (tmp_path / "up.log").read_text()[-3000:]
    assert [pid for pid in children if alive(pid)] == []

    again = RunningSystem(system_env, port, tmp_path / "up-again.log")
    try:
        again.wait_ready()
        admin = again.admin()
        kept = requests.get(f"{again.url}/api/v1/organisations/{school['id']}", headers=admin, timeout=10)
        assert kept.status_code == 200
        assert kept.json()["name"] == "武隆职业教育中心"
        assert_database_private(system_env)
    finally:
        assert again.stop() == 0
    password = json.loads((Path(system_env["ALLIANCE_DATA_DIR"]) / CREDENTIALS_FILE).read_text())["password"]
    assert password not in (tmp_path / "up.log").read_text() + (tmp_path / "up-again.log").read_text()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_database_private(env: dict[str, str]) -> None:
    """The embedded database refuses clients without credentials, and only its owner reads its files."""
    port = env["EMBEDDED_DB_PORT"]
    with MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true", serverSelectionTimeoutMS=5000) as client:
        with pytest.raises(OperationFailure) as refused:
            client["alliance_members"].list_collection_names()
        assert refused.value.code == 13  # Unauthorized
    state = Path(env["ALLIANCE_DATA_DIR"])
    stored = json.loads((state / CREDENTIALS_FILE).read_text())
    uri = f"mongodb://{stored['user']}:{stored['password']}@127.0.0.1:{port}/?directConnection=true&authSource=admin"
    with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        assert client["alliance_members"]["organisations"].count_documents({}) >= 1
    assert mode(state / CREDENTIALS_FILE) == 0o600
    assert mode(state) == 0o700
    assert mode(state / "db") == 0o700
    readable = [path.name for path in (state / "db").rglob("*") if path.is_file() and mode(path) & 0o077]
    assert readable == []


def test_alliance_up_without_a_broker_says_how_to_start_one(system_env):
    env = dict(system_env, AMQP_URI=f"amqp://guest:guest@127.0.0.1:{free_port()}/")
    result = alliance("up", "--port", str(free_port()), env=env)
    assert result.returncode == 2
    assert "rabbitmq-server -detached" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
