"""docker-compose.yml and the Dockerfile: every service present and wired by environment."""

from __future__ import annotations

from pathlib import Path

import yaml

from services.config import DEFAULT_CONFIG_PATH, read_config
from services.registry import SERVICES

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_service_runs_from_the_one_image_with_its_own_command():
    services = compose()["services"]
    for name in SERVICES:
        assert name in services, name
        assert services[name]["command"] == [name]
        assert services[name]["build"] == "."
        assert "container_name" not in services[name]  # would forbid --scale


def test_services_are_wired_to_broker_and_database_by_environment():
    services = compose()["services"]
    for name in SERVICES:
        env = services[name]["environment"]
        assert env["AMQP_URI"].startswith("amqp://") and "@rabbitmq:5672" in env["AMQP_URI"]
        assert env["MONGO_URI"].startswith("mongodb://mongo:27017") and "replicaSet=" in env["MONGO_URI"]
        assert {"rabbitmq", "mongo"} <= set(services[name]["depends_on"])


def test_every_environment_variable_compose_sets_is_read_by_the_configuration():
    text = DEFAULT_CONFIG_PATH.read_text()
    for name in SERVICES:
        for variable in compose()["services"][name]["environment"]:
            assert "${" + variable + ":" in text, f"{variable} is not read by {DEFAULT_CONFIG_PATH.name}"
    assert read_config(DEFAULT_CONFIG_PATH)["AMQP_URI"]


def test_mongo_runs_as_a_replica_set_for_transactions():
    mongo = compose()["services"]["mongo"]
    assert "--replSet" in mongo["command"]
    assert "rs.initiate" in " ".join(mongo["healthcheck"]["test"])


def test_dockerfile_runs_services_as_a_non_root_user_from_a_slim_final_stage():
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = dockerfile.split("\nFROM ")[1:]
    assert len(stages) == 2, "multi-stage: a build stage and a final stage"
    final = stages[1]
    assert "USER alliance" in final
    assert 'ENTRYPOINT ["python", "-m", "alliance.runner"]' in final
    assert "pip install" not in final


def test_every_service_is_health_checked_restarted_and_limited():
    services = compose()["services"]
    for name in SERVICES:
        service = services[name]
        assert service["healthcheck"]["test"][:5] == ["CMD", "python", "-m", "alliance.healthcheck", name]
        assert service["healthcheck"]["start_period"]
        assert service["restart"] == "unless-stopped"
        assert service["deploy"]["resources"]["limits"]["memory"]
        assert service["stop_grace_period"]  # time for in-flight workers after SIGTERM
    for infrastructure in ("rabbitmq", "mongo"):
        assert services[infrastructure]["healthcheck"]["test"]
        assert services[infrastructure]["restart"] == "unless-stopped"


def test_the_compose_file_says_how_to_scale_a_service():
    header = (ROOT / "docker-compose.yml").read_text().split("\nx-service:")[0]
    assert "docker compose up -d --scale certificates=3" in header


def test_local_state_and_secrets_stay_out_of_the_image_build():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {"var", ".venv", ".git"} <= ignored
    copied = [
        line.split()[1]
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ") and "--from" not in line
    ]
    for source in copied:
        assert source not in ignored, f"the Dockerfile copies {source}, which .dockerignore leaves out"
