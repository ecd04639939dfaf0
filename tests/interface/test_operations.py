"""The runbook's commands (docs/operations.md) as an operator runs them: subprocesses on a live system."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests

from alliance import healthcheck
from alliance.embedded_db import free_port
from certificates_svc.keys import load_or_create_keys, public_key_multibase
from certificates_svc.service import CertificatesService
from gateway.service import GatewayService
from services.rpc import ConsumerCounter
from tests.support.cli import ALLIANCE, alliance, config_env, run_together
from tests.support.system import RunningSystem, system_environment
from tests.support.waiting import wait_for

HEALTHCHECK = [sys.executable, "-m", "alliance.healthcheck"]


def rotated_key_id(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout.split("new signing key ", 1)[1].split()[0]


def test_keys_rotate_adds_a_signing_key_and_keeps_the_old_one(tmp_path):
    keys_dir = tmp_path / "signing-keys"
    original = load_or_create_keys(keys_dir).current  # what the certificates service makes on first start

    new_key_id = rotated_key_id(alliance("keys", "rotate", SIGNING_KEYS_DIR=str(keys_dir)))

    as_json, as_text = run_together(
        [[ALLIANCE, "keys", "list", "--json"], [ALLIANCE, "keys", "list"]], SIGNING_KEYS_DIR=str(keys_dir)
    )
    assert as_json.returncode == 0, as_json.stderr
    old, new = json.loads(as_json.stdout)["keys"]
    assert old["key_id"] == original.key_id and not old["signing"]
    assert old["public_key_multibase"] == public_key_multibase(original.public_key)
    assert new["key_id"] == new_key_id and new["signing"]
    assert f"{new_key_id}  signing  {new['public_key_multibase']}" in as_text.stdout
    assert original.key_id in as_text.stdout


def test_a_rotated_key_signs_after_a_restart_and_the_old_key_stays_published(start_services, config, tmp_path):
    keys_dir = tmp_path / "signing-keys"
    overrides = {"SIGNING_KEYS_DIR": str(keys_dir)}
    url = f"http://{config['WEB_SERVER_ADDRESS']}/.well-known/did.json"
    runner = start_services(CertificatesService, GatewayService, overrides=overrides)
    (before,) = requests.get(url, timeout=10).json()["verificationMethod"]  # created on first start

    new_key_id = rotated_key_id(alliance("keys", "rotate", SIGNING_KEYS_DIR=str(keys_dir)))
    runner.stop()
    start_services(CertificatesService, GatewayService, overrides=overrides)

    methods = requests.get(url, timeout=10).json()["verificationMethod"]
    assert methods[0] == before
    assert [m["id"].split("#")[1] for m in methods] == [before["id"].split("#")[1], new_key_id]
    assert load_or_create_keys(keys_dir).current.key_id == new_key_id


def test_health_checks_pass_while_services_answer_and_fail_fast_when_they_stop(start_services, config):
    runner = start_services()
    env = config_env(config, "AMQP_URI", "WEB_SERVER_ADDRESS")
    domain = ("members", "events", "certificates")
    *answers, gateway = run_together([[*HEALTHCHECK, s, "--timeout", "5"] for s in (*domain, "gateway")], **env)
    for service, result in zip(domain, answers, strict=True):
        assert result.returncode == 0, result.stdout + result.stderr
        answer = json.loads(result.stdout)
        assert answer["service"] == service and answer["database"]["status"] == "ok"
    assert gateway.returncode == 0 and json.loads(gateway.stdout) == {"status": "ok"}

    runner.stop()
    started = time.monotonic()
    members, gateway = run_together(
        [[*HEALTHCHECK, "members", "--timeout", "30"], [*HEALTHCHECK, "gateway", "--timeout", "30"]], **env
    )
    assert time.monotonic() - started < 20  # a stopped service is reported at once, not at the deadline
    assert members.returncode == 1 and json.loads(members.stdout)["status"] == "unavailable"
    assert gateway.returncode == 1 and json.loads(gateway.stdout)["status"] == "unavailable"


def test_the_health_check_rejects_an_unknown_service_as_a_usage_error():
    with pytest.raises(SystemExit) as exit_:
        healthcheck.main(["billing"])
    assert exit_.value.code == 2


def test_status_and_dead_letters_of_a_running_system(api, config):
    env = {"AMQP_URI": config["AMQP_URI"], "PUBLIC_BASE_URL": api.base_url}
    status = alliance("status", "--json", **env)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["status"] == "ready"
    for service in ("members", "events", "certificates"):
        detail = report["services"][service]
        assert detail["status"] == "ok" and detail["dead_letters"] == 0
        assert isinstance(detail["database"]["outbox_pending"], int)

    letters = alliance("dlq", "list", "members", **env)
    assert letters.returncode == 0, letters.stderr
    assert "0 dead-lettered message(s) for members" in letters.stdout


def rpc_consumers(amqp_uri: str, service: str) -> int:
    counter = ConsumerCounter(amqp_uri)
    try:
        return counter.count(service)
    finally:
        counter.close()


@pytest.mark.e2e
def test_alliance_up_scale_runs_competing_instances_of_a_service(vhost_uri, tmp_path):
    system = RunningSystem(
        system_environment(vhost_uri, tmp_path / "var"), free_port(), tmp_path / "up.log", "--scale", "certificates=2"
    )
    try:
        system.wait_ready()
        # both instances consume the one certificates queue; members runs its default single instance
        wait_for(lambda: rpc_consumers(vhost_uri, "certificates") == 2, message="two certificates consumers")
        assert rpc_consumers(vhost_uri, "members") == 1
    finally:
        assert system.stop() == 0, system.log.read_text()[-3000:]
