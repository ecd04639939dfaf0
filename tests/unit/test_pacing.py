"""Idle pacing of the work timers: every tick while there is work, backing off while there is none."""

from services.pacing import IdlePacing


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def ticks_that_ask(pacing: IdlePacing, clock: Clock, seconds: float, tick: float = 0.2) -> int:
    """How many timer ticks within ``seconds`` ask the database, none of them finding work."""
    asked = 0
    for _ in range(round(seconds / tick)):
        clock.now += tick
        if pacing.due():
            asked += 1
            pacing.record(found_work=False)
    return asked


def test_every_tick_asks_while_there_is_work():
    clock = Clock()
    pacing = IdlePacing(0.2, 2.0, clock)
    for _ in range(5):
        clock.now += 0.2
        assert pacing.due()
        pacing.record(found_work=True)


def test_idle_ticks_back_off_to_the_idle_interval():
    clock = Clock()
    pacing = IdlePacing(0.2, 2.0, clock)

    ticks_that_ask(pacing, clock, 10)  # backing off: 0.2, 0.4, 0.8, 1.6, 2.0 …
    asked = ticks_that_ask(pacing, clock, 60)

    assert pacing.interval == 2.0
    assert 28 <= asked <= 31  # about one in ten of the 300 ticks, where the timer alone asks 300 times


def test_a_submission_here_brings_the_next_tick_back():
    clock = Clock()
    pacing = IdlePacing(0.2, 2.0, clock)
    ticks_that_ask(pacing, clock, 30)
    clock.now += 0.2
    assert not pacing.due()

    pacing.wake()

    assert pacing.due()
    assert pacing.interval == 0.2


def test_the_idle_interval_is_never_below_the_tick():
    pacing = IdlePacing(0.5, 0.1, Clock())
    assert pacing.idle_seconds == 0.5
