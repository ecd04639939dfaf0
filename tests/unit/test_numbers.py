import pytest

from certificates_svc.numbers import (
    CERTIFICATE_KINDS,
    SKILL_LEVEL_NUMBER_RE,
    SKILL_LEVELS,
    counter_key,
    format_certificate_number,
    format_skill_level_number,
    kind_of_number,
    level_name,
    normalise_number,
    parse_certificate_number,
    parse_skill_level_number,
    skill_level_counter_key,
)

SITE = {
    "evaluator_type": "S",
    "org_code": "5001",
    "province": "50",
    "site_serial": "000123",
}


def skill_number(**overrides):
    fields = {**SITE, "year": 2026, "level": 3, "serial": 42, **overrides}
    return format_skill_level_number(**fields)


def test_skill_level_number_has_the_national_shape_and_round_trips():
    number = skill_number()

    assert len(number) == 22
    assert SKILL_LEVEL_NUMBER_RE.match(number)
    assert parse_skill_level_number(number) == {
        "evaluator_type": "S",
        "evaluator_kind": "social_evaluation_organisation",
        "org_code": "5001",
        "province": "50",
        "site_serial": "000123",
        "year": 2026,
        "level": 3,
        "serial": 42,
    }


def test_fields_sit_at_their_national_positions():
    number = format_skill_level_number("Y", "0007", "51", "654321", 2031, 5, 999_999)

    assert number[0] == "Y"
    assert number[1:5] == "0007"
    assert number[5:7] == "51"
    assert number[7:13] == "654321"
    assert number[13:15] == "31"
    assert number[15] == "5"
    assert number[16:] == "999999"


def test_evaluator_type_may_be_given_by_name():
    by_name = skill_number(evaluator_type="employer")

    assert by_name.startswith("Y")
    assert parse_skill_level_number(by_name)["evaluator_kind"] == "employer"


def test_serials_and_levels_give_distinct_numbers():
    numbers = {skill_number(serial=s, level=lv) for s in (1, 2, 999_999) for lv in SKILL_LEVELS}

    assert len(numbers) == 3 * len(SKILL_LEVELS)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("evaluator_type", "X", "evaluator_type"),
        ("org_code", "501", "org_code"),
        ("org_code", "50011", "org_code"),
        ("org_code", "50a1", "org_code"),
        ("org_code", "５００１", "org_code"),  # full-width digits
        ("province", "5", "province"),
        ("site_serial", "12345", "site_serial"),
        ("year", 1999, "year"),
        ("year", 2100, "year"),
        ("level", 0, "level"),
        ("level", 6, "level"),
        ("serial", 0, "serial"),
        ("serial", 1_000_000, "serial"),
    ],
)
def test_out_of_range_fields_are_refused_with_the_field_named(field, value, message):
    with pytest.raises(ValueError, match=message):
        skill_number(**{field: value})


def test_wrong_types_are_refused():
    with pytest.raises(TypeError, match="level"):
        skill_number(level=True)
    with pytest.raises(TypeError, match="serial"):
        skill_number(serial="42")


@pytest.mark.parametrize(
    "number",
    [
        "",
        "A500150000123263000042",
        "S5001500001232630000420",
        "S500150000123263000042\n",
        "S50015000012326300004x",
        "S500150000123260000042",  # level 0
        "S500150000123266000042",  # level 6
        "S500150000123263000000",  # serial 0
        "S５００150000123263000042",
    ],
)
def test_malformed_skill_level_numbers_do_not_parse(number):
    with pytest.raises(ValueError):
        parse_skill_level_number(number)


def test_regex_rejects_a_trailing_newline_and_non_ascii_digits():
    number = skill_number()

    assert not SKILL_LEVEL_NUMBER_RE.match(number + "\n")
    assert not SKILL_LEVEL_NUMBER_RE.match("S" + "٣" * 21)


@pytest.mark.parametrize("kind", [k for k in CERTIFICATE_KINDS if k != "skill_level"])
def test_other_kinds_round_trip_and_are_told_apart(kind):
    number = format_certificate_number(kind, 2026, 123)

    assert parse_certificate_number(number) == {"kind": kind, "year": 2026, "serial": 123}
    assert kind_of_number(number) == kind
    assert "2026" in number


def test_other_kind_prefixes_differ():
    numbers = {format_certificate_number(k, 2026, 1) for k in CERTIFICATE_KINDS[1:]}

    assert len(numbers) == len(CERTIFICATE_KINDS) - 1


def test_serials_past_six_digits_keep_growing_and_stay_canonical():
    small = format_certificate_number("participation", 2026, 7)
    large = format_certificate_number("participation", 2026, 1_234_567)

    assert parse_certificate_number(large)["serial"] == 1_234_567
    assert len(large) == len(small) + 1
    with pytest.raises(ValueError, match="leading zeros"):
        parse_certificate_number(small.replace("-0000", "-00000"))


@pytest.mark.parametrize(
    ("kind", "year", "serial"),
    [
        ("skill_level", 2026, 1),
        ("diploma", 2026, 1),
        ("participation", 999, 1),
        ("participation", 10_000, 1),
        ("participation", 2026, 0),
        ("participation", 2026, -5),
    ],
)
def test_other_kinds_refuse_bad_input(kind, year, serial):
    with pytest.raises(ValueError):
        format_certificate_number(kind, year, serial)


def test_kind_of_number_recognises_skill_level_and_refuses_garbage():
    assert kind_of_number(skill_number()) == "skill_level"
    with pytest.raises(ValueError):
        kind_of_number("not-a-number")


def test_counter_keys_separate_exactly_what_the_number_separates():
    base = dict(SITE, year=2026, level=3)
    key = skill_level_counter_key(**base)

    assert key == skill_level_counter_key(**base)
    variants = [
        {"evaluator_type": "Y"},
        {"org_code": "5002"},
        {"province": "51"},
        {"site_serial": "000124"},
        {"year": 2027},
        {"level": 4},
    ]
    keys = {skill_level_counter_key(**{**base, **v}) for v in variants}
    assert key not in keys
    assert len(keys) == len(variants)


def test_skill_level_counter_key_validates_like_the_number():
    with pytest.raises(ValueError, match="level"):
        skill_level_counter_key(**SITE, year=2026, level=9)


def test_counter_keys_for_other_kinds_are_per_kind_and_year():
    keys = {
        counter_key(kind, year)
        for kind in ("competition_award", "training_completion", "participation")
        for year in (2025, 2026)
    }

    assert len(keys) == 6
    with pytest.raises(ValueError, match="skill_level_counter_key"):
        counter_key("skill_level", 2026)
    with pytest.raises(ValueError):
        counter_key("diploma", 2026)


def test_skill_levels_run_from_junior_worker_to_senior_technician():
    assert sorted(SKILL_LEVELS) == [1, 2, 3, 4, 5]
    assert "初级工" in SKILL_LEVELS[5].zh
    assert "junior worker" in SKILL_LEVELS[5].en
    assert "高级技师" in SKILL_LEVELS[1].zh
    assert "senior technician" in SKILL_LEVELS[1].en
    zh, en = SKILL_LEVELS[2]
    assert "技师" in zh
    assert en.endswith("technician")


def test_level_names_come_in_both_languages_and_only_for_levels_1_to_5():
    assert level_name(5) == {"zh": "五级/初级工", "en": "Level 5 / junior worker"}
    assert [level_name(level) for level in (None, 0, 6, True)] == [None] * 4


@pytest.mark.parametrize(
    "typed",
    [
        "S500150000123263000042",
        " s500150000123263000042 ",
        "s5001 50 000123 26 3 000042",
        "\tＳ５００１５００００１２３２６３００００４２\n",
    ],
)
def test_a_number_typed_in_lower_case_spaced_or_full_width_finds_the_stored_one(typed):
    assert normalise_number(typed) == "S500150000123263000042"


def test_normalising_keeps_other_numbers_and_nonsense_as_they_are_apart_from_case():
    assert normalise_number(" ca-2026-000123") == "CA-2026-000123"
    assert normalise_number("no/such\u00a0number") == "NO/SUCHNUMBER"
    assert normalise_number(None) == ""
