"""The account rules of members_svc: passwords, lockout, one-time secrets and role grants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from members_svc import accounts
from services.errors import InvalidInput, Unauthorized, Unprocessable

NOW = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)


def test_a_password_is_stored_as_an_argon2id_hash_that_only_it_matches():
    hashed = accounts.hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert "correct horse" not in hashed
    assert accounts.password_matches(hashed, "correct horse battery")
    assert not accounts.password_matches(hashed, "correct horse batterY")


def test_no_hash_matches_no_password():
    assert not accounts.password_matches(None, "anything at all")
    assert not accounts.password_matches("not-a-hash", "anything at all")


@pytest.mark.parametrize("password", ["short", "x" * 257])
def test_passwords_too_short_or_too_long_are_refused(password):
    with pytest.raises(Unprocessable):
        accounts.hash_password(password)


def test_logins_compare_after_normalisation():
    assert accounts.normalise_login("  Teacher@School.CN ") == "teacher@school.cn"
    assert accounts.normalise_login("ＡＢＣ") == "abc"  # full-width letters, as typed with a Chinese IME


def test_lockout_starts_after_the_free_failures_and_doubles_to_a_cap():
    assert accounts.lockout_until(accounts.FREE_FAILURES - 1, NOW) is None
    first = accounts.lockout_until(accounts.FREE_FAILURES, NOW) - NOW
    second = accounts.lockout_until(accounts.FREE_FAILURES + 1, NOW) - NOW
    assert first == accounts.FIRST_LOCKOUT and second == 2 * first
    assert accounts.lockout_until(accounts.FREE_FAILURES + 40, NOW) - NOW == accounts.LONGEST_LOCKOUT


def test_a_locked_or_disabled_account_may_not_sign_in():
    with pytest.raises(Unauthorized, match="try again later"):
        accounts.check_may_sign_in({"locked_until": NOW + timedelta(seconds=1)}, NOW)
    with pytest.raises(Unauthorized, match="disabled"):
        accounts.check_may_sign_in({"disabled": True}, NOW)
    accounts.check_may_sign_in({"locked_until": NOW - timedelta(seconds=1)}, NOW)
    accounts.check_may_sign_in(None, NOW)


def test_secrets_are_random_and_stored_only_as_digests():
    first, second = accounts.new_secret(), accounts.new_secret()
    assert first != second and len(first) >= 40
    digest = accounts.secret_digest(first)
    assert digest == accounts.secret_digest(first) and first not in digest


def test_grants_scope_organisation_roles_and_not_the_alliance_admin():
    grants = accounts.check_grants(
        [
            {"role": "teacher", "organisation_id": "a"},
            {"role": "teacher", "organisation_id": "a"},
            {"role": "assessor", "organisation_id": "b"},
            {"role": "alliance_admin", "organisation_id": None},
        ]
    )
    assert grants == [
        {"role": "teacher", "organisation_id": "a"},
        {"role": "assessor", "organisation_id": "b"},
        {"role": "alliance_admin", "organisation_id": None},
    ]
    assert accounts.organisations_named(grants) == ["a", "b"]
    with pytest.raises(InvalidInput):
        accounts.check_grants([{"role": "alliance_admin", "organisation_id": "a"}])
    with pytest.raises(InvalidInput):
        accounts.check_grants([{"role": "org_admin", "organisation_id": None}])


def test_a_student_role_belongs_to_a_person_of_that_organisation():
    grants = [{"role": "student", "organisation_id": "a"}]
    accounts.check_grants_fit_person(grants, {"organisation_id": "a"})
    with pytest.raises(Unprocessable):
        accounts.check_grants_fit_person(grants, {"organisation_id": "b"})
    with pytest.raises(Unprocessable):
        accounts.check_grants_fit_person(grants, None)
    accounts.check_grants_fit_person([{"role": "teacher", "organisation_id": "a"}], None)
