"""The reactor's deadlines: a stuck trigger's grace counted from the venue's trigger time, a
failed check retried a few wall seconds later, then left to the poll."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from bot.exchange.stream_events import parse_stream_message
from bot.monitor import CycleReport
from bot.runtime.check_queue import CheckQueue
from bot.runtime.stream_reactor import MAX_RETRIES, StreamReactor
from tests.fixtures.paper import eventually

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class FailingMonitor:
    """Every targeted check meets a refused read, as after a 429."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def check_symbol(self, symbol: str) -> CycleReport:
        self.calls.append(symbol)
        return CycleReport(T0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0.0, error="rate limited")


def _reactor(monitor: object, clock: Clock, checks: CheckQueue) -> StreamReactor:
    return StreamReactor(monitor, None, clock, lambda: None, lambda: None,  # type: ignore[arg-type]
                         lambda on: None, triggering_grace_s=5.0, checks=checks, retry_s=0.05)


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def test_on_event_when_triggering_told_late_then_grace_counted_from_trigger_time() -> None:
    clock = Clock(T0 + timedelta(seconds=3))  # the event arrives 3 venue seconds late
    checks = CheckQueue(clock)
    reactor = _reactor(FailingMonitor(), clock, checks)
    event = parse_stream_message({
        "e": "ALGO_UPDATE", "E": _ms(clock.now), "T": _ms(clock.now),
        "o": {"s": "ETHUSDT", "X": "TRIGGERING", "caid": "qs-sl-1", "tt": _ms(T0)}})
    assert event is not None
    reactor.on_event(event)
    assert checks.scheduled() == ((T0 + timedelta(seconds=5, milliseconds=1), "ETHUSDT"),)
    assert checks.take() == ["ETHUSDT"]  # and the event's own check, now


def test_check_when_read_refused_then_retried_then_left_to_the_poll() -> None:
    clock = Clock(T0)
    checks = CheckQueue(clock)
    monitor = FailingMonitor()
    reactor = _reactor(monitor, clock, checks)
    reactor.start()
    try:
        checks.now(["ETHUSDT"])
        eventually(lambda: len(monitor.calls) == 1 + MAX_RETRIES, timeout=3)
        time.sleep(0.2)  # no further retry comes
    finally:
        reactor.stop()
    assert monitor.calls == ["ETHUSDT"] * (1 + MAX_RETRIES)
