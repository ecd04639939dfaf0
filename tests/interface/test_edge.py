"""The gateway's edge as an attacker meets it: rate limits, hostile bodies, security headers, forged tokens."""

from __future__ import annotations

import json
import sys
from datetime import timedelta

import jwt
import pytest
from marshmallow import fields as ma_fields

from alliance.embedded_db import free_port
from gateway.api import ROUTES
from gateway.auth import ALGORITHM, ISSUER, mint_token
from gateway.service import GatewayService
from services.clock import utcnow
from tests.interface.test_certificates import HOLDER_NAME, issue, register_evaluator, register_person
from tests.interface.test_events import competition
from tests.interface.test_gateway import assert_problem
from tests.support.api import Api, create
from tests.support.cli import config_env, run
from tests.support.waiting import wait_for

NESTED_BRACKETS = b"[" * 500_000 + b"]" * 500_000  # 1 MB, under the body size limit
LONE_SURROGATE = '"\\ud800"'  # valid JSON text, but no Unicode string


def certificate_number(api: Api) -> str:
    evaluator = register_evaluator(api)
    holder = register_person(api, evaluator["id"])
    return issue(api, holder["id"], evaluator["id"])["number"]


def verify(api: Api, number: str, name: str, **headers: str):
    return api.get(f"/api/v1/verify/{number}", role=None, params={"name": name}, headers=headers)


def assert_too_many(response) -> None:
    body = assert_problem(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 60, response.headers["Retry-After"]
    assert "name" not in json.dumps(body)  # the answer does not say whether the guess was right


def test_guessing_names_is_cut_off_and_then_the_right_name_is_refused_too(api):
    number = certificate_number(api)
    answers = [verify(api, number, f"王{i:03d}") for i in range(400)]
    statuses = [a.status_code for a in answers]
    first_refusal = statuses.index(429)
    assert first_refusal == 30  # PUBLIC_RATE_LIMIT of services/default.yaml: 30/minute
    assert set(statuses[:first_refusal]) == {404}
    assert set(statuses[first_refusal:]) == {429}
    assert_too_many(answers[-1])
    assert_too_many(verify(api, number, HOLDER_NAME))
    pdf = api.get(f"/api/v1/certificates/{number}.pdf", role=None, params={"name": HOLDER_NAME})
    assert_too_many(pdf)  # the printable certificate checks names too, so it shares the allowance
    assert api.get("/api/v1/organisations").status_code == 200  # routes without a limit are untouched


def test_two_gateways_share_the_count_and_the_window_passes(start_services, config):
    limited = {"PUBLIC_RATE_LIMIT": "3/10 seconds"}
    first = Api.for_config({**config, **limited})
    start_services(overrides=limited)
    second_address = f"127.0.0.1:{free_port()}"
    start_services(GatewayService, overrides={**limited, "WEB_SERVER_ADDRESS": second_address})
    second = Api.for_config({**config, "WEB_SERVER_ADDRESS": second_address})
    number = certificate_number(first)
    assert verify(first, number, "李四").status_code == 404
    assert verify(second, number, "李四").status_code == 404
    assert verify(first, number, "王五").status_code == 404
    assert_too_many(verify(second, number, HOLDER_NAME))
    assert_too_many(verify(first, number, HOLDER_NAME))
    # Refused requests do not count, so once the window has passed the holder's name is answered.
    wait_for(
        lambda: verify(second, number, HOLDER_NAME).status_code == 200,
        timeout=30,
        interval=0.5,
        message="the rate limit window to pass",
    )


def test_forwarded_for_names_the_client_only_behind_a_trusted_proxy(start_services, config):
    limited = {"PUBLIC_RATE_LIMIT": "3/minute"}
    direct = Api.for_config(config)
    start_services(overrides=limited)
    proxied_address = f"127.0.0.1:{free_port()}"
    start_services(
        GatewayService, overrides={**limited, "TRUSTED_PROXY_HOPS": 1, "WEB_SERVER_ADDRESS": proxied_address}
    )
    proxied = Api.for_config({**config, "WEB_SERVER_ADDRESS": proxied_address})
    spoofed = [verify(direct, "S0000", "李四", **{"X-Forwarded-For": f"10.0.0.{i}"}) for i in range(4)]
    assert [r.status_code for r in spoofed] == [404, 404, 404, 429]
    from_one = [verify(proxied, "S0000", "李四", **{"X-Forwarded-For": "10.0.1.1"}) for _ in range(4)]
    assert [r.status_code for r in from_one] == [404, 404, 404, 429]
    assert verify(proxied, "S0000", "李四", **{"X-Forwarded-For": "10.0.1.2"}).status_code == 404


def body_routes():
    return [route for route in ROUTES if route.body is not None]


def route_url(route) -> str:
    path = route.path
    for name in route.path_params:
        path = path.replace(f"<{name}>", "x").replace(f"<string:{name}>", "x")
    return path


def raw_post(api: Api, route, body: bytes):
    return api.request(route.method, route_url(route), data=body, headers={"Content-Type": "application/json"})


def test_hostile_bodies_are_400_on_every_route_that_takes_a_body(api):
    assert body_routes()
    for route in body_routes():
        fields = route.body().fields
        text_field = next((n for n, f in fields.items() if isinstance(f, ma_fields.String)), "name")
        whole_field = next((n for n, f in fields.items() if isinstance(f, ma_fields.Integer)), text_field)
        hostile = {
            "nested brackets": NESTED_BRACKETS,
            "lone surrogate": f'{{"{text_field}": {LONE_SURROGATE}}}'.encode(),
            "surrogate key": f"{{{LONE_SURROGATE}: 1}}".encode(),
            "huge integer": f'{{"{whole_field}": {2**70}}}'.encode(),
            "deep object": b'{"a": ' * 200 + b"1" + b"}" * 200,
        }
        for label, body in hostile.items():
            response = raw_post(api, route, body)
            assert response.status_code == 400, (route.path, label, response.text[:300])
            assert response.headers["Content-Type"].startswith("application/problem+json")


def test_the_reported_inputs_are_400_naming_the_field(api):
    too_big = assert_problem(api.post("/api/v1/events", json=competition(capacity=2**70)), 400)
    assert "capacity" in too_big["errors"]
    surrogate = api.post(
        "/api/v1/organisations",
        data=b'{"name": "\\ud800", "kind": "enterprise"}',
        headers={"Content-Type": "application/json"},
    )
    assert "name" in assert_problem(surrogate, 400)["errors"]
    assert_problem(raw_post(api, next(r for r in ROUTES if r.path == "/api/v1/organisations"), NESTED_BRACKETS), 400)
    assert api.get("/api/v1/organisations").json()["items"] == []  # nothing was stored
    assert api.get("/api/v1/verify/S1?name=%ED%A0%80", role=None).status_code == 404


PAGES_AND_ANSWERS = [
    ("/verify", 200),
    ("/calendar", 200),
    ("/dashboard", 200),
    ("/docs", 200),
    ("/web/verify.js", 200),
    ("/openapi.json", 200),
    ("/api/v1/organisations", 200),
    ("/api/v1/verify/S1?name=x", 404),
    ("/api/v1/nothing-here", 404),
]


def test_every_page_and_api_answer_carries_the_security_headers(api):
    for path, status in PAGES_AND_ANSWERS:
        response = api.get(path)
        assert response.status_code == status, (path, response.text[:200])
        csp = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp, path
        assert response.headers.get("X-Content-Type-Options") == "nosniff", path
        assert response.headers.get("X-Frame-Options") == "DENY", path
        assert response.headers.get("Referrer-Policy") == "no-referrer", path
    assert "X-Frame-Options" in api.request("DELETE", "/api/v1/organisations").headers  # a 405 too


def signed(api: Api, **claims) -> dict:
    now = utcnow()
    base = {"sub": "org_admin:x", "role": "org_admin", "iss": ISSUER, "iat": now, "exp": now + timedelta(hours=1)}
    token = jwt.encode({**base, **claims}, api.secret, algorithm=ALGORITHM)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "claims",
    [
        {"org": {"$ne": None}},
        {"org": 5},
        {"org": ["a", "b"]},
        {"org": ""},
        {"role": ["org_admin"], "org": "a"},
        {"role": "alliance_admin", "org": {"$exists": True}},
    ],
    ids=["org operator", "org number", "org list", "org empty", "role list", "admin with org operator"],
)
def test_tokens_with_claims_of_the_wrong_type_are_401(api, claims):
    organisation = create(api, "/api/v1/organisations", {"name": "重庆市工业学校", "kind": "enterprise"})
    listing = api.get("/api/v1/certificates", role=None, headers=signed(api, **claims))
    assert_problem(listing, 401)
    assert (
        api.get(f"/api/v1/organisations/{organisation['id']}", role=None, headers=signed(api, **claims)).status_code
        == 401
    )


def test_tokens_living_longer_than_the_maximum_are_401(api):
    century = mint_token(api.secret, "alliance_admin", lifetime=timedelta(days=36500))
    body = assert_problem(
        api.get("/api/v1/organisations", role=None, headers={"Authorization": f"Bearer {century}"}), 401
    )
    assert "24 hours" in body["detail"]
    day = mint_token(api.secret, "alliance_admin", lifetime=timedelta(hours=24))
    assert api.get("/api/v1/organisations", role=None, headers={"Authorization": f"Bearer {day}"}).status_code == 200


def alliance_token(*args: str, **env: str):
    """``alliance token`` of this checkout in a process of its own, reading its configuration afresh."""
    main = "import sys; from alliance.cli import main; sys.exit(main(sys.argv[1:]))"
    return run([sys.executable, "-c", main, "token", *args], **env)


def test_alliance_token_refuses_to_mint_longer_than_the_maximum(config, tmp_path):
    env = config_env(config, "JWT_SECRET") | {"ALLIANCE_DATA_DIR": str(tmp_path)}
    refused = alliance_token("--role", "alliance_admin", "--hours", "876000", **env)
    assert refused.returncode == 2 and refused.stdout == ""
    assert "at most 24 hours" in refused.stderr and "TOKEN_MAX_LIFETIME_HOURS" in refused.stderr
    assert alliance_token("--role", "alliance_admin", "--hours", "0", **env).returncode == 2
    allowed = alliance_token("--role", "alliance_admin", "--hours", "48", TOKEN_MAX_LIFETIME_HOURS="48", **env)
    assert allowed.returncode == 0, allowed.stderr
    claims = jwt.decode(allowed.stdout.strip(), config["JWT_SECRET"], algorithms=[ALGORITHM], issuer=ISSUER)
    assert claims["exp"] - claims["iat"] == 48 * 3600
