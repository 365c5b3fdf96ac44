"""The check queue counts deadlines on the bot's clock, whatever its pace against the wall."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from bot.runtime.check_queue import CheckQueue

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


class FastClock:
    """The bot's clock in a soak: the venue's, ``speed`` times the wall's."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._wall0 = time.monotonic()

    def __call__(self) -> datetime:
        return T0 + timedelta(seconds=(time.monotonic() - self._wall0) * self.speed)


class StandingClock:
    """A ManualClock's view: time moves only when the test says so."""

    def __init__(self) -> None:
        self.now = T0
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += timedelta(seconds=seconds)


def take_until(queue: CheckQueue, wall_s: float) -> tuple[list[str], float, int]:
    """Take until something comes or ``wall_s`` passes: (symbols, wall seconds, takes)."""
    started = time.monotonic()
    takes = 0
    while time.monotonic() - started < wall_s:
        takes += 1
        got = queue.take()
        if got:
            return got, time.monotonic() - started, takes
    return [], time.monotonic() - started, takes


def test_take_when_clock_runs_x10_then_due_after_a_tenth_of_the_bot_seconds() -> None:
    clock = FastClock(10)
    queue = CheckQueue(clock)
    queue.at("ETHUSDT", clock() + timedelta(seconds=5))
    got, wall_s, takes = take_until(queue, 3.0)
    assert got == ["ETHUSDT"]
    assert 0.45 <= wall_s < 0.8, wall_s  # 5 venue seconds at x10, not 5 wall seconds
    assert takes < 40  # bounded waits, no spinning


def test_take_when_clock_stands_still_then_bounded_waits_and_due_once_advanced() -> None:
    clock = StandingClock()
    queue = CheckQueue(clock, max_wait_s=0.1)
    queue.at("ETHUSDT", T0 + timedelta(seconds=5))
    started = time.monotonic()
    assert queue.take() == []
    assert time.monotonic() - started < 0.3  # never the idle second while a deadline waits
    clock.advance(5)
    got, wall_s, _ = take_until(queue, 1.0)
    assert got == ["ETHUSDT"] and wall_s < 0.3, wall_s
    assert queue.scheduled() == ()


def test_take_when_deadline_asked_twice_then_checked_once() -> None:
    clock = StandingClock()
    queue = CheckQueue(clock)
    due = T0 + timedelta(seconds=1)
    queue.at("ETHUSDT", due)
    queue.at("ETHUSDT", due)
    queue.at("BTCUSDT", due)
    assert queue.scheduled() == ((due, "BTCUSDT"), (due, "ETHUSDT"))
    clock.advance(1)
    assert queue.take() == ["BTCUSDT", "ETHUSDT"]
    assert queue.take() == []


def test_take_when_symbols_now_then_at_once_coalesced_and_sorted() -> None:
    queue = CheckQueue(StandingClock())
    queue.now(["SOLUSDT", "ETHUSDT"])
    queue.now(["ETHUSDT"])
    started = time.monotonic()
    assert queue.take() == ["ETHUSDT", "SOLUSDT"]
    assert time.monotonic() - started < 0.05


def test_take_when_waiting_and_deadline_added_then_woken_for_it() -> None:
    clock = FastClock(10)
    queue = CheckQueue(clock, idle_s=5.0)
    threading.Timer(0.05, lambda: queue.at("ETHUSDT", clock() + timedelta(seconds=1))).start()
    got, wall_s, _ = take_until(queue, 3.0)
    assert got == ["ETHUSDT"] and wall_s < 0.5, wall_s  # not the 5 s idle wait


def test_retry_when_clock_stands_still_then_due_after_the_wall_pause() -> None:
    queue = CheckQueue(StandingClock())
    queue.retry("ETHUSDT", 0.2)
    got, wall_s, _ = take_until(queue, 2.0)
    assert got == ["ETHUSDT"] and 0.18 <= wall_s < 0.6, wall_s
