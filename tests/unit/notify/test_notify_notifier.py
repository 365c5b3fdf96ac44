"""The notifier with hand-written senders: levels, retries, bounded queues, coalescing, the
daily summary, and a publish that neither blocks nor raises."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from datetime import time as day_time

import pytest

from bot.domain import EventKind, Severity
from bot.domain.notify import NotifyCategory, NotifyLevel
from bot.notify.channel import Channel, DeliveryPolicy
from bot.notify.notifier import Notifier, NotifyConfig
from tests.fixtures.paper import eventually
from tests.unit.notify.fakes import FakeSender, ManualClock, event

FAST = DeliveryPolicy(attempts=3, backoff_s=0.01, queue_size=5)


def make(sender: FakeSender | None = None, policy: DeliveryPolicy = FAST, **kw):
    sender = sender or FakeSender()
    channel = Channel("json://127.0.0.1:1", sender, policy)
    notifier = Notifier([channel], **kw)
    return notifier, sender


@pytest.fixture
def running():
    started: list[Notifier] = []

    def start(sender: FakeSender | None = None, **kw):
        notifier, sender = make(sender, **kw)
        notifier.start()
        started.append(notifier)
        return notifier, sender

    yield start
    for n in started:
        n.stop(timeout=2)


def test_publish_when_red_flag_then_delivered_with_severity(running):
    notifier, sender = running()
    notifier.publish(event(EventKind.NAKED_PAST_GRACE, message="no covering stop for 20 s"))
    eventually(lambda: sender.sent)
    assert sender.sent[0].severity is Severity.CRITICAL
    assert sender.sent[0].title == "CRITICAL: BTCUSDT NAKED past grace"


def test_publish_when_category_off_then_nothing_sent(running):
    notifier, sender = running()
    notifier.publish(event(EventKind.ENTRY_FILLED, message="BUY 0.01 @ 60000"))  # off by default
    notifier.publish(event(EventKind.LOSS_OVER_LIMIT))
    eventually(lambda: sender.sent)
    notifier.stop(timeout=2)
    assert [s.title for s in sender.sent] == ["WARNING: BTCUSDT loss over limit"]


def test_publish_when_level_silent_then_sent_silently(running):
    notifier, sender = running(levels={NotifyCategory.ENTRY: NotifyLevel.SILENT})
    notifier.publish(event(EventKind.ENTRY_FILLED, message="BUY 0.01 @ 60000"))
    eventually(lambda: sender.sent)
    assert sender.sent[0].silent is True


def test_set_level_when_always_on_turned_off_then_refused():
    notifier, _ = make()
    with pytest.raises(ValueError, match="always on"):
        notifier.set_level(NotifyCategory.NAKED, NotifyLevel.OFF)
    with pytest.raises(ValueError, match="always on"):
        make(levels={NotifyCategory.EMERGENCY_CLOSE: NotifyLevel.OFF})
    notifier.set_level(NotifyCategory.NAKED, NotifyLevel.SILENT)
    assert notifier.level(NotifyCategory.NAKED) is NotifyLevel.SILENT


def test_deliver_when_channel_fails_twice_then_third_attempt_succeeds(running):
    notifier, sender = running(FakeSender(script=[(False, "HTTP 500"), (False, "HTTP 500")]))
    notifier.publish(event(EventKind.NAKED_PAST_GRACE))
    eventually(lambda: notifier.status().history)
    [record] = notifier.status().history
    assert (record.ok, record.attempts) == (True, 3)
    assert notifier.status().channels[0].sent == 1


def test_deliver_when_channel_keeps_failing_then_failure_visible(running):
    notifier, sender = running(FakeSender(default=(False, "Unauthorized")))
    notifier.publish(event(EventKind.NAKED_PAST_GRACE))
    eventually(lambda: notifier.status().history)
    status = notifier.status().channels[0]
    assert (status.failed, status.sent, status.last_error) == (1, 0, "Unauthorized")
    assert status.last_attempt_at is not None and sender.calls == 3


def test_publish_when_channel_hangs_then_never_blocks_and_overflow_is_counted(running):
    gate = threading.Event()
    notifier, sender = running(FakeSender(gate=gate), config=NotifyConfig(per_window=1000))
    try:
        worst = 0.0
        for i in range(200):
            started = time.perf_counter()
            notifier.publish(event(EventKind.NAKED_PAST_GRACE, symbol=f"S{i}USDT"))
            worst = max(worst, time.perf_counter() - started)
        assert worst < 0.05
        def settled():  # one in the hung send, the queue full, the rest dropped
            status = notifier.status().channels[0]
            return status.queued + status.dropped + 1 == 200 and status
        status = eventually(settled)
        assert status.queued <= FAST.queue_size and status.dropped >= 200 - FAST.queue_size - 1
    finally:
        gate.set()


def test_publish_when_intake_full_then_dropped_counted_not_raised():
    notifier, _ = make(config=NotifyConfig(intake_size=3))  # not started: nothing drains
    for _ in range(10):
        notifier.publish(event(EventKind.NAKED_PAST_GRACE))
    assert notifier.status().dropped == 7


def test_publish_when_no_channel_then_ignored():
    notifier = Notifier([])
    notifier.publish(event(EventKind.NAKED_PAST_GRACE))
    notifier.start()
    notifier.stop()
    assert notifier.status().enabled is False and notifier.status().dropped == 0


def test_stop_when_storm_held_then_summary_sent_before_exit(running):
    clock = ManualClock()
    notifier, sender = running(config=NotifyConfig(window_s=60), monotonic=clock)
    for _ in range(50):
        notifier.publish(event(EventKind.EMERGENCY_CLOSE, rejections=1))
    notifier.stop(timeout=5)
    titles = [s.title for s in sender.sent]
    assert titles == ["CRITICAL: BTCUSDT emergency close",
                      "CRITICAL: 49 more: Emergency close on BTCUSDT"]


def test_send_test_when_every_category_off_then_still_sent(running):
    notifier, sender = running()
    notifier.send_test("alice")
    eventually(lambda: sender.sent)
    assert sender.sent[0].title == "INFO: test notification"
    assert "alice" in sender.sent[0].body
    assert notifier.status().history[0].category == "test"


def test_daily_when_time_passes_then_one_summary_per_day(running):
    now = [datetime(2025, 3, 1, 0, 4, tzinfo=UTC)]
    notifier, sender = running(
        config=NotifyConfig(daily_at=day_time(0, 5), tick_s=0.01),
        levels={NotifyCategory.DAILY: NotifyLevel.ON},
        daily=lambda at: [f"Trades closed: 2 at {at:%H:%M}"], now=lambda: now[0])
    time.sleep(0.1)
    assert sender.sent == []
    now[0] += timedelta(minutes=2)
    eventually(lambda: sender.sent)
    time.sleep(0.1)
    assert [s.title for s in sender.sent] == ["INFO: daily summary"]
    assert "Trades closed: 2 at 00:06" in sender.sent[0].body


def test_publish_when_halt_then_resume_within_window_then_both_sent(running):
    notifier, sender = running()
    for state, previous in (("HALTED", "RUNNING"), ("RUNNING", "HALTED")):
        notifier.publish(event(EventKind.KILL_SWITCH, symbol=None, state=state,
                               previous=previous, actor="alice", reason="r", trigger="manual"))
    notifier.announce_start("PAPER", 4)
    notifier.announce_stop()
    eventually(lambda: len(sender.sent) == 4)
    assert [s.title for s in sender.sent] == [
        "WARNING: kill switch HALTED", "WARNING: kill switch RUNNING",
        "INFO: QuantShield started (PAPER)", "WARNING: QuantShield stopping"]
