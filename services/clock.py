"""The one clock and the one RFC 3339 format of the platform."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Literal
from zoneinfo import ZoneInfo

Precision = Literal["seconds", "milliseconds"]
#: Where the alliance's schools are: the calendar that "today" and "in the future" follow for dates.
ALLIANCE_TIME_ZONE = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def alliance_today() -> date:
    """Today's date in the alliance's time zone (a birth date or an assessment day is a local date)."""
    return utcnow().astimezone(ALLIANCE_TIME_ZONE).date()


def rfc3339(moment: datetime, precision: Precision = "milliseconds") -> str:
    """A timezone-aware datetime as RFC 3339 in UTC with ``Z`` (``2026-05-01T08:00:00Z``).

    Event envelopes and their data are stamped to the millisecond; credentials to the
    second, as the VC data model's examples are.
    """
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required, got {moment!r}")
    return moment.astimezone(timezone.utc).isoformat(timespec=precision).replace("+00:00", "Z")


def parse_rfc3339(value: str) -> datetime:
    """An RFC 3339 timestamp that carries a time zone; ValueError for anything else."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"timestamp has no time zone: {value!r}")
    return moment
