"""Delivery to real receivers on loopback: a JSON webhook (body, title, retries after a 500,
a receiver that never answers in time) and an SMTP server behind mailto://."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain import EventKind
from bot.notify import DeliveryPolicy, Notifier, build_notifier
from bot.settings import load_settings
from bot.store import Store
from tests.fixtures.paper import eventually
from tests.integration.notify.receivers import http_receiver, smtp_receiver
from tests.unit.notify.fakes import event

FAST = DeliveryPolicy(attempts=3, backoff_s=0.05, connect_timeout_s=1.0, read_timeout_s=0.5)
LADDER = dict(rejections=3, quantity=Decimal("0.010"), avg_price=Decimal("64210.5"))


@pytest.fixture
def notifier_for(tmp_path: Path) -> Iterator:
    made: list[tuple[Notifier, Store]] = []

    def make(urls: str, policy: DeliveryPolicy = FAST, **env: str) -> Notifier:
        store = Store(f"sqlite:///{tmp_path}/n{len(made)}.db")
        settings = load_settings({"QT_NOTIFY_URLS": urls, **env})
        notifier = build_notifier(settings, store, policy)
        notifier.start()
        made.append((notifier, store))
        return notifier

    yield make
    for notifier, store in made:
        notifier.stop(timeout=3)
        store.close()


def test_json_when_emergency_close_then_title_and_body_arrive(notifier_for):
    with http_receiver() as receiver:
        notifier = notifier_for(receiver.url(), QT_PUBLIC_URL="https://qs.example.com")
        notifier.publish(event(EventKind.EMERGENCY_CLOSE, symbol="ATOMUSDT", **LADDER))
        eventually(lambda: receiver.requests)
        [request] = receiver.requests
        assert request.path == "/hook"
        assert request.body["title"] == "CRITICAL: ATOMUSDT Stop ladder exhausted"
        assert request.body["type"] == "failure"
        lines = request.body["message"].splitlines()
        assert lines[0].startswith("What happened: Every stop was refused")
        assert lines[1] == "What the bot did: Closed 0.01 at market (avg price 64210.5)."
        assert lines[-1] == "Dashboard: https://qs.example.com"


def test_json_when_receiver_answers_500_twice_then_third_attempt_delivers(notifier_for):
    with http_receiver(answers=[500, 500]) as receiver:
        notifier = notifier_for(receiver.url())
        notifier.publish(event(EventKind.NAKED_PAST_GRACE, message="no covering stop for 20 s"))
        eventually(lambda: notifier.status().history)
        [record] = notifier.status().history
        assert (record.ok, record.attempts, len(receiver.requests)) == (True, 3, 3)
        channel = notifier.status().channels[0]
        assert (channel.sent, channel.failed, channel.label) == (
            1, 0, f"json://127.0.0.1:{receiver.port}")


def test_json_when_receiver_always_500_then_failure_and_error_visible(notifier_for):
    with http_receiver(answers=[500] * 3) as receiver:
        notifier = notifier_for(receiver.url())
        notifier.publish(event(EventKind.NAKED_PAST_GRACE))
        eventually(lambda: notifier.status().history)
        channel = notifier.status().channels[0]
        assert (channel.sent, channel.failed) == (0, 1)
        assert "500" in channel.last_error and channel.last_attempt_at is not None


def test_json_when_receiver_hangs_then_timeout_recorded_and_other_channel_unaffected(
        notifier_for):
    with http_receiver(hang_s=20) as stuck, http_receiver() as healthy:
        policy = DeliveryPolicy(attempts=2, backoff_s=0.05, read_timeout_s=0.4)
        notifier = notifier_for(f"{stuck.url()} {healthy.url()}", policy)
        started = time.monotonic()
        notifier.publish(event(EventKind.NAKED_PAST_GRACE))
        eventually(lambda: healthy.requests, timeout=2)
        assert time.monotonic() - started < 1.0  # not queued behind the hung channel
        stuck_status = eventually(
            lambda: next((c for c in notifier.status().channels if c.failed), None), timeout=5)
        assert time.monotonic() - started < 3.0  # two attempts of 0.4 s, then given up
        assert stuck_status.sent == 0 and stuck_status.last_error


def test_mailto_when_local_smtp_then_mail_with_title_as_subject(notifier_for):
    with smtp_receiver() as smtp:
        notifier = notifier_for(smtp.url("alice", "MailPw-Qz81x"))
        notifier.publish(event(EventKind.KILL_SWITCH, symbol=None, state="HALTED",
                               previous="RUNNING", actor="alice", reason="maintenance",
                               trigger="manual"))
        eventually(lambda: smtp.messages)
        [mail] = smtp.messages
        assert mail["Subject"] == "WARNING: kill switch HALTED"
        assert mail["To"] == "ops@example.com" and mail["From"] == "bot@example.com"
        text = mail.get_content()
        assert "RUNNING -> HALTED by alice: maintenance." in text
        assert smtp.logins == [("alice", "MailPw-Qz81x")]
