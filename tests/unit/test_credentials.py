import copy
import hashlib
import json
import stat
from datetime import UTC, datetime, timedelta

import base58
import pytest
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from certificates_svc.credential import build_credential
from certificates_svc.keys import (
    KeyResolutionError,
    SigningKey,
    did_document,
    jwks,
    load_or_create_keys,
    public_key_bytes,
    public_key_from_multibase,
    public_key_multibase,
    resolve_verification_method,
)
from certificates_svc.numbers import SKILL_LEVELS, format_skill_level_number
from certificates_svc.proof import sign_document
from certificates_svc.status_list import (
    BitstringStatusList,
    message_list,
    read_status,
    status_entry,
    status_list_credential,
)
from certificates_svc.verification import verify_credential
from services.identity import new_subject_id

DID = "did:web:alliance.example"
ISSUER = {"id": DID, "name": "成渝教研联盟 / Chengdu–Chongqing teaching research alliance"}
NATIONAL_ID = "11010519491231002X"  # the standard's published sample, check digit valid
ISSUED = datetime(2026, 6, 30, 9, 30, tzinfo=UTC)
NOW = datetime(2027, 1, 15, tzinfo=UTC)
REVOCATION_URL = "https://alliance.example/api/v1/status-lists/revocation-1"
SUSPENSION_URL = "https://alliance.example/api/v1/status-lists/suspension-1"
MESSAGE_URL = "https://alliance.example/api/v1/status-lists/message-1"


@pytest.fixture
def key_dir(tmp_path):
    return tmp_path / "keys"


@pytest.fixture
def keyring(key_dir):
    return load_or_create_keys(key_dir, now=ISSUED - timedelta(days=30))


SUBJECT_ID = "urn:uuid:3c1e9f20-5b7d-4a8e-9f61-2d0c4b8a7e15"


def holder(subject_id=SUBJECT_ID):
    return {"id": subject_id}


def skill_credential(valid_until=ISSUED + timedelta(days=3 * 365), status=None, title=None):
    return build_credential(
        credential_id="urn:uuid:7f9c2b1e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
        issuer=ISSUER,
        holder=holder(),
        achievement={
            "kind": "skill_level",
            "name": title or "网络与信息安全管理员 职业技能等级证书",
            "occupation": "网络与信息安全管理员",
            "work_type": "网络安全管理员",
            "level": 4,
        },
        number=format_skill_level_number("S", "5001", "50", "000123", 2026, 4, 42),
        valid_from=ISSUED,
        valid_until=valid_until,
        status=status,
    )


def sign(credential, key, created=ISSUED):
    return sign_document(credential, key, f"{DID}#{key.key_id}", created)


def signed_status_list(keyring, url, purpose, bits):
    unsigned = status_list_credential(url, ISSUER, purpose, bits.encode(), ISSUED)
    return sign(unsigned, keyring.current)


def string_leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from string_leaves(value, (*path, key))
    elif isinstance(node, list):
        for position, value in enumerate(node):
            yield from string_leaves(value, (*path, position))
    elif isinstance(node, str):
        yield path


def with_one_char_changed(document, path, position=-1):
    changed = copy.deepcopy(document)
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    text = parent[path[-1]]
    old = text[position]
    new = "2" if old != "2" else "3"  # both are base58 digits too
    index = position % len(text)
    parent[path[-1]] = text[:index] + new + text[index + 1 :]
    return changed


def independent_verify(credential, did_doc):
    """The eddsa-jcs-2022 check written straight from the spec, not via the module."""
    (proof,) = credential["proof"]
    method = next(m for m in did_doc["verificationMethod"] if m["id"] == proof["verificationMethod"])
    multikey = base58.b58decode(method["publicKeyMultibase"][1:])
    assert multikey[:2] == b"\xed\x01"
    public_key = Ed25519PublicKey.from_public_bytes(multikey[2:])
    document = {k: v for k, v in credential.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    assert options["@context"] == document["@context"]
    hash_data = hashlib.sha256(rfc8785.dumps(options)).digest() + hashlib.sha256(rfc8785.dumps(document)).digest()
    public_key.verify(base58.b58decode(proof["proofValue"][1:]), hash_data)


# --- building -------------------------------------------------------------


def test_credential_is_an_open_badge_vc_2_with_utc_dates():
    credential = skill_credential()

    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert any("imsglobal.org/spec/ob/v3p0" in c for c in credential["@context"])
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["id"] == DID
    assert credential["validFrom"] == "2026-06-30T09:30:00Z"
    assert credential["validUntil"].endswith("Z")
    subject = credential["credentialSubject"]
    assert "AchievementSubject" in subject["type"]
    assert subject["licenseNumber"].startswith("S")
    achievement = subject["achievement"]
    assert "Achievement" in achievement["type"]
    assert achievement["achievementType"] == "Certification"
    assert achievement["fieldOfStudy"] == "网络与信息安全管理员"
    assert achievement["specialization"] == "网络安全管理员"
    assert achievement["criteria"]["narrative"]
    assert achievement["description"]
    (levels,) = achievement["resultDescription"]
    assert levels["resultType"] == "RubricCriterionLevel"
    by_id = {level["id"]: level for level in levels["rubricCriterionLevel"]}
    (result,) = subject["result"]
    assert result["resultDescription"] == levels["id"]
    assert by_id[result["achievedLevel"]]["level"] == "4"
    assert by_id[result["achievedLevel"]]["name"] == SKILL_LEVELS[4].zh
    assert by_id[result["achievedLevel"]]["description"] == SKILL_LEVELS[4].en
    # Only terms the VC 2.0 and Open Badges 3.0 contexts define (no @vocab fallback).
    text = json.dumps(credential)
    for undefined in ("certificateKind", "occupation", "levelName", "workType"):
        assert undefined not in text
    assert "level" not in achievement


def test_the_holder_is_bound_by_a_random_subject_id_alone():
    credential = skill_credential()
    subject = credential["credentialSubject"]

    assert subject["id"] == SUBJECT_ID
    assert "identifier" not in subject
    serialised = json.dumps(credential, ensure_ascii=False)
    assert "identityHash" not in serialised and "salt" not in serialised


def test_subject_ids_are_random_uuids():
    first, second = new_subject_id(), new_subject_id()

    assert first != second
    assert first.startswith("urn:uuid:") and len(first) == len("urn:uuid:") + 36


@pytest.mark.parametrize("bad", [None, "", "sha256$" + "0" * 64, "did:example:123", "urn:uuid:not-a-uuid"])
def test_a_holder_without_a_subject_id_is_refused(bad):
    with pytest.raises(ValueError, match="subject id"):
        build_credential(
            credential_id="urn:uuid:1",
            issuer=ISSUER,
            holder={"id": bad},
            achievement={"kind": "participation", "name": "Open day"},
            number="PA-2026-000001",
            valid_from=ISSUED,
        )


def test_offline_verification_passes_without_any_name(keyring):
    signed = sign(skill_credential(), keyring.current)

    result = verify_credential(signed, did_document(DID, keyring), now=NOW)

    assert result.valid and result.status == "active"


def test_a_national_id_number_is_refused_anywhere_in_the_credential():
    with pytest.raises(ValueError, match="national ID"):
        skill_credential(title=f"证书 {NATIONAL_ID}")


@pytest.mark.parametrize(
    ("achievement", "message"),
    [
        ({"kind": "skill_level", "name": "x", "occupation": "电工", "level": 6}, "level"),
        ({"kind": "skill_level", "name": "x", "level": 3}, "occupation"),
        ({"kind": "diploma", "name": "x"}, "kind"),
        ({"kind": "participation"}, "name"),
        ({"kind": "participation", "name": "x", "colour": "red"}, "colour"),
    ],
)
def test_bad_achievements_are_refused(achievement, message):
    with pytest.raises(ValueError, match=message):
        build_credential(
            credential_id="urn:uuid:1",
            issuer=ISSUER,
            holder=holder(),
            achievement=achievement,
            number="PA-2026-000001",
            valid_from=ISSUED,
        )


def test_dates_must_be_aware_and_in_order():
    with pytest.raises(ValueError, match="valid_until"):
        skill_credential(valid_until=ISSUED - timedelta(days=1))
    with pytest.raises(ValueError, match="timezone"):
        skill_credential(valid_until=datetime(2030, 1, 1))


def test_the_same_achievement_gets_the_same_id_and_other_kinds_build_too():
    first = skill_credential()["credentialSubject"]["achievement"]["id"]
    second = skill_credential()["credentialSubject"]["achievement"]["id"]
    award = build_credential(
        credential_id="urn:uuid:2",
        issuer=ISSUER,
        holder=holder(),
        achievement={"kind": "competition_award", "title": "网络搭建与应用 团体一等奖"},
        number="CA-2026-000001",
        valid_from=ISSUED,
    )

    assert first == second
    assert award["credentialSubject"]["achievement"]["id"] != first
    assert award["name"] == "网络搭建与应用 团体一等奖"
    assert "validUntil" not in award


# --- signing and verifying ------------------------------------------------


def test_a_signed_credential_verifies(keyring):
    signed = sign(skill_credential(), keyring.current)

    result = verify_credential(signed, did_document(DID, keyring), now=NOW)

    assert result.valid, result.problems
    assert result.status == "active"
    assert result.problems == []
    (proof,) = signed["proof"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"] == f"{DID}#{keyring.current.key_id}"
    assert proof["created"] == "2026-06-30T09:30:00Z"
    assert proof["proofValue"].startswith("z")


def test_signing_leaves_the_input_alone_and_refuses_to_sign_twice(keyring):
    credential = skill_credential()
    before = copy.deepcopy(credential)

    signed = sign(credential, keyring.current)

    assert credential == before
    with pytest.raises(ValueError, match="proof"):
        sign(signed, keyring.current)


def test_an_independent_implementation_accepts_the_proof(keyring):
    signed = sign(skill_credential(), keyring.current)

    independent_verify(signed, did_document(DID, keyring))


def test_an_independent_implementation_rejects_a_changed_holder(keyring):
    signed = sign(skill_credential(), keyring.current)
    signed["credentialSubject"]["id"] = new_subject_id()

    with pytest.raises(InvalidSignature):
        independent_verify(signed, did_document(DID, keyring))


def test_changing_one_character_of_the_holder_fails_with_a_reason(keyring):
    signed = with_one_char_changed(sign(skill_credential(), keyring.current), ("credentialSubject", "id"))

    result = verify_credential(signed, did_document(DID, keyring), now=NOW)

    assert not result.valid
    assert result.status == "invalid_signature"
    assert any("altered" in p for p in result.problems)


@pytest.mark.parametrize("position", [0, 1, 30, -2, -1])
def test_changing_one_character_of_the_proof_value_fails_with_a_reason(keyring, position):
    signed = sign(skill_credential(), keyring.current)
    tampered = with_one_char_changed(signed, ("proof", 0, "proofValue"), position)

    result = verify_credential(tampered, did_document(DID, keyring), now=NOW)

    assert not result.valid
    assert result.status == "invalid_signature"
    assert result.problems


def test_changing_one_character_of_any_string_anywhere_fails(keyring):
    signed = sign(skill_credential(status=status_entry(REVOCATION_URL, 5, "revocation")), keyring.current)
    did_doc = did_document(DID, keyring)
    paths = list(string_leaves(signed))
    assert len(paths) > 30

    survivors = [
        path for path in paths if verify_credential(with_one_char_changed(signed, path), did_doc, now=NOW).valid
    ]

    assert survivors == []


def test_changing_a_number_or_flag_fails(keyring):
    signed = sign(skill_credential(), keyring.current)
    did_doc = did_document(DID, keyring)
    level_changed = copy.deepcopy(signed)
    level_changed["credentialSubject"]["result"][0]["achievedLevel"] = level_changed["credentialSubject"]["result"][0][
        "achievedLevel"
    ].replace("level-4", "level-3")

    assert verify_credential(level_changed, did_doc, now=NOW).status == "invalid_signature"


def test_adding_or_removing_a_field_fails(keyring):
    signed = sign(skill_credential(), keyring.current)
    did_doc = did_document(DID, keyring)
    added = {**signed, "description": "extra"}
    removed = {k: v for k, v in signed.items() if k != "validUntil"}

    assert not verify_credential(added, did_doc, now=NOW).valid
    assert not verify_credential(removed, did_doc, now=NOW).valid


def test_key_order_and_a_storage_round_trip_do_not_matter(keyring):
    signed = sign(skill_credential(), keyring.current)
    reordered = json.loads(json.dumps(dict(reversed(list(signed.items()))), ensure_ascii=True))

    assert verify_credential(reordered, did_document(DID, keyring), now=NOW).valid


def test_an_unsigned_credential_or_a_foreign_issuer_is_not_valid(keyring):
    did_doc = did_document(DID, keyring)
    unsigned = skill_credential()
    foreign = skill_credential()
    foreign["issuer"] = {**foreign["issuer"], "id": "did:web:elsewhere.example"}

    assert verify_credential(unsigned, did_doc, now=NOW).status == "invalid_signature"
    result = verify_credential(sign(foreign, keyring.current), did_doc, now=NOW)
    assert not result.valid
    assert any("issuer" in p for p in result.problems)


def test_a_key_outside_the_did_document_is_not_trusted(keyring, tmp_path):
    stranger = load_or_create_keys(tmp_path / "stranger").current
    signed = sign(skill_credential(), stranger)

    result = verify_credential(signed, did_document(DID, keyring), now=NOW)

    assert not result.valid
    assert any("signing key" in p for p in result.problems)


# --- validity period and status -------------------------------------------


def test_past_valid_until_is_expired_and_before_valid_from_is_not_yet_valid(keyring):
    signed = sign(skill_credential(valid_until=ISSUED + timedelta(days=30)), keyring.current)
    did_doc = did_document(DID, keyring)

    expired = verify_credential(signed, did_doc, now=ISSUED + timedelta(days=31))
    early = verify_credential(signed, did_doc, now=ISSUED - timedelta(seconds=1))
    inside = verify_credential(signed, did_doc, now=ISSUED + timedelta(days=29))

    assert (expired.valid, expired.status) == (False, "expired")
    assert any("expired" in p for p in expired.problems)
    assert (early.valid, early.status) == (False, "not_yet_valid")
    assert inside.valid


def test_without_valid_until_a_credential_does_not_expire(keyring):
    signed = sign(skill_credential(valid_until=None), keyring.current)

    result = verify_credential(signed, did_document(DID, keyring), now=NOW + timedelta(days=9999))

    assert result.valid


def test_one_message_entry_reports_active_suspended_and_revoked(keyring):
    index = 1234
    entry = status_entry(MESSAGE_URL, index)
    signed = sign(skill_credential(status=entry), keyring.current)
    did_doc = did_document(DID, keyring)

    def verify(revoked, suspended):
        bits = message_list([index] if revoked else [], [index] if suspended else [])
        return verify_credential(signed, did_doc, signed_status_list(keyring, MESSAGE_URL, "message", bits), now=NOW)

    active, suspended, revoked = verify(False, False), verify(False, True), verify(True, False)

    assert entry["statusSize"] == 2
    assert [m["message"] for m in entry["statusMessage"]] == ["active", "suspended", "revoked", "revoked"]
    assert (active.valid, active.status, active.warnings) == (True, "active", [])
    assert (revoked.valid, revoked.status) == (False, "revoked")
    assert any("revoked" in p for p in revoked.problems)
    assert (suspended.valid, suspended.status) == (False, "suspended")
    assert any("suspended" in p for p in suspended.problems)


def test_the_message_list_puts_revocation_and_suspension_in_the_entry_s_two_bits():
    bits = message_list([0, 7], [7, 9])
    entry = status_entry(MESSAGE_URL, 7)
    listing = status_list_credential(MESSAGE_URL, ISSUER, "message", bits, ISSUED)

    assert len(bits) == 2 * 131_072
    assert [bits.get(position) for position in range(0, 4)] == [True, False, False, False]
    assert [bits.get(position) for position in (14, 15, 18, 19)] == [True, True, False, True]
    assert read_status(entry, listing) == 3
    assert read_status(status_entry(MESSAGE_URL, 9), listing) == 1
    assert read_status(status_entry(MESSAGE_URL, 0), listing) == 2


def test_credentials_with_the_earlier_two_entries_still_report_revoked_and_suspended(keyring):
    index = 1234
    credential = skill_credential()
    credential["credentialStatus"] = [
        status_entry(REVOCATION_URL, index, "revocation"),
        status_entry(SUSPENSION_URL, index, "suspension"),
    ]
    signed = sign(credential, keyring.current)
    did_doc = did_document(DID, keyring)
    clear = BitstringStatusList()
    marked = BitstringStatusList()
    marked.set(index, True)

    def verify(revocation_bits, suspension_bits):
        lists = [
            signed_status_list(keyring, REVOCATION_URL, "revocation", revocation_bits),
            signed_status_list(keyring, SUSPENSION_URL, "suspension", suspension_bits),
        ]
        return verify_credential(signed, did_doc, lists, now=NOW)

    assert verify(clear, clear).status == "active"
    assert verify(marked, clear).status == "revoked"
    assert verify(clear, marked).status == "suspended"


def test_a_signed_credential_has_one_status_entry_and_one_proof(keyring):
    signed = sign(skill_credential(status=status_entry(MESSAGE_URL, 1)), keyring.current)

    assert isinstance(signed["credentialStatus"], dict)
    assert isinstance(signed["proof"], list) and len(signed["proof"]) == 1
    with pytest.raises(ValueError, match="one status entry"):
        skill_credential(status=[status_entry(MESSAGE_URL, 1), status_entry(MESSAGE_URL, 2)])


def test_revocation_outranks_expiry(keyring):
    bits = BitstringStatusList()
    bits.set(9, True)
    credential = skill_credential(
        valid_until=ISSUED + timedelta(days=1), status=status_entry(REVOCATION_URL, 9, "revocation")
    )
    signed = sign(credential, keyring.current)
    lst = signed_status_list(keyring, REVOCATION_URL, "revocation", bits)

    result = verify_credential(signed, did_document(DID, keyring), lst, now=NOW)

    assert result.status == "revoked"
    assert len(result.problems) == 2


def test_a_tampered_status_list_is_not_trusted(keyring):
    signed = sign(skill_credential(status=status_entry(REVOCATION_URL, 3, "revocation")), keyring.current)
    lst = signed_status_list(keyring, REVOCATION_URL, "revocation", BitstringStatusList())
    forged_bits = BitstringStatusList()
    forged_bits.set(100, True)
    lst["credentialSubject"]["encodedList"] = forged_bits.encode()

    result = verify_credential(signed, did_document(DID, keyring), lst, now=NOW)

    assert not result.valid
    assert result.status == "status_unverifiable"
    assert any("status list" in p for p in result.problems)


def test_an_unmatched_status_list_leaves_a_warning(keyring):
    signed = sign(skill_credential(status=status_entry(REVOCATION_URL, 3, "revocation")), keyring.current)

    result = verify_credential(signed, did_document(DID, keyring), now=NOW)

    assert result.valid
    assert any(REVOCATION_URL in w for w in result.warnings)


# --- keys -----------------------------------------------------------------


def test_keys_are_private_files_and_reloading_finds_the_same_key(key_dir, keyring):
    files = list(key_dir.glob("*.pem"))

    assert [f.stem for f in files] == [keyring.current.key_id]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(key_dir.stat().st_mode) == 0o700
    again = load_or_create_keys(key_dir)
    assert len(again.keys) == 1
    assert public_key_bytes(again.current.public_key) == public_key_bytes(keyring.current.public_key)


def test_rotation_keeps_old_credentials_valid_and_signs_new_ones_with_the_new_key(key_dir, keyring):
    old_key = keyring.current
    old_signed = sign(skill_credential(), old_key)

    new_key = keyring.rotate(key_dir)
    new_signed = sign(skill_credential(), keyring.current)
    reloaded = load_or_create_keys(key_dir)
    did_doc = did_document(DID, reloaded)

    assert keyring.current is new_key
    assert new_key.key_id != old_key.key_id
    assert reloaded.current.key_id == new_key.key_id
    assert [k.key_id for k in reloaded.keys] == [old_key.key_id, new_key.key_id]
    assert new_signed["proof"][0]["verificationMethod"].endswith("#" + new_key.key_id)
    assert verify_credential(old_signed, did_doc, now=NOW).valid
    assert verify_credential(new_signed, did_doc, now=NOW).valid
    independent_verify(old_signed, did_doc)
    independent_verify(new_signed, did_doc)
    assert did_doc["assertionMethod"] == [m["id"] for m in did_doc["verificationMethod"]]


def test_rotation_orders_keys_even_when_the_clock_goes_back(key_dir, keyring):
    first = keyring.current
    second = keyring.rotate(key_dir, now=ISSUED - timedelta(days=365))
    third = keyring.rotate(key_dir, now=ISSUED - timedelta(days=365))

    assert first.key_id < second.key_id < third.key_id
    assert load_or_create_keys(key_dir).current.key_id == third.key_id


def test_a_credential_from_a_retired_key_fails_once_the_key_is_unpublished(key_dir, keyring):
    old_signed = sign(skill_credential(), keyring.current)
    keyring.rotate(key_dir)
    doc = did_document(DID, keyring)
    doc["verificationMethod"] = doc["verificationMethod"][1:]
    doc["assertionMethod"] = doc["assertionMethod"][1:]

    assert not verify_credential(old_signed, doc, now=NOW).valid


def test_a_stray_pem_file_is_refused_rather_than_used(key_dir, keyring):
    (key_dir / "zz-imported.pem").write_bytes((key_dir / f"{keyring.current.key_id}.pem").read_bytes())

    with pytest.raises(ValueError, match="zz-imported"):
        load_or_create_keys(key_dir)


def test_multikey_encoding_round_trips_and_has_the_ed25519_header():
    public_key = Ed25519PrivateKey.generate().public_key()

    encoded = public_key_multibase(public_key)
    raw = base58.b58decode(encoded[1:])

    assert encoded.startswith("z")
    assert raw == b"\xed\x01" + public_key_bytes(public_key)
    assert public_key_bytes(public_key_from_multibase(encoded)) == public_key_bytes(public_key)
    with pytest.raises(KeyResolutionError):
        public_key_from_multibase("z" + base58.b58encode(b"\x80\x26" + bytes(32)).decode())


def test_did_document_and_jwks_publish_every_key(key_dir, keyring):
    keyring.rotate(key_dir)

    doc = did_document(DID, keyring)
    key_set = jwks(keyring)

    assert doc["id"] == DID
    assert "https://www.w3.org/ns/did/v1" in doc["@context"]
    assert {m["type"] for m in doc["verificationMethod"]} == {"Multikey"}
    assert {m["controller"] for m in doc["verificationMethod"]} == {DID}
    assert [k["kid"] for k in key_set["keys"]] == [k.key_id for k in keyring.keys]
    for key in keyring.keys:
        resolved = resolve_verification_method(doc, f"{DID}#{key.key_id}")
        assert public_key_bytes(resolved) == public_key_bytes(key.public_key)


def test_resolution_refuses_unknown_or_unauthorised_methods(keyring):
    doc = did_document(DID, keyring)
    vm_id = doc["assertionMethod"][0]

    with pytest.raises(KeyResolutionError):
        resolve_verification_method(doc, f"{DID}#missing")
    with pytest.raises(KeyResolutionError):
        resolve_verification_method({**doc, "assertionMethod": []}, vm_id)
    with pytest.raises(KeyResolutionError):
        resolve_verification_method(doc, vm_id.replace(DID, "did:web:elsewhere.example"))


# --- interoperability with the W3C vc-di-eddsa test vector -----------------

W3C_SECRET_KEY = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
W3C_PUBLIC_KEY = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
W3C_ISSUER = "https://vc.example/issuers/5678"
W3C_UNSIGNED = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": W3C_ISSUER,
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
W3C_PROOF_VALUE = "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4"


def test_signing_the_w3c_test_vector_reproduces_its_proof_and_it_verifies():
    secret = base58.b58decode(W3C_SECRET_KEY[1:])
    key = SigningKey("w3c", Ed25519PrivateKey.from_private_bytes(secret[2:]))
    vm_id = f"{W3C_ISSUER}#{W3C_PUBLIC_KEY}"
    controller = {
        "id": W3C_ISSUER,
        "verificationMethod": [
            {
                "id": vm_id,
                "type": "Multikey",
                "controller": W3C_ISSUER,
                "publicKeyMultibase": W3C_PUBLIC_KEY,
            }
        ],
        "assertionMethod": [vm_id],
    }

    signed = sign_document(W3C_UNSIGNED, key, vm_id, datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC))

    assert public_key_multibase(key.public_key) == W3C_PUBLIC_KEY
    assert signed["proof"][0]["proofValue"] == W3C_PROOF_VALUE
    assert verify_credential(signed, controller, now=NOW).valid
