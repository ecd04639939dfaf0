"""W3C Bitstring Status List v1.0: revocation and suspension bits.

A list is a bitstring of at least 131,072 entries (16 KiB, the spec's
minimum, so one holder's index does not single them out). Index 0 is the
left-most (most significant) bit of the first byte. ``encodedList`` is the
GZIP-compressed bitstring in base64url without padding, with the multibase
prefix ``u``.

A credential carries one ``BitstringStatusListEntry`` (the Open Badges 3.0
schema allows one): ``statusPurpose: "message"`` with ``statusSize: 2``, so
its two bits say active (0x0), suspended (0x1) or revoked (0x2) and the entry's
``statusMessage`` names each value. Bit ``2 * index`` is the revocation bit and
``2 * index + 1`` the suspension bit. Credentials issued before carry two
entries, ``revocation`` and ``suspension``, of one bit each; those lists are
still published. The issuer publishes one ``BitstringStatusListCredential`` per
list (see :func:`status_list_credential`), signed like any credential.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from datetime import datetime
from typing import Any

from certificates_svc.credential import VC_CONTEXT_V2
from services.clock import rfc3339

MESSAGE = "message"
# One-bit lists of the credentials issued before the message list.
LEGACY_PURPOSES = ("revocation", "suspension")
STATUS_PURPOSES = (MESSAGE, *LEGACY_PURPOSES)
MIN_LIST_SIZE = 131_072
STATUS_SIZE = 2
# The values of a message entry; 0x3 (both bits) cannot arise, and reads as revoked, which is final.
STATUS_MESSAGES = {0: "active", 1: "suspended", 2: "revoked", 3: "revoked"}
# Refuse to inflate more than this from an untrusted list (a 16 MiB bitstring
# holds 134 million entries).
MAX_DECODED_BYTES = 16 * 1024 * 1024


class BitstringStatusList:
    """A fixed-size bitstring of status flags."""

    def __init__(self, size: int = MIN_LIST_SIZE) -> None:
        """Create a list of ``size`` entries, all clear."""
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"size must be an integer, got {size!r}")
        if size < MIN_LIST_SIZE or size % 8:
            raise ValueError(f"size must be a multiple of 8 and at least {MIN_LIST_SIZE}, got {size}")
        self._bits = bytearray(size // 8)

    def __len__(self) -> int:
        """Return the number of entries."""
        return len(self._bits) * 8

    def _locate(self, index: int) -> tuple[int, int]:
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"status list index must be an integer, got {index!r}")
        if not 0 <= index < len(self):
            raise IndexError(f"status list index {index} is outside 0..{len(self) - 1}")
        return index // 8, 0x80 >> (index % 8)

    def get(self, index: int) -> bool:
        """Return whether the entry at ``index`` is set."""
        byte, mask = self._locate(index)
        return bool(self._bits[byte] & mask)

    def set(self, index: int, value: bool) -> None:
        """Set or clear the entry at ``index``."""
        byte, mask = self._locate(index)
        if value:
            self._bits[byte] |= mask
        else:
            self._bits[byte] &= ~mask & 0xFF

    def to_bytes(self) -> bytes:
        """Return the raw bitstring."""
        return bytes(self._bits)

    def encode(self) -> str:
        """Return the ``encodedList`` value: ``u`` + base64url(gzip(bits)), no padding."""
        # mtime=0 makes equal lists encode identically.
        compressed = gzip.compress(self.to_bytes(), mtime=0)
        return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, encoded: str) -> BitstringStatusList:
        """Parse an ``encodedList`` value."""
        if not isinstance(encoded, str) or not encoded.startswith("u"):
            raise ValueError("encodedList must be multibase base64url, starting with 'u'")
        body = encoded[1:]
        try:
            compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            bits = inflater.decompress(compressed, MAX_DECODED_BYTES)
        except (binascii.Error, zlib.error) as exc:
            raise ValueError(f"encodedList is not base64url-encoded GZIP data: {exc}") from None
        if inflater.unconsumed_tail:
            raise ValueError(f"encodedList inflates to more than {MAX_DECODED_BYTES} bytes")
        if not inflater.eof:
            raise ValueError("encodedList holds truncated GZIP data")
        if len(bits) * 8 < MIN_LIST_SIZE:
            raise ValueError(f"encodedList holds {len(bits) * 8} entries, fewer than {MIN_LIST_SIZE}")
        status_list = cls.__new__(cls)
        status_list._bits = bytearray(bits)
        return status_list


def _check_purpose(purpose: str) -> str:
    if purpose not in STATUS_PURPOSES:
        raise ValueError(f"status purpose must be one of {STATUS_PURPOSES}, got {purpose!r}")
    return purpose


def status_entry(list_url: str, index: int, purpose: str = MESSAGE) -> dict[str, Any]:
    """Return the ``BitstringStatusListEntry`` pointing at entry ``index`` of a list."""
    _check_purpose(purpose)
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"status list index must be a non-negative integer, got {index!r}")
    entry: dict[str, Any] = {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }
    if purpose == MESSAGE:
        entry["statusSize"] = STATUS_SIZE
        entry["statusMessage"] = [{"status": hex(value), "message": text} for value, text in STATUS_MESSAGES.items()]
    return entry


def message_list(revoked: list[int], suspended: list[int]) -> BitstringStatusList:
    """The two-bit message list of the entries whose revocation and suspension bits are set."""
    bits = BitstringStatusList(MIN_LIST_SIZE * STATUS_SIZE)
    for index in revoked:
        bits.set(index * STATUS_SIZE, True)
    for index in suspended:
        bits.set(index * STATUS_SIZE + 1, True)
    return bits


def status_message(entry: dict[str, Any], value: int) -> str:
    """What a status value means: the entry's own ``statusMessage``, else active/suspended/revoked."""
    for message in entry.get("statusMessage") or []:
        if isinstance(message, dict) and message.get("status") == hex(value):
            return str(message.get("message"))
    return STATUS_MESSAGES.get(value, hex(value))


def status_list_credential(
    list_id_url: str,
    issuer: dict[str, Any] | str,
    purpose: str,
    encoded_list: str | BitstringStatusList,
    valid_from: datetime,
    valid_until: datetime | None = None,
) -> dict[str, Any]:
    """Return an unsigned ``BitstringStatusListCredential`` publishing one list."""
    _check_purpose(purpose)
    if isinstance(encoded_list, BitstringStatusList):
        encoded_list = encoded_list.encode()
    else:
        BitstringStatusList.decode(encoded_list)
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT_V2],
        "id": list_id_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": rfc3339(valid_from, "seconds"),
    }
    if valid_until is not None:
        credential["validUntil"] = rfc3339(valid_until, "seconds")
    credential["credentialSubject"] = {
        "id": f"{list_id_url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": encoded_list,
    }
    return credential


def read_status(entry: dict[str, Any], list_credential: dict[str, Any]) -> int:
    """Return the status value (``statusSize`` bits) ``entry`` points at; raise ValueError if
    they do not belong together."""
    if entry.get("type") != "BitstringStatusListEntry":
        raise ValueError(f"unsupported credentialStatus type {entry.get('type')!r}")
    if entry.get("statusListCredential") != list_credential.get("id"):
        raise ValueError(
            f"status entry points at {entry.get('statusListCredential')!r}, not at {list_credential.get('id')!r}"
        )
    types = list_credential.get("type") or []
    if "BitstringStatusListCredential" not in types:
        raise ValueError("the status list is not a BitstringStatusListCredential")
    subject = list_credential.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("type") != "BitstringStatusList":
        raise ValueError("the status list credential has no BitstringStatusList subject")
    purposes = subject.get("statusPurpose")
    purposes = purposes if isinstance(purposes, list) else [purposes]
    if entry.get("statusPurpose") not in purposes:
        raise ValueError(
            f"status entry purpose {entry.get('statusPurpose')!r} does not match the "
            f"list's {subject.get('statusPurpose')!r}"
        )
    size = entry.get("statusSize", 1)
    if size not in (1, STATUS_SIZE):
        raise ValueError(f"statusSize must be 1 or {STATUS_SIZE}, got {size!r}")
    raw_index = entry.get("statusListIndex")
    if not isinstance(raw_index, str) or not raw_index.isascii() or not raw_index.isdigit():
        raise ValueError(f"statusListIndex must be a decimal string, got {raw_index!r}")
    bits = BitstringStatusList.decode(subject.get("encodedList"))
    first = int(raw_index) * size
    value = 0
    try:
        for position in range(first, first + size):
            value = (value << 1) | bits.get(position)
    except IndexError as exc:
        raise ValueError(str(exc)) from None
    return value
