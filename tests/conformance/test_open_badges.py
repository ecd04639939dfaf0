"""Independent verifiers over credentials from a running platform: the 1EdTech Open Badges 3.0
JSON Schema, jsonld.js in safe mode with only the VC 2.0 and OB 3.0 contexts, and Digital Bazaar's
verifier (eddsa-jcs-2022, did:web) and Bitstring Status List library."""

from __future__ import annotations

import copy
import json

from tests.conformance.node import conformance_reports
from tests.interface.test_certificates import issue, register_evaluator, register_person
from tests.interface.test_certificates_jobs import all_certificates, publish_results
from tests.support.api import Api, create, ok
from tests.support.waiting import wait_for

KINDS = {
    "skill_level": {
        "kind": "skill_level",
        "title": "网络与信息安全管理员 职业技能等级证书",
        "occupation": "网络与信息安全管理员",
        "level": 4,
    },
    "skill_level_with_work_type": {
        "kind": "skill_level",
        "title": "电工 职业技能等级证书",
        "occupation": "电工",
        "work_type": "维修电工",
        "level": 3,
    },
    "competition_award": {
        "kind": "competition_award",
        "title": "网络搭建与应用 技能大赛 一等奖",
        "occupation": "网络搭建与应用",
    },
    "training_completion": {"kind": "training_completion", "title": "工业机器人操作 培训结业"},
    "participation": {"kind": "participation", "title": "职业教育活动周 参与证书"},
}


def issue_kind(api: Api, holder_id: str, issuer_id: str, body: dict) -> str:
    """Issue a certificate as described by ``body``; its number."""
    return create(api, "/api/v1/certificates", {"holder_id": holder_id, "issuer_id": issuer_id, **body})["number"]


def credential_of(api: Api, number: str) -> dict:
    return ok(api.get(f"/api/v1/certificates/{number}/credential"))


def status_message(report: dict) -> str:
    """The status message Digital Bazaar's status-list library reads for a credential."""
    outcome = report["digitalBazaar"]
    assert outcome["verified"], outcome
    assert outcome.get("error") is None, outcome
    (entry,) = outcome["status"].values()
    return entry["message"]


def assert_conforms(report: dict) -> None:
    assert report["schema"] == [], json.dumps(report, ensure_ascii=False)
    assert report["jsonldUndefinedTerms"] == [], json.dumps(report, ensure_ascii=False)
    assert report["digitalBazaar"]["verified"], json.dumps(report, ensure_ascii=False)


def test_every_kind_conforms_and_its_status_follows_revoke_suspend_reinstate(api, tmp_path):
    school = register_evaluator(api)
    person = register_person(api, school["id"])
    numbers = {label: issue_kind(api, person["id"], school["id"], body) for label, body in KINDS.items()}
    credentials = {label: credential_of(api, number) for label, number in numbers.items()}

    before = conformance_reports(tmp_path, credentials)
    for label, report in before.items():
        assert_conforms(report)
        assert status_message(report) == "active", label

    revoked, suspended, reinstated = numbers["skill_level"], numbers["competition_award"], numbers["participation"]
    ok(api.post(f"/api/v1/certificates/{revoked}/revoke", json={"reason": "issued in error"}))
    ok(api.post(f"/api/v1/certificates/{suspended}/suspend", json={"reason": "under review"}))
    ok(api.post(f"/api/v1/certificates/{reinstated}/suspend", json={"reason": "under review"}))
    during = conformance_reports(tmp_path, credentials)
    assert {label: status_message(report) for label, report in during.items()} == {
        "skill_level": "revoked",
        "skill_level_with_work_type": "active",
        "competition_award": "suspended",
        "training_completion": "active",
        "participation": "suspended",
    }

    ok(api.post(f"/api/v1/certificates/{reinstated}/reinstate", json={}))
    after = conformance_reports(tmp_path, credentials)
    assert status_message(after["participation"]) == "active"
    assert status_message(after["skill_level"]) == "revoked"
    assert status_message(after["competition_award"]) == "suspended"


def test_a_tampered_credential_is_rejected_by_digital_bazaar(api, tmp_path):
    school = register_evaluator(api)
    person = register_person(api, school["id"])
    credential = credential_of(api, issue(api, person["id"], school["id"])["number"])
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["licenseNumber"] = credential["credentialSubject"]["licenseNumber"][:-1] + "9"
    if tampered == credential:
        tampered["credentialSubject"]["licenseNumber"] = credential["credentialSubject"]["licenseNumber"][:-1] + "8"

    reports = conformance_reports(tmp_path, {"genuine": credential, "tampered": tampered})

    assert reports["genuine"]["digitalBazaar"]["verified"] is True, reports["genuine"]
    assert reports["tampered"]["digitalBazaar"]["verified"] is False
    assert "invalid signature" in reports["tampered"]["digitalBazaar"]["error"].lower()


def test_a_results_correction_revokes_the_old_award_for_every_verifier_and_points_to_the_new_one(api, config, tmp_path):
    school = register_evaluator(api)
    person = register_person(api, school["id"], name="王三")
    results = {
        "event_id": "ev-conformance",
        "alliance_id": "al-1",
        "organiser_id": school["id"],
        "kind": "skills_competition",
        "title": "网络搭建与应用 技能大赛",
        "skill": "网络搭建与应用",
        "ends_at": "2026-05-20T10:00:00Z",
        "revision": 1,
        "results": [
            {
                "registration_id": "r1",
                "organisation_id": school["id"],
                "person_ids": [person["id"]],
                "team_name": None,
                "score": 70.0,
                "rank": 5,
                "award": "participation",
            }
        ],
    }
    publish_results(config, results)
    (first,) = wait_for(lambda: all_certificates(api) or None, message="the participation certificate")
    publish_results(config, {**results, "revision": 2, "results": [{**results["results"][0], "award": "third_prize"}]})
    second = wait_for(lambda: len(all_certificates(api)) == 2 and all_certificates(api), message="the corrected award")
    (replacement,) = [c["number"] for c in second if c["number"] != first["number"]]

    reports = conformance_reports(
        tmp_path, {"superseded": credential_of(api, first["number"]), "replacement": credential_of(api, replacement)}
    )

    for report in reports.values():
        assert_conforms(report)
    assert status_message(reports["superseded"]) == "revoked"
    assert status_message(reports["replacement"]) == "active"
    answer = ok(api.get(f"/api/v1/verify/{first['number'].lower()}", params={"name": "王三"}, role=None))
    assert (answer["status"], answer["replaced_by"]) == ("superseded", replacement)
