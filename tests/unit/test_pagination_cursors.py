"""Page cursors: each kind reads back what it wrote and refuses everything else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.errors import InvalidInput
from services.pagination import decode_cursor, decode_date_cursor, decode_position_cursor, encode_cursor


def test_a_date_cursor_reads_back_its_moment_in_utc_and_its_id():
    shanghai = timezone(timedelta(hours=8))
    cursor = encode_cursor([datetime(2030, 5, 1, 9, 0, tzinfo=shanghai).isoformat(), "6650a1"])
    assert decode_date_cursor(cursor) == (datetime(2030, 5, 1, 1, 0), "6650a1")
    assert decode_date_cursor(encode_cursor([datetime(2030, 5, 1, tzinfo=UTC).isoformat(), "x"]))[1] == "x"


@pytest.mark.parametrize(
    "after",
    [
        "6650a1",  # an id cursor
        7,  # a position cursor
        ["2030-05-01T01:00:00"],  # no id
        ["2030-05-01T01:00:00", 5],  # an id that is no string
        ["soon", "6650a1"],  # no date
        ["2030-05-01T01:00:00", "6650a1"],  # no offset: which zone?
    ],
)
def test_a_date_cursor_refuses_other_cursors_and_malformed_ones(after):
    with pytest.raises(InvalidInput):
        decode_date_cursor(encode_cursor(after))


def test_id_and_position_cursors_refuse_a_date_cursor():
    date_cursor = encode_cursor(["2030-05-01T01:00:00+00:00", "6650a1"])
    with pytest.raises(InvalidInput):
        decode_cursor(date_cursor)
    with pytest.raises(InvalidInput):
        decode_position_cursor(date_cursor)
    with pytest.raises(InvalidInput):
        decode_date_cursor("not base64 json")
