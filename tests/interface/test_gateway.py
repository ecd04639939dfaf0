"""The HTTP surface itself: OpenAPI, docs, problem bodies, auth, request ids, CORS, outages."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import requests
from nameko.testing.utils import get_container
from openapi_spec_validator import validate

from gateway.api import ROUTES
from gateway.auth import mint_token
from members_svc.service import MembersService
from tests.support.api import Api

PROBLEM = "application/problem+json"


def assert_problem(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_openapi_document_is_valid_and_lists_every_route(api):
    document = api.get("/openapi.json", role=None).json()
    validate(document)
    for route in ROUTES:
        operation = document["paths"][route.openapi_path][route.method.lower()]
        assert operation["summary"] == route.summary
        assert ("security" in operation and operation["security"] == []) == (route.access == "public")
        for status in route.errors:
            assert str(status) in operation["responses"], (route.path, status)


def test_docs_page_and_its_assets_are_served_without_a_cdn(api):
    page = api.get("/docs", role=None)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "https://" not in page.text
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css", "/docs/assets/docs.js"):
        response = api.get(asset, role=None)
        assert response.status_code == 200 and len(response.content) > 20, asset
    assert_problem(api.get("/docs/assets/secret.txt", role=None), 404)


def test_http_errors_are_problem_documents(api):
    assert_problem(api.get("/api/v1/nothing-here", role=None), 404)
    not_allowed = assert_problem(api.request("DELETE", "/api/v1/organisations"), 405)
    assert not_allowed["status"] == 405
    assert_problem(
        api.post("/api/v1/organisations", data="name=x", headers={"Content-Type": "application/x-www-form-urlencoded"}),
        415,
    )
    assert_problem(api.post("/api/v1/organisations", data=b"[1, 2", headers={"Content-Type": "application/json"}), 400)
    too_big = api.post(
        "/api/v1/organisations",
        data=b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert_problem(too_big, 413)
    wrong_type = assert_problem(api.post("/api/v1/organisations", json={"name": 5, "kind": "school"}), 400)
    assert set(wrong_type["errors"]) == {"name", "kind"}
    unknown_field = assert_problem(
        api.post("/api/v1/organisations", json={"name": "A", "kind": "enterprise", "colour": "red"}), 400
    )
    assert "colour" in unknown_field["errors"]
    assert api.get("/api/v1/organisations").json()["items"] == []


def test_tokens_are_checked(api):
    assert_problem(api.get("/api/v1/organisations", role=None), 401)
    expired = mint_token(api.secret, "alliance_admin", lifetime=timedelta(seconds=-5))
    body = assert_problem(
        api.get("/api/v1/organisations", role=None, headers={"Authorization": f"Bearer {expired}"}), 401
    )
    assert "expired" in body["detail"]
    forged = jwt.encode({"sub": "x", "role": "alliance_admin", "iat": 0, "exp": 2**31}, "wrong", "HS256")
    assert_problem(api.get("/api/v1/organisations", role=None, headers={"Authorization": f"Bearer {forged}"}), 401)
    assert_problem(api.get("/api/v1/organisations", role=None, headers={"Authorization": "Basic abc"}), 401)
    assert_problem(
        api.post("/api/v1/organisations", role="org_admin", org="someone", json={"name": "A", "kind": "enterprise"}),
        403,
    )


def test_request_id_is_returned_and_generated(api):
    echoed = api.get("/health", role=None, headers={"X-Request-ID": "req-12345"})
    assert echoed.headers["X-Request-ID"] == "req-12345"
    generated = api.get("/api/v1/nothing", role=None)
    assert len(generated.headers["X-Request-ID"]) == 32


def test_cors_headers_for_allowed_origins_only(start_services, config):
    start_services(overrides={"CORS_ALLOWED_ORIGINS": "https://school.example"})
    url = f"http://{config['WEB_SERVER_ADDRESS']}/health"
    allowed = requests.get(url, headers={"Origin": "https://school.example"}, timeout=10)
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://school.example"
    other = requests.get(url, headers={"Origin": "https://elsewhere.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in other.headers


def test_a_stopped_service_answers_503_quickly_while_others_work(api, runners):
    get_container(runners[-1], MembersService).stop()
    started = time.monotonic()
    body = assert_problem(api.get("/api/v1/organisations"), 503)
    assert time.monotonic() - started < 3
    assert "members" in body["detail"]
    assert api.get("/api/v1/events", role=None).status_code == 200
    ready = api.get("/ready", role=None)
    assert ready.status_code == 503
    assert ready.json()["services"]["members"]["status"] != "ok"


def test_a_service_past_its_deadline_answers_504(start_services, config):
    start_services(overrides={"RPC_TIMEOUT_SECONDS": 0.000001})
    assert_problem(Api.for_config(config).get("/api/v1/organisations"), 504)


def test_idempotency_key_replays_the_first_answer_per_caller(api):
    body = {"name": "重庆市两江职业教育中心", "kind": "secondary_vocational_school"}
    key = {"Idempotency-Key": "create-liangjiang-1"}
    first = api.post("/api/v1/organisations", json=body, headers=key)
    assert first.status_code == 201
    again = api.post("/api/v1/organisations", json=body, headers=key)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(api.get("/api/v1/organisations").json()["items"]) == 1

    changed = api.post("/api/v1/organisations", json={**body, "name": "另一所学校"}, headers=key)
    assert_problem(changed, 422)

    other_caller = api.post("/api/v1/organisations", json=body, headers=key, role="org_admin", org=first.json()["id"])
    assert_problem(other_caller, 403)  # its own answer, not the admin's stored one
    assert len(api.get("/api/v1/organisations").json()["items"]) == 1


def test_pagination_walks_every_page_once(api):
    created = {
        api.post("/api/v1/organisations", json={"name": f"学校{i:02d}", "kind": "enterprise"}).json()["id"]
        for i in range(7)
    }
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/organisations", params=query).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 7 and set(seen) == created
    assert_problem(api.get("/api/v1/organisations", params={"cursor": "not-a-cursor"}), 400)
    assert_problem(api.get("/api/v1/organisations", params={"limit": 500}), 400)
