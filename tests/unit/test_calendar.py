from datetime import UTC, datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from events_svc.calendar import event_to_ics, events_to_ics
from services.errors import InvalidInput

CST = timezone(timedelta(hours=8))


def competition(**changes):
    event = {
        "_id": "ev-42",
        "title": "网络搭建与应用技能竞赛, 决赛; 团体",
        "kind": "skills_competition",
        "starts_at": datetime(2025, 5, 10, 9, 0, tzinfo=CST),
        "ends_at": datetime(2025, 5, 10, 17, 30, tzinfo=CST),
        "location": "重庆市工业学校 实训楼",
        "description": "两人一队\n自带工具",
        "status": "published",
    }
    event.update(changes)
    return event


def parse(ics: bytes) -> Calendar:
    return Calendar.from_ical(ics)


def only_event(ics: bytes):
    (vevent,) = parse(ics).walk("VEVENT")
    return vevent


def test_calendar_header_identifies_the_producer():
    calendar = parse(event_to_ics(competition(), "https://alliance.example"))

    assert str(calendar["VERSION"]) == "2.0"
    assert "Vocational Alliance" in str(calendar["PRODID"])


def test_event_round_trips_uid_summary_and_times():
    vevent = only_event(event_to_ics(competition(), "https://alliance.example"))

    assert str(vevent["UID"]) == "ev-42@alliance"
    assert str(vevent["SUMMARY"]) == "网络搭建与应用技能竞赛, 决赛; 团体"
    assert vevent.decoded("DTSTART") == datetime(2025, 5, 10, 1, 0, tzinfo=UTC)
    assert vevent.decoded("DTEND") == datetime(2025, 5, 10, 9, 30, tzinfo=UTC)


def test_times_are_written_in_the_events_zone_with_its_definition():
    ics = event_to_ics(competition(starts_at=datetime(2025, 5, 10, 1, 0, tzinfo=UTC)), "https://alliance.example")
    assert b"DTSTART;TZID=Asia/Shanghai:20250510T090000" in ics
    assert b"DTEND;TZID=Asia/Shanghai:20250510T173000" in ics
    (zone,) = parse(ics).walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Asia/Shanghai"


def test_an_event_in_another_zone_is_written_in_it():
    ics = event_to_ics(competition(time_zone="Asia/Urumqi"), "https://alliance.example")
    assert b"DTSTART;TZID=Asia/Urumqi:20250510T070000" in ics
    assert only_event(ics).decoded("DTSTART") == datetime(2025, 5, 10, 1, 0, tzinfo=UTC)


def test_sequence_follows_the_events_calendar_revisions():
    assert only_event(event_to_ics(competition(), "https://alliance.example"))["SEQUENCE"] == 0
    rescheduled = only_event(event_to_ics(competition(sequence=2), "https://alliance.example"))
    assert rescheduled["SEQUENCE"] == 2


def test_event_carries_location_description_link_and_kind():
    vevent = only_event(event_to_ics(competition(), "https://alliance.example/"))

    assert str(vevent["LOCATION"]) == "重庆市工业学校 实训楼"
    assert str(vevent["DESCRIPTION"]) == "两人一队\n自带工具"
    assert str(vevent["URL"]) == "https://alliance.example/api/v1/events/ev-42"
    assert vevent["CATEGORIES"].cats == ["skills_competition"]
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert isinstance(vevent.decoded("DTSTAMP"), datetime)


def test_cancelled_event_is_marked_cancelled():
    vevent = only_event(event_to_ics(competition(status="cancelled"), "https://alliance.example"))
    assert str(vevent["STATUS"]) == "CANCELLED"


def test_missing_location_and_description_are_left_out():
    vevent = only_event(event_to_ics(competition(location=None, description=None), "https://alliance.example"))
    assert "LOCATION" not in vevent
    assert "DESCRIPTION" not in vevent


def test_export_is_stable_when_the_event_has_not_changed():
    event = competition(updated_at=datetime(2025, 4, 1, 12, 0, tzinfo=CST))
    first = event_to_ics(event, "https://alliance.example")
    assert event_to_ics(event, "https://alliance.example") == first
    assert only_event(first).decoded("DTSTAMP") == datetime(2025, 4, 1, 4, 0, tzinfo=UTC)


def test_feed_holds_every_event_once():
    events = [
        competition(_id="ev-1", title="活动周开幕"),
        competition(_id="ev-2", title="学生企业面对面", kind="enterprise_visit"),
        competition(_id="ev-3", title="校园开放日", kind="open_day", status="cancelled"),
    ]

    vevents = parse(events_to_ics(events, "https://alliance.example")).walk("VEVENT")

    assert [str(v["UID"]) for v in vevents] == [
        "ev-1@alliance",
        "ev-2@alliance",
        "ev-3@alliance",
    ]
    assert [str(v["SUMMARY"]) for v in vevents] == [
        "活动周开幕",
        "学生企业面对面",
        "校园开放日",
    ]
    assert [str(v["STATUS"]) for v in vevents] == [
        "CONFIRMED",
        "CONFIRMED",
        "CANCELLED",
    ]


def test_empty_feed_is_still_a_calendar():
    calendar = parse(events_to_ics([], "https://alliance.example"))
    assert calendar.walk("VEVENT") == []
    assert str(calendar["VERSION"]) == "2.0"


def test_naive_event_time_is_refused():
    with pytest.raises(InvalidInput) as caught:
        event_to_ics(
            competition(starts_at=datetime(2025, 5, 10, 9, 0)),
            "https://alliance.example",
        )
    assert "starts_at" in caught.value.details
