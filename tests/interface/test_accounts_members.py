"""Accounts in members_svc over RPC: the operator's first admin, signing in, lockout, refresh rotation."""

from __future__ import annotations

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from members_svc.accounts import FREE_FAILURES
from members_svc.service import MembersService
from services.errors import Conflict, Unauthorized
from tests.support.api import create_admin

PASSWORD = "渝中-admin-2026"


@pytest.fixture
def members(start_services, config):
    start_services(MembersService)
    with ClusterRpcProxy({"AMQP_URI": config["AMQP_URI"]}, timeout=15) as proxy:
        yield proxy.members


def test_the_operator_creates_the_first_admin_who_signs_in(members, config):
    created = create_admin(config, "Admin@YZ.edu.cn", PASSWORD)
    assert created["roles"] == [{"role": "alliance_admin", "organisation_id": None}]
    session = members.sign_in({"login": "admin@yz.edu.cn", "password": PASSWORD})
    assert session["account"]["id"] == created["id"]
    assert "password_hash" not in session["account"] and session["refresh_token"]
    account = members.get_account(created["id"])
    assert account["history"][0]["by"] == "operator" and account["has_password"] is True
    again = create_admin(config, "admin@yz.edu.cn", PASSWORD, expect_failure=True)
    assert "already taken" in again


def test_repeated_failures_lock_the_account_even_for_the_right_password(members, config):
    create_admin(config, "locked@yz.edu.cn", PASSWORD)
    for _ in range(FREE_FAILURES):
        with pytest.raises(Unauthorized, match="wrong"):
            members.sign_in({"login": "locked@yz.edu.cn", "password": "not the password"})
    with pytest.raises(Unauthorized, match="try again later"):
        members.sign_in({"login": "locked@yz.edu.cn", "password": PASSWORD})
    with pytest.raises(Unauthorized, match="wrong"):
        members.sign_in({"login": "nobody@yz.edu.cn", "password": PASSWORD})


def test_a_refresh_token_works_once_and_its_reuse_ends_the_whole_sign_in(members, config):
    create_admin(config, "rotate@yz.edu.cn", PASSWORD)
    first = members.sign_in({"login": "rotate@yz.edu.cn", "password": PASSWORD})["refresh_token"]
    second = members.refresh_session({"refresh_token": first})["refresh_token"]
    assert second != first
    with pytest.raises(Unauthorized, match="already used"):
        members.refresh_session({"refresh_token": first})
    with pytest.raises(Unauthorized, match="revoked"):
        members.refresh_session({"refresh_token": second})


def test_a_reset_link_sets_a_new_password_once(members, config):
    account = create_admin(config, "reset@yz.edu.cn", PASSWORD)
    link = members.issue_reset_link(account["id"], "account:someone")
    members.reset_password({"token": link["token"], "new_password": "a brand new secret"})
    with pytest.raises(Unauthorized, match="used or expired"):
        members.reset_password({"token": link["token"], "new_password": "another new secret"})
    with pytest.raises(Unauthorized):
        members.sign_in({"login": "reset@yz.edu.cn", "password": PASSWORD})
    assert members.sign_in({"login": "reset@yz.edu.cn", "password": "a brand new secret"})["account"]
    history = members.get_account(account["id"])["history"]
    assert [line["change"] for line in history] == ["created", "password_reset"]
    assert history[-1]["by"] == "account:someone"


def test_a_person_has_one_account_and_a_student_role_is_their_own(members, config):
    with ClusterRpcProxy({"AMQP_URI": config["AMQP_URI"]}, timeout=15) as proxy:
        school_kind = "secondary_vocational_school"
        school = proxy.members.register_organisation({"name": "武隆职业教育中心", "kind": school_kind})
        other = proxy.members.register_organisation({"name": "重庆市工业学校", "kind": school_kind})
        student = proxy.members.register_person(school["id"], {"name": "李娜", "kind": "student"})
    grant = {"role": "student", "organisation_id": school["id"]}
    members.create_account({"login": "lina", "person_id": student["id"], "roles": [grant]}, "account:x")
    with pytest.raises(Conflict, match="already has an account"):
        members.create_account({"login": "lina2", "person_id": student["id"], "roles": [grant]}, "account:x")
    with pytest.raises(Exception, match="student role"):
        members.create_account(
            {"login": "lina3", "roles": [{"role": "student", "organisation_id": other["id"]}]}, "account:x"
        )
