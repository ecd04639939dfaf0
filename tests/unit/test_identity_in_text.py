"""ID numbers hidden in free text: found, refused and masked without being repeated."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from services.identity import holds_national_id, mask_national_ids
from services.validation import no_national_id

VALID = "11010519491231002X"
MISTYPED = "110105194912310021"  # wrong check character: still an ID number


@pytest.mark.parametrize(
    "text",
    [VALID, VALID.lower(), f"G{VALID}", f"G{MISTYPED}", f"学籍号{MISTYPED}号", f"{VALID}-A", f"张三 {VALID}"],
)
def test_an_id_number_is_found_inside_text(text):
    assert holds_national_id(text)


@pytest.mark.parametrize(
    "text",
    [
        "2022001",
        "G2022001",
        "张三丰",
        "S000150000123221000001",  # a skill-level certificate number
        "1" + MISTYPED,  # 19 digits: no ID number stands on its own in it
        "910105194912310021",  # no province starts with 9
        "110105194913310021",  # no 13th month
        "91500000MA5U4XXX7K",  # a unified social credit code
    ],
)
def test_other_numbers_are_not_taken_for_an_id_number(text):
    assert not holds_national_id(text)


def test_the_refusal_does_not_repeat_the_value():
    with pytest.raises(ValidationError) as refused:
        no_national_id(f"G{MISTYPED}")
    assert MISTYPED not in str(refused.value.messages)
    assert refused.value.messages == ["must not contain an ID number"]


def test_masking_keeps_the_text_around_the_number():
    assert mask_national_ids(f"duplicate key G{MISTYPED} and {VALID.lower()}") == (
        "duplicate key G1101**********0021 and 1101**********002x"
    )
    assert mask_national_ids("nothing personal 2022001") == "nothing personal 2022001"
