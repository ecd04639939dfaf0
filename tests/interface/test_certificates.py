"""Certificates over HTTP: numbering, signed credentials, status, public and offline verification."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import base58
import eventlet
import pytest
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from alliance.cli.verify import did_web_url
from certificates_svc.keys import load_or_create_keys
from certificates_svc.service import CertificatesService
from certificates_svc.status_list import read_status
from events_svc.service import EventsService
from gateway.service import GatewayService
from members_svc.service import MembersService
from tests.support.api import Api, create, ok
from tests.support.cli import alliance_in_process
from tests.support.waiting import wait_for

EVALUATOR = {
    "name": "重庆市渝中职业教育中心",
    "kind": "secondary_vocational_school",
    "region": "重庆",
    "accredited_evaluator": True,
    "evaluator": {"type": "S", "code": "5001", "province": "50", "site": "000123"},
}
HOLDER_NAME = "张三丰"


def register_evaluator(api: Api, **overrides) -> dict:
    return create(api, "/api/v1/organisations", {**EVALUATOR, **overrides})


def register_person(api: Api, organisation_id: str, name: str = HOLDER_NAME, **extra) -> dict:
    return create(api, f"/api/v1/organisations/{organisation_id}/people", {"name": name, "kind": "student", **extra})


def issue(api: Api, holder_id: str, issuer_id: str, **overrides) -> dict:
    body = {
        "kind": "skill_level",
        "holder_id": holder_id,
        "issuer_id": issuer_id,
        "title": "网络与信息安全管理员 职业技能等级证书",
        "occupation": "网络与信息安全管理员",
        "level": 4,
        **overrides,
    }
    return create(api, "/api/v1/certificates", body)


def status_entries(credential: dict) -> list[dict]:
    """The credential's status entries: one now, two (revocation, suspension) on older credentials."""
    status = credential.get("credentialStatus")
    return [] if status is None else status if isinstance(status, list) else [status]


def public_documents(api: Api, number: str) -> tuple[dict, dict, list[dict]]:
    """The credential (as staff see it), its issuer's DID document and status lists (the last two public)."""
    credential = api.get(f"/api/v1/certificates/{number}/credential").json()
    did = api.get(urlsplit(did_web_url(credential["issuer"]["id"])).path, role=None).json()
    lists = []
    for entry in status_entries(credential):
        response = api.get(urlsplit(entry["statusListCredential"]).path, role=None)
        assert response.status_code == 200, response.text
        lists.append(response.json())
    return credential, did, lists


def write(tmp_path: Path, name: str, document: dict) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


def cli_verify(tmp_path: Path, credential: dict, did: dict, lists: list[dict], *extra: str) -> tuple[int, str]:
    args = ["verify", write(tmp_path, "credential.json", credential), "--did", write(tmp_path, "did.json", did)]
    for position, status_list in enumerate(lists):
        args += ["--status-list", write(tmp_path, f"list-{position}.json", status_list)]
    result = alliance_in_process(*args, *extra)
    return result.returncode, result.stdout


def independently_verify(credential: dict, did: dict) -> None:
    """eddsa-jcs-2022 written out from the specification; raises InvalidSignature."""
    document = copy.deepcopy(credential)
    (proof,) = document.pop("proof")
    proof_value = proof.pop("proofValue")
    method = next(m for m in did["verificationMethod"] if m["id"] == proof["verificationMethod"])
    raw = base58.b58decode(method["publicKeyMultibase"][1:])
    assert raw[:2] == b"\xed\x01"
    signed = hashlib.sha256(rfc8785.dumps(proof)).digest() + hashlib.sha256(rfc8785.dumps(document)).digest()
    Ed25519PublicKey.from_public_bytes(raw[2:]).verify(base58.b58decode(proof_value[1:]), signed)


def test_numbers_are_unique_and_well_formed_under_parallel_issuance_on_two_instances(api, start_services):
    start_services(CertificatesService)  # a second instance competing for the same RPC queue
    school = register_evaluator(api)
    people = [register_person(api, school["id"], name=f"学生{i}") for i in range(4)]
    pool = eventlet.GreenPool(20)

    def issue_one(position: int):
        kind = "skill_level" if position % 2 else "competition_award"
        return api.post(
            "/api/v1/certificates",
            json={
                "kind": kind,
                "holder_id": people[position % 4]["id"],
                "issuer_id": school["id"],
                "title": "网络搭建与应用",
                "occupation": "网络与信息安全管理员",
                "level": 3,
            },
        )

    responses = list(pool.imap(issue_one, range(40)))

    assert [r.status_code for r in responses] == [201] * 40
    numbers = [r.json()["number"] for r in responses]
    assert len(set(numbers)) == 40
    skill = [n for n in numbers if n[0] in "YS"]
    assert len(skill) == 20
    assert all(re.fullmatch(r"[YS]\d{21}", n) and n.startswith("S500150000123") for n in skill)
    assert sorted(int(n[-6:]) for n in skill) == list(range(1, 21))
    awards = [n for n in numbers if n not in skill]
    assert all(re.fullmatch(r"CA-\d{4}-\d{6}", n) for n in awards)
    assert sorted(int(n[-6:]) for n in awards) == list(range(1, 21))


def test_skill_level_needs_an_accredited_evaluator(api):
    school = register_evaluator(api, accredited_evaluator=False, evaluator=None, name="武隆职业教育中心")
    person = register_person(api, school["id"])
    response = api.post(
        "/api/v1/certificates",
        json={
            "kind": "skill_level",
            "holder_id": person["id"],
            "issuer_id": school["id"],
            "title": "电工",
            "occupation": "电工",
            "level": 5,
        },
    )
    assert response.status_code == 403
    unknown = api.post(
        "/api/v1/certificates",
        json={
            "kind": "participation",
            "holder_id": "000000000000000000000000",
            "issuer_id": school["id"],
            "title": "开放日",
        },
    )
    assert unknown.status_code == 404


def test_credential_verifies_offline_and_one_altered_character_fails(api, tmp_path):
    school = register_evaluator(api)
    person = register_person(api, school["id"], national_id="11010519491231002X")
    certificate = issue(api, person["id"], school["id"])
    credential, did, lists = public_documents(api, certificate["number"])

    independently_verify(credential, did)
    code, out = cli_verify(tmp_path, credential, did, lists)
    assert code == 0, out
    assert out.startswith(f"VALID: {certificate['number']} (active)")

    altered = copy.deepcopy(credential)
    number = certificate["number"]
    altered["credentialSubject"]["licenseNumber"] = number[:-1] + str((int(number[-1]) + 1) % 10)
    code, out = cli_verify(tmp_path, altered, did, lists)
    assert code == 1
    assert out.startswith("INVALID") and "altered" in out
    with pytest.raises(InvalidSignature):
        independently_verify(altered, did)

    missing = alliance_in_process("verify", str(tmp_path / "nope.json"), "--did", str(tmp_path / "did.json"))
    assert missing.returncode == 2
    assert "cannot read the credential" in missing.stderr


def string_values(node) -> list[str]:
    if isinstance(node, dict):
        return [text for value in node.values() for text in string_values(value)]
    if isinstance(node, list):
        return [text for value in node for text in string_values(value)]
    return [node] if isinstance(node, str) else []


def digests(value: str, salts: list[str]) -> set[str]:
    """Plain and salted (either side) SHA-256, SHA-1 and MD5 of ``value``, in hex and base64."""
    found = set()
    for salt in ["", *salts]:
        for data in (value + salt, salt + value):
            for algorithm in ("sha256", "sha1", "md5"):
                raw = hashlib.new(algorithm, data.encode()).digest()
                found |= {raw.hex(), base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("=")}
    return found


def test_the_credential_carries_nothing_from_which_the_id_number_or_name_could_be_recovered(api):
    national_id = "11010519491231002X"
    school = register_evaluator(api)
    person = register_person(api, school["id"], national_id=national_id)
    number = issue(api, person["id"], school["id"])["number"]

    credential = api.get(f"/api/v1/certificates/{number}/credential").json()

    serialised = json.dumps(credential, ensure_ascii=False)
    assert "identityHash" not in serialised and "salt" not in serialised and "identifier" not in serialised
    for secret in (national_id, national_id.lower(), national_id[:17], HOLDER_NAME, HOLDER_NAME[1:]):
        assert secret not in serialised
    # Whatever string in the credential might have served as a salt, no hash of the ID or name matches.
    candidates = string_values(credential)
    for secret in (national_id, national_id.lower(), HOLDER_NAME):
        leaked = {d for d in digests(secret, candidates) if d in serialised}
        assert not leaked
    assert credential["credentialSubject"]["id"].startswith("urn:uuid:")


def test_revocation_flips_the_status_list_bit_and_the_public_answer(api, tmp_path):
    school = register_evaluator(api)
    person = register_person(api, school["id"])
    number = issue(api, person["id"], school["id"])["number"]
    entry = api.get(f"/api/v1/certificates/{number}/credential").json()["credentialStatus"]
    assert (entry["statusPurpose"], entry["statusSize"]) == ("message", 2)

    suspended = api.post(
        f"/api/v1/certificates/{number}/suspend", json={"reason": "under review"}, role="org_admin", org=school["id"]
    )
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"
    credential, did, lists = public_documents(api, number)
    assert read_status(entry, lists[0]) == 1  # 0x1, suspended
    out = cli_verify(tmp_path, credential, did, lists)[1]
    assert out.startswith(f"INVALID: {number} (suspended)")
    assert api.post(f"/api/v1/certificates/{number}/reinstate", json={}).json()["status"] == "active"

    no_reason = api.post(f"/api/v1/certificates/{number}/revoke", json={})
    assert no_reason.status_code == 400
    other_org = api.post(
        f"/api/v1/certificates/{number}/revoke", json={"reason": "x"}, role="org_admin", org="000000000000000000000000"
    )
    assert other_org.status_code == 403
    unknown_category = api.post(f"/api/v1/certificates/{number}/revoke", json={"reason": "x", "category": "whim"})
    assert unknown_category.status_code == 400
    revoked = api.post(
        f"/api/v1/certificates/{number}/revoke", json={"reason": "forged assessment record", "category": "misconduct"}
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status_reason"] == "forged assessment record"
    assert revoked.json()["status_category"] == "misconduct"

    credential, did, lists = public_documents(api, number)
    assert read_status(entry, lists[0]) == 2  # 0x2, revoked
    code, out = cli_verify(tmp_path, credential, did, lists)
    assert code == 1 and "revoked" in out
    answer = api.get(f"/api/v1/verify/{number}", params={"name": HOLDER_NAME}, role=None).json()
    assert answer["valid"] is False and answer["status"] == "revoked"
    # The date and the category, never the reason typed (it may name people).
    assert answer["status_changed_at"] == revoked.json()["status_changed_at"]
    assert answer["reason_category"] == "misconduct"
    assert answer["public_reason"] is None and answer["replaced_by"] is None
    assert "forged" not in json.dumps(answer)

    again = api.post(f"/api/v1/certificates/{number}/reinstate", json={})
    assert again.status_code == 409
    assert again.json()["current_state"] == "revoked"
    assert "allowed_actions" not in again.json() or again.json()["allowed_actions"] == []
    unknown_action = api.post(f"/api/v1/certificates/{number}/destroy", json={})
    assert unknown_action.status_code == 400

    def portfolio_status():
        entries = api.get(f"/api/v1/people/{person['id']}").json()["certificates"]
        return entries and entries[0]["status"] == "revoked"

    wait_for(portfolio_status, message="certificate_status_changed to reach the portfolio")
    assert api.get("/api/v1/status-lists/revocation-7", role=None).status_code == 404
    assert api.get("/api/v1/status-lists/other-0", role=None).status_code == 404


def test_public_verification_gives_an_unknown_number_and_a_wrong_name_the_same_answer(api):
    school = register_evaluator(api)
    person = register_person(api, school["id"])
    certificate = issue(api, person["id"], school["id"], work_type="网络安全管理员")
    number = certificate["number"]

    right = api.get(f"/api/v1/verify/{number}", params={"name": f" {HOLDER_NAME} "}, role=None)
    assert right.status_code == 200, right.text
    answer = right.json()
    assert answer["valid"] is True and answer["status"] == "active"
    assert answer["holder"] == "张*丰"
    assert (answer["kind"], answer["level"]) == ("skill_level", 4)
    assert answer["occupation"] == "网络与信息安全管理员"
    assert answer["issuer"]["name"] == EVALUATOR["name"]
    assert answer["issued_at"] and "identity" not in json.dumps(answer)

    wrong_name = api.get(f"/api/v1/verify/{number}", params={"name": "张三"}, role=None)
    unknown = api.get("/api/v1/verify/S50015000012326400000X", params={"name": "张三"}, role=None)
    unknown_right_name = api.get(f"/api/v1/verify/{number[:-1]}9", params={"name": HOLDER_NAME}, role=None)
    assert wrong_name.status_code == unknown.status_code == unknown_right_name.status_code == 404
    assert wrong_name.content == unknown.content == unknown_right_name.content
    assert api.get(f"/api/v1/verify/{number}", role=None).status_code == 400


def test_a_rotated_key_signs_new_credentials_and_old_ones_still_verify(start_services, config, tmp_path):
    start_services(MembersService, EventsService, GatewayService)
    certificates = start_services(CertificatesService)
    api = Api.for_config(config)
    school = register_evaluator(api)
    person = register_person(api, school["id"])
    old = issue(api, person["id"], school["id"])["number"]
    old_credential = api.get(f"/api/v1/certificates/{old}/credential").json()

    certificates.stop()
    key_dir = Path(config["DATA_DIR"]).resolve() / "signing-keys"
    new_key = load_or_create_keys(key_dir).rotate(key_dir)
    start_services(CertificatesService)

    new = issue(api, person["id"], school["id"])["number"]
    credential, did, lists = public_documents(api, new)
    assert credential["proof"][0]["verificationMethod"].endswith(f"#{new_key.key_id}")
    assert len(did["verificationMethod"]) == 2
    assert old_credential["proof"][0]["verificationMethod"] != credential["proof"][0]["verificationMethod"]
    independently_verify(old_credential, did)
    assert cli_verify(tmp_path, old_credential, did, lists)[0] == 0
    assert cli_verify(tmp_path, credential, did, lists)[0] == 0


def test_a_number_is_found_however_a_person_types_it(api):
    school = register_evaluator(api)
    person = register_person(api, school["id"])
    award = issue(api, person["id"], school["id"], kind="competition_award", title="网络搭建与应用 一等奖")
    number = award["number"]  # e.g. CA-2026-000001
    typed = f"  {number.lower()} "

    verified = api.get(f"/api/v1/verify/{typed}", params={"name": HOLDER_NAME}, role=None)
    assert verified.status_code == 200, verified.text
    assert verified.json()["number"] == number
    full_width = number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789-CAPT"})
    assert api.get(f"/api/v1/verify/{full_width}", params={"name": HOLDER_NAME}, role=None).status_code == 200
    assert ok(api.get(f"/api/v1/certificates/{typed}"))["number"] == number
    assert ok(api.get(f"/api/v1/certificates/{typed}/credential"))["credentialSubject"]["licenseNumber"] == number
    pdf = api.get(f"/api/v1/certificates/{typed}.pdf", params={"name": HOLDER_NAME}, role=None)
    assert pdf.status_code == 200 and pdf.headers["Content-Disposition"].endswith(f'"{number}.pdf"')
    link = ok(api.post(f"/api/v1/certificates/{typed}/share-links", json={}), 201)
    assert link["number"] == number
    listed = ok(api.get(f"/api/v1/certificates/{typed}/share-links"))["items"]
    assert [shared["id"] for shared in listed] == [link["id"]]
    suspended = ok(api.post(f"/api/v1/certificates/{typed}/suspend", json={"reason": "under review"}))
    assert (suspended["number"], suspended["status"]) == (number, "suspended")
    assert ok(api.request("DELETE", f"/api/v1/certificates/{typed}/share-links/{link['id']}"))["state"] == "revoked"
    assert api.get(f"/api/v1/verify/{number[:-1]}", params={"name": HOLDER_NAME}, role=None).status_code == 404
