"""People's identifiers, shared by every service: the resident ID number, keyed hashing and masking.

Pure functions, no I/O. Messages never repeat an ID number: it is personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
import uuid
from datetime import date

from services.clock import alliance_today
from services.errors import InvalidInput

# GB 11643-1999 weights 2^(17-i) mod 11 and the ISO 7064 MOD 11-2 check characters.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
#: 18 characters that could be an ID number, standing on their own inside a longer text.
NATIONAL_ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
#: The province-level codes of GB/T 2260 an address code starts with (83: Taiwan residents' permits).
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
EARLIEST_BIRTH_YEAR = 1900


def _invalid_national_id(reason: str) -> InvalidInput:
    return InvalidInput("invalid national ID number", {"national_id": [reason]})


def check_character(body: str) -> str:
    """The check character of the first 17 digits of an ID number."""
    return _ID_CHECK_CHARS[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def has_valid_check_character(candidate: str) -> bool:
    """Whether 18 characters (17 digits, then a digit or X) end in their own check character."""
    return check_character(candidate[:17]) == candidate[17].upper()


def contains_national_id(text: str) -> bool:
    """Whether ``text`` holds an 18-character run with a valid check character."""
    return any(has_valid_check_character(match) for match in NATIONAL_ID_PATTERN.findall(text))


def normalise_national_id(value: str, today: date | None = None) -> str:
    """The 18-character resident ID number in canonical form (upper-case X), or InvalidInput.

    Besides its shape and check character, the address code must name a province and
    the birth date must be a real day between 1900 and ``today`` (the alliance's date by default).
    """
    if not isinstance(value, str):
        raise _invalid_national_id("must be a string")
    candidate = value.strip().upper()
    if len(candidate) != 18:
        raise _invalid_national_id("must be 18 characters")
    body, check = candidate[:17], candidate[17]
    if not (body.isascii() and body.isdigit()) or not (check == "X" or (check.isascii() and check.isdigit())):
        raise _invalid_national_id("must be 17 digits followed by a digit or X")
    if body[:2] not in PROVINCE_CODES:
        raise _invalid_national_id("address code (characters 1-6) does not name a province")
    try:
        born = date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        raise _invalid_national_id("birth date (characters 7-14) is not a real date") from None
    if born > (today or alliance_today()):
        raise _invalid_national_id("birth date (characters 7-14) is in the future")
    if born.year < EARLIEST_BIRTH_YEAR:
        raise _invalid_national_id(f"birth date (characters 7-14) is before {EARLIEST_BIRTH_YEAR}")
    if check != check_character(body):
        raise _invalid_national_id("check digit does not match")
    return candidate


def national_id_digest(national_id: str, key: bytes) -> str:
    """The keyed hash a national ID number is stored as: ``hmac-sha256$`` + hex HMAC-SHA256.

    A plain or salted SHA-256 of an 18-digit number with a known structure falls to
    a few hundred thousand guesses; without the deployment's key no guess can be checked.
    The same number always gives the same digest under one key, so a repeat is detectable.
    """
    if len(key) < 32:
        raise ValueError("the identity key must hold at least 32 bytes")
    digest = hmac.new(key, normalise_national_id(national_id).encode("ascii"), hashlib.sha256).hexdigest()
    return "hmac-sha256$" + digest


def new_subject_id() -> str:
    """A random ``urn:uuid:`` for one person, never derived from anything known about them."""
    return f"urn:uuid:{uuid.uuid4()}"


def normalise_name(name: str) -> str:
    """A name as it is compared: Unicode NFC, single spaces, no outer spaces."""
    return " ".join(unicodedata.normalize("NFC", name).split())


def mask_identifier(value: str) -> str:
    """Keep the first 4 and last 4 characters and mask the middle; mask short values entirely."""
    # With 8 characters or fewer, keeping 4 + 4 would reveal the whole value.
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\U00020000" <= char <= "\U0003134f"


def mask_name(name: str) -> str:
    """Mask a holder's name for public display.

    A name written without spaces in Chinese characters keeps its first and,
    from three characters on, its last character (张三丰 → 张*丰, 欧阳娜娜 →
    欧**娜, 李四 → 李*). Any other name keeps the first letter of each
    space-separated word ("Wang Lei" → "W*** L**").
    """
    words = name.split()
    if len(words) == 1 and any(_is_cjk(c) for c in words[0]):
        word = words[0]
        if len(word) == 1:
            return "*"
        if len(word) == 2:
            return word[0] + "*"
        return word[0] + "*" * (len(word) - 2) + word[-1]
    return " ".join(word[0] + "*" * (len(word) - 1) for word in words)


#: Every 18 characters that could be an ID number inside a run of digits bounded by non-digits,
#: letters included: a student number is commonly "G" followed by the holder's ID number.
_RUN_INTO_TEXT_PATTERN = re.compile(r"(?<![0-9])(?=([0-9]{17}[0-9Xx])(?![0-9]))")


def _looks_like_national_id(candidate: str) -> bool:
    # A mistyped check character still leaves someone's ID number, so only the
    # province digit and the birth date decide.
    try:
        born = date(int(candidate[6:10]), int(candidate[10:12]), int(candidate[12:14]))
    except ValueError:
        return False
    return candidate[0] in "12345678" and born.year >= 1900


def holds_national_id(text: str) -> bool:
    """Whether ``text`` carries something shaped like an ID number (province, birth date), even run into letters."""
    return any(_looks_like_national_id(match) for match in _RUN_INTO_TEXT_PATTERN.findall(text))


def mask_national_ids(text: str) -> str:
    """``text`` with every ID number in it masked as :func:`mask_identifier` masks it."""
    for match in set(_RUN_INTO_TEXT_PATTERN.findall(text)):
        if _looks_like_national_id(match):
            text = text.replace(match, mask_identifier(match))
    return text
