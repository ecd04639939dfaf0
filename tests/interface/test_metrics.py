"""Prometheus metrics move by the right amounts after a flow."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

from alliance.embedded_db import free_port
from tests.support.api import Api
from tests.support.waiting import wait_for


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_counters_and_histograms_follow_a_flow(start_services, config):
    port = free_port()
    start_services(overrides={"METRICS_PORT": port})
    api = Api.for_config(config)
    before = scrape(port)

    school = api.post(
        "/api/v1/organisations", json={"name": "巫溪县职业教育中心", "kind": "secondary_vocational_school"}
    )
    person = api.post(f"/api/v1/organisations/{school.json()['id']}/people", json={"name": "陈静", "kind": "student"})
    issued = api.post(
        "/api/v1/certificates",
        json={
            "kind": "participation",
            "holder_id": person.json()["id"],
            "issuer_id": school.json()["id"],
            "title": "社区技能服务",
        },
    )
    assert issued.status_code == 201, issued.text

    def consumed() -> dict | None:
        now = scrape(port)
        key = {"service": "members", "source": "certificates", "event_type": "certificate_issued"}
        name = "alliance_events_consumed_total"
        moved = value(now, name, **key) - value(before, name, **key)
        return now if moved >= 1 else None

    after = wait_for(consumed, message="members to consume certificate_issued")

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("alliance_events_published_total", producer="members", event_type="organisation_registered") == 1
    assert delta("alliance_events_published_total", producer="members", event_type="person_registered") == 1
    assert delta("alliance_events_published_total", producer="certificates", event_type="certificate_issued") == 1
    assert (
        delta(
            "alliance_events_consumed_total", service="members", source="certificates", event_type="certificate_issued"
        )
        == 1
    )
    assert (
        delta(
            "alliance_http_request_duration_seconds_count", method="POST", route="/api/v1/organisations", status="201"
        )
        == 1
    )
    assert (
        delta(
            "alliance_worker_duration_seconds_count",
            service="members",
            kind="rpc",
            entrypoint="register_person",
            outcome="ok",
        )
        == 1
    )
    assert value(after, "alliance_outbox_pending", service="members") == 0
    assert value(after, "alliance_workers_max", service="gateway") == config["max_workers"]
