"""Retention settings that would let a backfilled event be applied twice are refused."""

from __future__ import annotations

import pytest

from services.mongo import kernel_retention


def test_processed_ids_are_kept_at_least_as_long_as_the_outbox():
    assert kernel_retention({"OUTBOX_RETENTION_DAYS": 7, "PROCESSED_EVENTS_RETENTION_DAYS": 7}) == (
        7 * 86400,
        7 * 86400,
    )
    with pytest.raises(ValueError, match="PROCESSED_EVENTS_RETENTION_DAYS"):
        kernel_retention({"OUTBOX_RETENTION_DAYS": 14, "PROCESSED_EVENTS_RETENTION_DAYS": 7})


def test_an_outbox_kept_for_no_time_is_refused():
    with pytest.raises(ValueError, match="OUTBOX_RETENTION_DAYS"):
        kernel_retention({"OUTBOX_RETENTION_DAYS": 0, "PROCESSED_EVENTS_RETENTION_DAYS": 7})
