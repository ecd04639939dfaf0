"""Account access tokens: the Ed25519 key ring, rotation, and what a token's roles permit."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from gateway.auth import (
    ADMINISTER,
    ASSESS,
    MANAGE_PEOPLE,
    REGISTER,
    Grant,
    Principal,
    mint_access_token,
    mint_token,
    principal_from_header,
)
from gateway.token_keys import KEY_ACTIVATION, TokenKeyStore, load_token_keys, new_key
from services.errors import Forbidden, Unauthorized
from tests.support.cli import alliance

LIFETIME = timedelta(minutes=15)
SECRET = "a shared secret of service tokens, long enough"
ACCOUNT = {
    "id": "a1",
    "person_id": "p1",
    "roles": [{"role": "teacher", "organisation_id": "school"}, {"role": "assessor", "organisation_id": "centre"}],
}


def bearer(token: str) -> str:
    return f"Bearer {token}"


def test_the_first_key_is_created_owner_only_and_published_as_a_jwk(tmp_path):
    ring = load_token_keys(tmp_path / "keys", LIFETIME)
    (path,) = (tmp_path / "keys").glob("*.pem")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (jwk,) = ring.jwks()["keys"]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["kid"] == ring.signing.kid and "d" not in jwk


def test_a_token_verifies_with_the_published_key_alone(tmp_path):
    store = TokenKeyStore(tmp_path, LIFETIME)
    token = mint_access_token(store, ACCOUNT)
    (jwk,) = store.jwks()["keys"]
    public = jwt.PyJWK(jwk).key
    claims = jwt.decode(token, public, algorithms=["EdDSA"], issuer="vocational-alliance")
    assert claims["sub"] == "account:a1" and claims["person"] == "p1"


def test_after_rotation_the_new_key_signs_and_the_old_one_verifies_until_its_tokens_expired(tmp_path):
    now = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    old = new_key(tmp_path, now - timedelta(days=30))
    new = new_key(tmp_path, now - KEY_ACTIVATION - timedelta(minutes=1))
    ring = load_token_keys(tmp_path, LIFETIME, now)
    assert ring.signing.kid == new.kid and ring.find(old.kid) is not None
    # The old key signed until the new one was KEY_ACTIVATION old; its tokens live LIFETIME after that.
    still = load_token_keys(tmp_path, LIFETIME, now + LIFETIME - timedelta(minutes=2))
    assert [key.kid for key in still.keys] == [old.kid, new.kid]
    later = load_token_keys(tmp_path, LIFETIME, now + LIFETIME)
    assert [key.kid for key in later.keys] == [new.kid]


def test_a_new_key_is_published_at_once_and_signs_only_once_every_replica_can_know_it(tmp_path):
    now = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    old = new_key(tmp_path, now - timedelta(days=30))
    new = new_key(tmp_path, now - timedelta(minutes=1))
    ring = load_token_keys(tmp_path, LIFETIME, now)
    assert ring.signing.kid == old.kid
    assert [jwk["kid"] for jwk in ring.jwks()["keys"]] == [old.kid, new.kid]
    assert load_token_keys(tmp_path, LIFETIME, new.created_at + KEY_ACTIVATION).signing.kid == new.kid


def test_the_only_keys_sign_at_once_and_an_empty_read_only_directory_says_what_to_do(tmp_path):
    first = new_key(tmp_path / "fresh")
    assert load_token_keys(tmp_path / "fresh", LIFETIME).signing.kid == first.kid
    # A place no key can be written to (a file where the directory's parent should be; root ignores modes).
    unwritable = tmp_path / "mounted"
    unwritable.write_text("")
    with pytest.raises(OSError, match="rotate-token-key"):
        load_token_keys(unwritable / "keys", LIFETIME)


def test_an_account_token_becomes_a_principal_with_its_grants(tmp_path):
    store = TokenKeyStore(tmp_path, LIFETIME)
    principal = principal_from_header(bearer(mint_access_token(store, ACCOUNT)), SECRET, keys=store)
    assert principal.subject == "account:a1" and principal.account_id == "a1" and principal.person == "p1"
    assert principal.grants == (Grant("teacher", "school"), Grant("assessor", "centre"))
    assert principal.may(REGISTER, "school") and principal.may(MANAGE_PEOPLE, "school")
    assert not principal.may(ADMINISTER, "school") and not principal.may(REGISTER, "centre")
    assert principal.may(ASSESS, "centre") and not principal.may(ASSESS, "school")
    with pytest.raises(Forbidden):
        principal.require_org("school")


def test_service_tokens_still_work_and_name_no_account():
    principal = principal_from_header(bearer(mint_token(SECRET, "org_admin", "school")), SECRET)
    assert principal.org == "school" and principal.account_id is None
    assert principal.may(ADMINISTER, "school") and principal.may(ASSESS, "school")


def test_a_token_signed_by_an_unknown_key_or_in_an_unsigned_shape_is_refused(tmp_path):
    store = TokenKeyStore(tmp_path / "ours", LIFETIME)
    foreign = TokenKeyStore(tmp_path / "theirs", LIFETIME)
    with pytest.raises(Unauthorized, match="does not know"):
        principal_from_header(bearer(mint_access_token(foreign, ACCOUNT)), SECRET, keys=store)
    forged_admin = jwt.encode(
        {
            "sub": "account:x",
            "roles": [{"role": "alliance_admin", "org": "school"}],
            "iss": "vocational-alliance",
            "iat": datetime.now(UTC),
            "exp": datetime.now(UTC) + LIFETIME,
        },
        store.signing.private_key,
        algorithm="EdDSA",
        headers={"kid": store.signing.kid},
    )
    with pytest.raises(Unauthorized, match="role it may not"):
        principal_from_header(bearer(forged_admin), SECRET, keys=store)


def test_a_student_is_their_own_person_and_staff_of_nothing():
    student = Principal("account:s", (Grant("student", "school"),), "p9")
    assert student.is_person("p9") and not student.is_person("p8")
    assert student.org is None and not student.may(MANAGE_PEOPLE, "school")
    with pytest.raises(Forbidden):
        student.staff_org()


def test_the_operator_rotates_the_token_key_and_both_keys_are_published(tmp_path):
    directory = tmp_path / "token-keys"
    for _ in range(2):
        result = alliance("users", "rotate-token-key", TOKEN_KEYS_DIR=str(directory), ALLIANCE_DATA_DIR=str(tmp_path))
        assert result.returncode == 0, result.stderr
    ring = load_token_keys(directory, LIFETIME)
    # The first key signs until the newer ones are KEY_ACTIVATION old.
    assert len(ring.keys) == 3 and ring.keys[-1].kid in result.stdout and ring.signing == ring.keys[0]
    assert "after 5 minutes" in result.stdout
    assert [key.kid for key in ring.keys] == sorted(key.kid for key in ring.keys)
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in directory.glob("*.pem"))
