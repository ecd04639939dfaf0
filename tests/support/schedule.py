"""Events held already: results are recorded only once an event has started, and registration
closes when it starts, so a test registers first and then moves the event into the past."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests

HELD_A_WEEK_AGO = timedelta(days=7)


def past_dates(ago: timedelta = HELD_A_WEEK_AGO) -> dict[str, str]:
    """Start, end and registration close of an event held ``ago``, as a correction's fields."""
    starts = datetime.now(UTC).replace(microsecond=0) - ago
    return {
        "registration_closes_at": (starts - timedelta(days=1)).isoformat(),
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=8)).isoformat(),
    }


def move_into_the_past(api, event_id: str, ago: timedelta = HELD_A_WEEK_AGO, **request_options) -> dict:
    """Correct the event's dates to ``ago`` (its organiser's or the admin's PATCH, with a reason)."""
    body = {**past_dates(ago), "reason": "held earlier than announced"}
    response: requests.Response = api.patch(f"/api/v1/events/{event_id}", json=body, **request_options)
    assert response.status_code == 200, response.text
    return response.json()
