"""deploy/k8s: every manifest valid against the Kubernetes schemas, and wired to the code."""

from __future__ import annotations

import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from services.config import DEFAULT_CONFIG_PATH
from services.registry import SERVICES

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"  # the oldest release the manifests promise to run on
IMAGE = "vocational-alliance"
TEMPLATES = {"secret.example.yaml"}  # placeholders, applied by hand once, never by the kustomization


def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def resources(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for path in manifest_files() for doc in documents(path) if doc["kind"] == kind}


def kustomization() -> dict:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text())


def main_container(deployment: dict) -> dict:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


@pytest.mark.parametrize("path", manifest_files(), ids=lambda p: p.name)
def test_every_manifest_is_valid_kubernetes(path: Path):
    for doc in documents(path):
        # strict: an unknown or misspelt field is an error, not silently dropped by the API server
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_kustomization_applies_every_manifest_but_the_secret_templates():
    listed = set(kustomization()["resources"])
    assert listed == {p.name for p in manifest_files()} - TEMPLATES
    assert not listed & TEMPLATES
    (image,) = kustomization()["images"]
    assert image["name"] == IMAGE and image["newTag"]


def test_every_service_runs_from_the_one_image_with_its_name_and_both_probes():
    deployments = resources("Deployment")
    assert set(deployments) == set(SERVICES)
    for name, deployment in deployments.items():
        container = main_container(deployment)
        assert container["image"].split(":")[0] == IMAGE
        assert container["args"] == [name]
        assert "command" not in container  # the image's entrypoint is alliance.runner
        assert container["resources"]["requests"] and container["resources"]["limits"]
        strategy = deployment["spec"]["strategy"]["rollingUpdate"]
        assert strategy["maxUnavailable"] == 0
        if name == "gateway":
            assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
            assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        else:
            healthcheck = ["python", "-m", "alliance.healthcheck", name]
            for probe in ("readinessProbe", "livenessProbe"):
                command = container[probe]["exec"]["command"]
                assert command[:4] == healthcheck, (name, probe)
                # the check ends itself before Kubernetes gives up on it
                assert float(command[command.index("--timeout") + 1]) < container[probe]["timeoutSeconds"]


def test_the_autoscaler_scales_the_certificates_deployment_on_cpu():
    (hpa,) = resources("HorizontalPodAutoscaler").values()
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == ("apps/v1", "Deployment", "certificates")
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    # a replica count in the Deployment would fight the autoscaler on every apply
    assert "replicas" not in resources("Deployment")["certificates"]["spec"]
    assert main_container(resources("Deployment")["certificates"])["resources"]["requests"]["cpu"]


def test_the_gateway_service_selects_the_gateway_pods():
    (service,) = resources("Service").values()
    gateway = resources("Deployment")["gateway"]
    assert service["spec"]["selector"] == gateway["spec"]["selector"]["matchLabels"]
    ports = {p["name"] for p in main_container(gateway)["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports


def test_signing_keys_come_from_a_secret_into_signing_keys_dir():
    config = resources("ConfigMap")["alliance-config"]["data"]
    pod = resources("Deployment")["certificates"]["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    (container,) = pod["containers"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    keys_volume = mounts[config["SIGNING_KEYS_DIR"]]
    (init,) = pod["initContainers"]
    init_mounts = {m["name"]: m["mountPath"] for m in init["volumeMounts"]}
    secret_volumes = [
        name for name, v in volumes.items() if v.get("secret", {}).get("secretName") == "alliance-signing-keys"
    ]
    assert secret_volumes and set(secret_volumes) <= set(init_mounts)
    assert init_mounts[keys_volume] == config["SIGNING_KEYS_DIR"]
    assert "exit 1" in init["command"][-1]  # no key in the Secret: the pod does not start


def test_every_gateway_replica_reads_the_token_keys_from_one_secret_mounted_read_only():
    gateway = resources("Deployment")["gateway"]
    volumes = {v["name"]: v for v in gateway["spec"]["template"]["spec"]["volumes"]}
    (volume,) = [name for name, v in volumes.items() if v.get("secret", {}).get("secretName") == "alliance-token-keys"]
    (mount,) = [m for m in main_container(gateway)["volumeMounts"] if m["name"] == volume]
    config = resources("ConfigMap")["alliance-config"]["data"]
    assert mount["readOnly"] is True and mount["mountPath"] == config["TOKEN_KEYS_DIR"]


def test_secrets_are_referenced_from_the_secret_and_the_queue_type_is_quorum():
    (template,) = documents(K8S / "secret.example.yaml")
    secret_keys = set(template["stringData"])
    assert secret_keys == {"JWT_SECRET", "AMQP_URI", "MONGO_URI", "IDENTITY_KEY"}
    assert all("CHANGE-ME" in value for value in template["stringData"].values())
    for deployment in resources("Deployment").values():
        for variable in main_container(deployment).get("env", []):
            ref = variable.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["name"] == template["metadata"]["name"] and ref["key"] in secret_keys
    config = resources("ConfigMap")["alliance-config"]["data"]
    assert config["EVENT_QUEUE_TYPE"] == "quorum"
    assert not secret_keys & set(config)


def test_every_environment_variable_the_manifests_set_is_read_by_the_configuration():
    text = DEFAULT_CONFIG_PATH.read_text()
    variables = set(resources("ConfigMap")["alliance-config"]["data"])
    variables |= set(documents(K8S / "secret.example.yaml")[0]["stringData"])
    for deployment in resources("Deployment").values():
        variables |= {v["name"] for v in main_container(deployment).get("env", [])}
    missing = sorted(v for v in variables if "${" + v + ":" not in text)
    assert not missing, f"not read by {DEFAULT_CONFIG_PATH.name}: {missing}"


def default_yaml_variables() -> list[str]:
    """The environment variable of every setting in default.yaml (``KEY: ${VARIABLE:default}``).

    Read from the text: once nameko's YAML parser is set up (by any test), loading the file
    substitutes the variables."""
    text = DEFAULT_CONFIG_PATH.read_text()
    settings = re.findall(r"^([A-Za-z_][A-Za-z0-9_]*):(.*)$", text, re.MULTILINE)
    assert len(settings) == len(yaml.safe_load(text))
    variables = []
    for key, value in settings:
        match = re.fullmatch(r"\s*\$\{([A-Z0-9_]+):.*\}\s*", value)
        assert match, f"{key} in {DEFAULT_CONFIG_PATH.name} is not read from the environment"
        variables.append(match.group(1))
    return variables


def commented_out_entries(path: Path) -> set[str]:
    """``# VARIABLE: value — why`` lines: settings a manifest leaves unset, and says so."""
    return set(re.findall(r"^\s*#\s*([A-Z][A-Z0-9_]*):", path.read_text(), re.MULTILINE))


def test_every_setting_of_default_yaml_is_in_the_configmap_or_a_secret_or_said_unset():
    listed = set(resources("ConfigMap")["alliance-config"]["data"])
    listed |= set(documents(K8S / "secret.example.yaml")[0]["stringData"])
    listed |= commented_out_entries(K8S / "configmap.yaml")
    missing = [v for v in default_yaml_variables() if v not in listed]
    assert not missing, f"settings of {DEFAULT_CONFIG_PATH.name} missing from configmap.yaml: {missing}"


def test_every_setting_of_default_yaml_is_in_the_runbook_settings_table():
    runbook = (ROOT / "docs" / "operations.md").read_text()
    rows = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", runbook, re.MULTILINE))
    missing = [v for v in default_yaml_variables() if v not in rows]
    assert not missing, f"settings of {DEFAULT_CONFIG_PATH.name} missing from docs/operations.md: {missing}"


def test_the_configmap_gives_the_defaults_of_default_yaml_unless_it_says_why_not():
    text = DEFAULT_CONFIG_PATH.read_text()
    defaults = dict(re.findall(r"\$\{([A-Z0-9_]+):(.*)\}", text))
    # deliberate differences from a one-machine run, each explained in the ConfigMap's comments
    kubernetes_values = {
        "PUBLIC_BASE_URL",
        "ALLIANCE_DATA_DIR",
        "SIGNING_KEYS_DIR",
        "TOKEN_KEYS_DIR",
        "EVENT_QUEUE_TYPE",
    }
    config = resources("ConfigMap")["alliance-config"]["data"]
    differing = {k: (v, defaults[k]) for k, v in config.items() if k not in kubernetes_values and v != defaults[k]}
    assert not differing, differing
