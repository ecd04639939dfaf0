"""Corrections of an event: what may change, what a change records, and what capacity allows."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from events_svc.corrections import (
    calendar_visible,
    check_capacity,
    check_teams_fit,
    correction_entry,
    event_corrections,
    status_entry,
)
from events_svc.domain import is_time_zone, local_time, places_left
from services.errors import Conflict, InvalidInput

CST = timezone(timedelta(hours=8))
STARTS = datetime(2026, 5, 12, 1, 0, tzinfo=UTC)


def stored(**changes) -> dict:
    event = {
        "_id": "ev1",
        "title": "网络搭建与应用 技能竞赛",
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(hours=8),
        "registration_closes_at": STARTS - timedelta(days=10),
        "capacity": 10,
        "team_size_min": 1,
        "team_size_max": 2,
        "location": "重庆市工业学校",
        "time_zone": "Asia/Shanghai",
        "status": "published",
        "was_published": True,
    }
    event.update(changes)
    return event


def test_a_rescheduling_records_old_and_new_times_in_utc():
    moved = datetime(2026, 5, 13, 9, 0, tzinfo=CST)
    changes, lines = event_corrections(
        stored(), {"starts_at": moved, "ends_at": moved + timedelta(hours=8), "reason": "场地调整"}
    )
    assert changes["starts_at"] == moved and changes["starts_at"].utcoffset() == timedelta(0)
    assert lines[0] == {"field": "starts_at", "from": "2026-05-12T01:00:00.000Z", "to": "2026-05-13T01:00:00.000Z"}
    assert [line["field"] for line in lines] == ["starts_at", "ends_at"]


def test_values_equal_to_the_stored_ones_change_nothing():
    same = datetime(2026, 5, 12, 9, 0, tzinfo=CST)
    assert event_corrections(stored(), {"starts_at": same, "capacity": 10, "reason": "核对"}) == ({}, [])


def test_a_correction_is_checked_as_a_new_event_is():
    with pytest.raises(InvalidInput) as caught:
        event_corrections(stored(), {"ends_at": STARTS - timedelta(hours=1), "reason": "改期"})
    assert "ends_at" in caught.value.details
    with pytest.raises(InvalidInput) as caught:
        event_corrections(stored(), {"team_size_min": 3, "reason": "改规则"})
    assert "team_size_max" in caught.value.details


def test_a_published_event_needs_a_reason_a_draft_does_not():
    with pytest.raises(InvalidInput) as caught:
        event_corrections(stored(), {"title": "新标题", "reason": "  "})
    assert "reason" in caught.value.details
    changes, _ = event_corrections(stored(status="draft", was_published=False), {"title": "新标题"})
    assert changes == {"title": "新标题"}


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_a_finished_or_cancelled_event_is_not_corrected(status):
    with pytest.raises(Conflict) as caught:
        event_corrections(stored(status=status), {"title": "新标题", "reason": "更正"})
    assert caught.value.details["current_state"] == status


def test_only_correctable_fields_are_taken():
    changes, lines = event_corrections(stored(), {"organiser_id": "org-x", "kind": "lecture", "reason": "更正"})
    assert (changes, lines) == ({}, [])


def test_capacity_may_not_fall_below_those_confirmed():
    check_capacity(5, 5)
    check_capacity(None, 50)
    with pytest.raises(Conflict) as caught:
        check_capacity(4, 5)
    assert "at least 5" in caught.value.details["capacity"]


def test_history_line_and_calendar_revisions():
    at = datetime(2026, 4, 1, tzinfo=UTC)
    line = correction_entry([{"field": "title", "from": "a", "to": "b"}], at, "alliance_admin", "错别字")
    assert line == {
        "changes": [{"field": "title", "from": "a", "to": "b"}],
        "at": at,
        "by": "alliance_admin",
        "reason": "错别字",
    }
    published = status_entry("draft", "published", at, "org_admin:org-a", None)
    assert published == {
        **line,
        "changes": [{"field": "status", "from": "draft", "to": "published"}],
        "by": "org_admin:org-a",
        "reason": None,
    }
    assert calendar_visible(["starts_at"]) and calendar_visible(["location", "capacity"])
    assert not calendar_visible(["capacity", "team_size_max"])


def test_time_zones_and_local_times():
    assert is_time_zone("Asia/Shanghai") and is_time_zone("UTC")
    for bad in ("Mars/Olympus", "", "../etc/passwd", None, 8):
        assert not is_time_zone(bad)
    assert local_time(STARTS, {}) == "2026-05-12T09:00:00+08:00"
    assert local_time(STARTS, {"time_zone": "Asia/Urumqi"}) == "2026-05-12T07:00:00+06:00"
    assert local_time(None, {}) is None


def test_places_left_never_below_zero_and_none_without_a_limit():
    assert places_left({"capacity": 10}, 3) == 7
    assert places_left({"capacity": 2}, 3) == 0
    assert places_left({"capacity": None}, 3) is None


def test_team_sizes_may_not_leave_out_teams_already_registered():
    check_teams_fit({"team_size_min": 2, "team_size_max": 3}, [2, 3, 3])
    check_teams_fit({"team_size_min": 1, "team_size_max": None}, [])
    with pytest.raises(Conflict) as caught:
        check_teams_fit({"team_size_min": 1, "team_size_max": 2}, [2, 3])
    assert "team_size_max" in caught.value.details
    with pytest.raises(Conflict) as caught:
        check_teams_fit({"team_size_min": 3, "team_size_max": None}, [2, 3])
    assert "team_size_min" in caught.value.details
