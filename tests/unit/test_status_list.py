import base64
import gzip
from datetime import UTC, datetime

import pytest

from certificates_svc.status_list import (
    MIN_LIST_SIZE,
    BitstringStatusList,
    read_status,
    status_entry,
    status_list_credential,
)

LIST_URL = "https://alliance.example/api/v1/status-lists/revocation-1"
ISSUER = {"id": "did:web:alliance.example", "name": "Alliance"}
EDGE_INDEXES = (0, 7, 8, MIN_LIST_SIZE - 1)


def independent_decode(encoded: str) -> bytes:
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def independent_encode(raw: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(gzip.compress(raw)).decode().rstrip("=")


def test_a_new_list_has_at_least_the_spec_minimum_and_is_clear():
    bits = BitstringStatusList()

    assert len(bits) >= 131_072
    assert not any(bits.get(i) for i in EDGE_INDEXES)


def test_round_trip_keeps_exactly_the_bits_that_were_set():
    bits = BitstringStatusList()
    for index in EDGE_INDEXES:
        bits.set(index, True)

    decoded = BitstringStatusList.decode(bits.encode())

    assert len(decoded) == len(bits)
    for index in EDGE_INDEXES:
        assert decoded.get(index)
    for neighbour in (1, 6, 9, MIN_LIST_SIZE - 2):
        assert not decoded.get(neighbour)
    assert decoded.to_bytes() == bits.to_bytes()


def test_index_zero_is_the_left_most_bit_of_the_first_byte():
    bits = BitstringStatusList()
    bits.set(0, True)
    bits.set(15, True)

    raw = independent_decode(bits.encode())

    assert raw[0] == 0b1000_0000
    assert raw[1] == 0b0000_0001
    assert not any(raw[2:])


def test_lists_encoded_elsewhere_decode_with_the_same_bit_order():
    raw = bytearray(MIN_LIST_SIZE // 8)
    raw[1] = 0b0100_0000  # index 9
    raw[-1] = 0b0000_0001  # last index

    decoded = BitstringStatusList.decode(independent_encode(bytes(raw)))

    assert decoded.get(9)
    assert decoded.get(MIN_LIST_SIZE - 1)
    assert not decoded.get(8)
    assert not decoded.get(10)


def test_encoding_is_multibase_base64url_without_padding_and_deterministic():
    bits = BitstringStatusList()
    bits.set(12345, True)

    encoded = bits.encode()

    assert encoded.startswith("u")
    assert "=" not in encoded
    assert set(encoded[1:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert encoded == bits.encode()
    assert BitstringStatusList.decode(encoded).get(12345)


def test_a_bit_can_be_cleared_again():
    bits = BitstringStatusList()
    bits.set(8, True)
    bits.set(9, True)
    bits.set(8, False)

    assert not bits.get(8)
    assert bits.get(9)


@pytest.mark.parametrize("index", [-1, MIN_LIST_SIZE])
def test_indexes_outside_the_list_are_refused(index):
    bits = BitstringStatusList()

    with pytest.raises(IndexError):
        bits.get(index)
    with pytest.raises(IndexError):
        bits.set(index, True)


def test_non_integer_indexes_are_refused():
    with pytest.raises(TypeError):
        BitstringStatusList().get("3")


@pytest.mark.parametrize("size", [MIN_LIST_SIZE - 8, MIN_LIST_SIZE + 1])
def test_lists_below_the_minimum_or_not_whole_bytes_are_refused(size):
    with pytest.raises(ValueError):
        BitstringStatusList(size)


@pytest.mark.parametrize(
    "encoded",
    [
        "zabc",
        "u!!!",
        "u" + base64.urlsafe_b64encode(b"not gzip").decode(),
        independent_encode(bytes(16)),  # far below the minimum size
        independent_encode(bytes(MIN_LIST_SIZE // 8))[:-12],  # truncated
    ],
)
def test_malformed_encoded_lists_are_refused(encoded):
    with pytest.raises(ValueError):
        BitstringStatusList.decode(encoded)


def test_a_decompression_bomb_is_refused():
    with pytest.raises(ValueError, match="inflates"):
        BitstringStatusList.decode(independent_encode(bytes(32 * 1024 * 1024)))


def test_status_entry_points_at_one_index_of_one_list():
    entry = status_entry(LIST_URL, 4242, "revocation")

    assert entry == {
        "id": f"{LIST_URL}#4242",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "4242",
        "statusListCredential": LIST_URL,
    }


@pytest.mark.parametrize(("index", "purpose"), [(-1, "revocation"), (1, "refresh"), (True, "suspension")])
def test_status_entry_refuses_bad_input(index, purpose):
    with pytest.raises(ValueError):
        status_entry(LIST_URL, index, purpose)


def test_status_list_credential_has_the_spec_shape():
    bits = BitstringStatusList()
    bits.set(3, True)
    valid_from = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)

    credential = status_list_credential(LIST_URL, ISSUER, "suspension", bits.encode(), valid_from)

    assert "VerifiableCredential" in credential["type"]
    assert "BitstringStatusListCredential" in credential["type"]
    assert credential["id"] == LIST_URL
    assert credential["issuer"] == ISSUER
    assert credential["validFrom"] == "2026-05-01T08:00:00Z"
    subject = credential["credentialSubject"]
    assert subject["id"] == LIST_URL + "#list"
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "suspension"
    assert BitstringStatusList.decode(subject["encodedList"]).get(3)


def test_status_list_credential_accepts_a_list_object_and_refuses_bad_input():
    valid_from = datetime(2026, 5, 1, tzinfo=UTC)
    bits = BitstringStatusList()

    credential = status_list_credential(LIST_URL, ISSUER, "revocation", bits, valid_from)

    assert credential["credentialSubject"]["encodedList"] == bits.encode()
    with pytest.raises(ValueError):
        status_list_credential(LIST_URL, ISSUER, "other", bits, valid_from)
    with pytest.raises(ValueError):
        status_list_credential(LIST_URL, ISSUER, "revocation", "u-not-a-list", valid_from)
    with pytest.raises(ValueError):
        status_list_credential(LIST_URL, ISSUER, "revocation", bits, datetime(2026, 5, 1))


def test_read_status_reads_the_bit_of_a_matching_entry():
    bits = BitstringStatusList()
    bits.set(77, True)
    lst = status_list_credential(LIST_URL, ISSUER, "revocation", bits, datetime(2026, 5, 1, tzinfo=UTC))

    assert read_status(status_entry(LIST_URL, 77, "revocation"), lst)
    assert not read_status(status_entry(LIST_URL, 78, "revocation"), lst)


@pytest.mark.parametrize(
    "entry",
    [
        status_entry(LIST_URL, 1, "suspension"),
        status_entry(LIST_URL + "-other", 1, "revocation"),
        status_entry(LIST_URL, MIN_LIST_SIZE, "revocation"),
        {**status_entry(LIST_URL, 1, "revocation"), "statusListIndex": "1e3"},
        {**status_entry(LIST_URL, 1, "revocation"), "type": "StatusList2021Entry"},
    ],
)
def test_read_status_refuses_entries_that_do_not_fit_the_list(entry):
    lst = status_list_credential(
        LIST_URL, ISSUER, "revocation", BitstringStatusList(), datetime(2026, 5, 1, tzinfo=UTC)
    )

    with pytest.raises(ValueError):
        read_status(entry, lst)
