"""Certificate numbers: formats, parsing and serial-counter keys.

Skill-level certificates (职业技能等级证书) use the national 22-character
format ``^[YS]\\d{21}$``::

    S 5001 50 000123 26 3 000042
    │ │    │  │      │  │ └ serial, 000001..999999
    │ │    │  │      │  └── level, 1..5 (5 = 五级/初级工 … 1 = 一级/高级技师)
    │ │    │  │      └───── year of issue, last two digits
    │ │    │  └──────────── assessment site serial, 6 digits
    │ │    └─────────────── province code, 2 digits (e.g. 50 Chongqing, 51 Sichuan)
    │ └──────────────────── evaluation organisation code, 4 digits
    └────────────────────── Y = employer, S = social evaluation organisation

Every other kind uses ``<PREFIX>-<YYYY>-<serial>``: a two-letter prefix per
kind, the four-digit year of issue and the serial zero-padded to at least six
digits (it simply grows past 999999, so these never run out)::

    competition_award    CA-2026-000123
    training_completion  TC-2026-000123
    participation        PA-2026-000123

Numbers are never reused: a serial comes from an atomic counter stored under
the key returned by :func:`counter_key` or :func:`skill_level_counter_key`,
e.g. ``find_one_and_update({"_id": key}, {"$inc": {"value": 1}},
upsert=True, return_document=AFTER)``. The skill-level counter key covers
exactly the 16 characters in front of the serial, so two numbers can only
collide if the counter hands out the same value twice.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, NamedTuple

CERTIFICATE_KINDS = (
    "skill_level",
    "competition_award",
    "training_completion",
    "participation",
)

EVALUATOR_TYPES = {
    "Y": "employer",
    "S": "social_evaluation_organisation",
}


class SkillLevel(NamedTuple):
    """The names of one vocational skill level."""

    zh: str
    en: str


SKILL_LEVELS: dict[int, SkillLevel] = {
    5: SkillLevel("五级/初级工", "Level 5 / junior worker"),
    4: SkillLevel("四级/中级工", "Level 4 / intermediate worker"),
    3: SkillLevel("三级/高级工", "Level 3 / senior worker"),
    2: SkillLevel("二级/技师", "Level 2 / technician"),
    1: SkillLevel("一级/高级技师", "Level 1 / senior technician"),
}


def level_name(level: int | None) -> dict[str, str] | None:
    """The Chinese and English names of a skill level (``{"zh", "en"}``); None without a level."""
    names = SKILL_LEVELS.get(level) if isinstance(level, int) and not isinstance(level, bool) else None
    return names._asdict() if names is not None else None


# The design's pattern, for schemas and documents (ECMAScript and JSON Schema
# read \d as ASCII digits).
SKILL_LEVEL_NUMBER_PATTERN = r"^[YS]\d{21}$"
# Python's \d also matches non-ASCII digits and $ matches before a trailing
# newline, so the compiled form is spelled out to be safe with match().
SKILL_LEVEL_NUMBER_RE = re.compile(r"\A[YS][0-9]{21}\Z")

CERTIFICATE_NUMBER_PREFIXES = {
    "competition_award": "CA",
    "training_completion": "TC",
    "participation": "PA",
}
CERTIFICATE_NUMBER_RE = re.compile(r"\A(CA|TC|PA)-([0-9]{4})-([0-9]{6,})\Z")

SERIAL_MAX_SKILL_LEVEL = 999_999
MIN_YEAR_SKILL_LEVEL = 2000
MAX_YEAR_SKILL_LEVEL = 2099

_KIND_BY_PREFIX = {prefix: kind for kind, prefix in CERTIFICATE_NUMBER_PREFIXES.items()}


def _require_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    # bool is an int subclass; True must not pass as level 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be {bounds}, got {value}")
    return value


def _require_digits(name: str, value: Any, width: int) -> str:
    if not isinstance(value, str) or not re.fullmatch(f"[0-9]{{{width}}}", value):
        raise ValueError(f"{name} must be exactly {width} ASCII digits, got {value!r}")
    return value


def _evaluator_letter(evaluator_type: Any) -> str:
    if evaluator_type in EVALUATOR_TYPES:
        return evaluator_type
    for letter, name in EVALUATOR_TYPES.items():
        if evaluator_type == name:
            return letter
    raise ValueError(
        f"evaluator_type must be 'Y' (employer) or 'S' (social evaluation organisation), got {evaluator_type!r}"
    )


def _skill_level_prefix(
    evaluator_type: str,
    org_code: str,
    province: str,
    site_serial: str,
    year: int,
    level: int,
) -> str:
    letter = _evaluator_letter(evaluator_type)
    _require_digits("org_code", org_code, 4)
    _require_digits("province", province, 2)
    _require_digits("site_serial", site_serial, 6)
    _require_int("year", year, MIN_YEAR_SKILL_LEVEL, MAX_YEAR_SKILL_LEVEL)
    _require_int("level", level, 1, 5)
    return f"{letter}{org_code}{province}{site_serial}{year % 100:02d}{level}"


def format_skill_level_number(
    evaluator_type: str,
    org_code: str,
    province: str,
    site_serial: str,
    year: int,
    level: int,
    serial: int,
) -> str:
    """Return the 22-character national skill-level certificate number."""
    prefix = _skill_level_prefix(evaluator_type, org_code, province, site_serial, year, level)
    _require_int("serial", serial, 1, SERIAL_MAX_SKILL_LEVEL)
    return f"{prefix}{serial:06d}"


def parse_skill_level_number(number: str) -> dict[str, Any]:
    """Split a national skill-level certificate number into its fields."""
    if not isinstance(number, str) or not SKILL_LEVEL_NUMBER_RE.match(number):
        raise ValueError(f"not a skill-level certificate number (Y or S then 21 digits): {number!r}")
    level = int(number[15])
    if level not in SKILL_LEVELS:
        raise ValueError(f"level digit must be 1..5, got {level} in {number!r}")
    serial = int(number[16:])
    if serial < 1:
        raise ValueError(f"serial must be 000001..999999, got 000000 in {number!r}")
    return {
        "evaluator_type": number[0],
        "evaluator_kind": EVALUATOR_TYPES[number[0]],
        "org_code": number[1:5],
        "province": number[5:7],
        "site_serial": number[7:13],
        "year": MIN_YEAR_SKILL_LEVEL + int(number[13:15]),
        "level": level,
        "serial": serial,
    }


def format_certificate_number(kind: str, year: int, serial: int) -> str:
    """Return the number of a competition-award, training or participation certificate."""
    prefix = CERTIFICATE_NUMBER_PREFIXES.get(kind)
    if prefix is None:
        if kind == "skill_level":
            raise ValueError("skill_level numbers use format_skill_level_number")
        raise ValueError(f"kind must be one of {', '.join(CERTIFICATE_NUMBER_PREFIXES)}, got {kind!r}")
    _require_int("year", year, 1000, 9999)
    _require_int("serial", serial, 1)
    return f"{prefix}-{year:04d}-{serial:06d}"


def parse_certificate_number(number: str) -> dict[str, Any]:
    """Split a ``CA-/TC-/PA-YYYY-serial`` number into kind, year and serial."""
    match = CERTIFICATE_NUMBER_RE.match(number) if isinstance(number, str) else None
    if match is None:
        raise ValueError(f"not a certificate number like CA-2026-000123: {number!r}")
    prefix, year, digits = match.groups()
    # Only the canonical spelling is accepted, so one serial has one number.
    if len(digits) > 6 and digits.startswith("0"):
        raise ValueError(f"serial has superfluous leading zeros in {number!r}")
    serial = int(digits)
    if serial < 1:
        raise ValueError(f"serial must be at least 1 in {number!r}")
    return {"kind": _KIND_BY_PREFIX[prefix], "year": int(year), "serial": serial}


def kind_of_number(number: str) -> str:
    """Return the certificate kind a well-formed number belongs to."""
    if isinstance(number, str) and SKILL_LEVEL_NUMBER_RE.match(number):
        parse_skill_level_number(number)
        return "skill_level"
    return parse_certificate_number(number)["kind"]


def normalise_number(typed: str) -> str:
    """A certificate number as a person may type it, in its stored form: full-width characters
    folded (NFKC), spaces anywhere dropped, letters upper-cased (``" s5001…"`` → ``"S5001…"``)."""
    folded = unicodedata.normalize("NFKC", typed) if isinstance(typed, str) else ""
    return "".join(folded.split()).upper()


def counter_key(kind: str, year: int) -> str:
    """Return the counter key serials of ``kind`` issued in ``year`` are drawn from."""
    if kind not in CERTIFICATE_NUMBER_PREFIXES:
        if kind == "skill_level":
            raise ValueError("skill_level serials use skill_level_counter_key")
        raise ValueError(f"kind must be one of {', '.join(CERTIFICATE_NUMBER_PREFIXES)}, got {kind!r}")
    _require_int("year", year, 1000, 9999)
    return f"certificate-number:{kind}:{year:04d}"


def skill_level_counter_key(
    evaluator_type: str,
    org_code: str,
    province: str,
    site_serial: str,
    year: int,
    level: int,
) -> str:
    """Return the counter key for skill-level serials of one site, year and level."""
    prefix = _skill_level_prefix(evaluator_type, org_code, province, site_serial, year, level)
    return f"certificate-number:skill_level:{prefix}"
