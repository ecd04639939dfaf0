"""How batch handlers cut a stream of messages into batches: by size, or when a batch's wait runs out."""

from __future__ import annotations

import pytest

from services.batching import BatchCollector, batch_size, batch_wait_seconds


def test_a_batch_closes_when_it_is_full():
    collector = BatchCollector(3)
    assert collector.add("a") is None
    assert collector.add("b") is None
    assert collector.add("c") == ["a", "b", "c"]
    assert collector.open_batch is None
    assert collector.add("d") is None
    assert collector.close() == ["d"]


def test_a_batch_closes_when_its_wait_runs_out_with_what_it_holds():
    collector = BatchCollector(100)
    collector.add("a")
    opened = collector.open_batch
    collector.add("b")
    assert collector.close(opened) == ["a", "b"]
    assert collector.open_batch is None
    assert collector.close(opened) == []


def test_the_timer_of_a_batch_closed_full_leaves_the_next_batch_alone():
    collector = BatchCollector(2)
    collector.add("a")
    first = collector.open_batch
    assert collector.add("b") == ["a", "b"]
    collector.add("c")
    second = collector.open_batch
    assert second != first
    assert collector.close(first) == []  # the first batch's wait runs out: nothing of the second goes early
    assert collector.close(second) == ["c"]


def test_a_batch_of_one_closes_at_once():
    collector = BatchCollector(1)
    assert collector.add("a") == ["a"]
    assert collector.open_batch is None


def test_nothing_to_close_when_nothing_waits():
    assert BatchCollector(5).close() == []
    with pytest.raises(ValueError):
        BatchCollector(0)


def test_settings_and_their_defaults():
    assert batch_size({}) == 100
    assert batch_size({"EVENT_BATCH_SIZE": "25"}) == 25
    assert batch_wait_seconds({}) == pytest.approx(0.02)
    assert batch_wait_seconds({"EVENT_BATCH_WAIT_MS": "0"}) == 0
    assert batch_wait_seconds({"EVENT_BATCH_WAIT_MS": 250}) == pytest.approx(0.25)
    with pytest.raises(ValueError):
        batch_size({"EVENT_BATCH_SIZE": 0})
    with pytest.raises(ValueError):
        batch_wait_seconds({"EVENT_BATCH_WAIT_MS": -5})
