"""Never in the way of protection: a storm of red flags becomes a handful of messages, and
publishing stays O(1) while a channel hangs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.domain import EventKind
from bot.notify import DeliveryPolicy, build_notifier
from bot.settings import load_settings
from bot.store import Store
from tests.fixtures.paper import eventually
from tests.integration.notify.receivers import http_receiver
from tests.unit.notify.fakes import ManualClock, event


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path}/qs.db") as s:
        yield s


def test_storm_when_500_red_flags_in_10_s_then_a_handful_of_messages(store):
    clock = ManualClock()
    with http_receiver() as receiver:
        settings = load_settings({"QT_NOTIFY_URLS": receiver.url()})
        notifier = build_notifier(settings, store, monotonic=clock)
        notifier.start()
        symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT"]
        for i in range(500):  # one every 20 ms of the notifier's clock: 10 s
            notifier.publish(event(EventKind.EMERGENCY_CLOSE, symbol=symbols[i % 5],
                                   rejections=1))
            clock.advance(0.02)
        eventually(lambda: len(receiver.requests) >= 3)
        notifier.stop(timeout=5)  # the held count goes out as a summary
        titles = receiver.titles()
        assert len(titles) <= 5, titles
        assert titles[-1].startswith("CRITICAL: 497 more: Emergency close on ")
        assert notifier.status().coalesced == 497


def test_publish_when_channel_hangs_then_each_call_returns_at_once(store):
    with http_receiver(hang_s=30) as stuck:
        settings = load_settings({"QT_NOTIFY_URLS": stuck.url()})
        notifier = build_notifier(settings, store, DeliveryPolicy(read_timeout_s=20))
        notifier.start()
        try:
            notifier.publish(event(EventKind.NAKED_PAST_GRACE))
            eventually(lambda: notifier.status().channels[0].last_attempt_at)  # now hung
            times = []
            for i in range(2000):
                e = event(EventKind.LOSS_OVER_LIMIT if i % 2 else EventKind.MONITOR_CYCLE,
                          symbol=f"S{i}USDT")
                started = time.perf_counter()
                notifier.publish(e)
                times.append(time.perf_counter() - started)
            assert statistics.median(times) < 0.0005
            assert max(times) < 0.05
            assert notifier.status().channels[0].sent == 0  # still stuck, and nobody waited
        finally:
            stuck.release.set()
            notifier.stop(timeout=5)
