"""The webhook's memory of recently queued bodies: canonical keys, the window, the bound."""

from __future__ import annotations

import pytest

from bot.web.dedupe import RecentBodies, body_key
from tests.unit.decisions.builders import FakeClock


class Intake:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return f"sig-{self.calls}"


def test_body_key_when_key_order_or_spacing_differs_then_equal():
    assert body_key({"a": 1, "b": [1, 2]}) == body_key({"b": [1, 2], "a": 1})
    assert body_key({"a": 1}) != body_key({"a": 1.5})
    assert body_key({"s": "\ud800"}) != body_key({"s": "x"})  # lone surrogates are encodable


def test_queue_once_when_same_key_within_window_then_first_id_and_not_queued():
    clock, intake = FakeClock(), Intake()
    recent = RecentBodies(60, clock)
    assert recent.queue_once("k", intake) == ("sig-1", True)
    clock.advance(seconds=59.9)
    assert recent.queue_once("k", intake) == ("sig-1", False)
    assert intake.calls == 1


def test_queue_once_when_window_passed_then_queued_again_and_old_entries_dropped():
    clock, intake = FakeClock(), Intake()
    recent = RecentBodies(60, clock)
    for key in ("a", "b", "c"):
        recent.queue_once(key, intake)
    clock.advance(seconds=60)
    assert recent.queue_once("d", intake) == ("sig-4", True)
    assert len(recent) == 1  # a, b and c were forgotten: memory holds one window only
    assert recent.queue_once("a", intake) == ("sig-5", True)


def test_queue_once_when_more_bodies_than_the_cap_then_oldest_forgotten():
    recent = RecentBodies(60, FakeClock(), max_entries=3)
    intake = Intake()
    for key in "abcde":
        recent.queue_once(key, intake)
    assert len(recent) == 3
    assert recent.queue_once("a", intake) == ("sig-6", True)
    assert recent.queue_once("e", intake) == ("sig-5", False)


def test_queue_once_when_intake_raises_then_nothing_remembered():
    recent = RecentBodies(60, FakeClock())

    def full() -> str:
        raise RuntimeError("queue full")

    with pytest.raises(RuntimeError):
        recent.queue_once("k", full)
    assert len(recent) == 0 and recent.queue_once("k", Intake()) == ("sig-1", True)


def test_queue_once_when_window_zero_then_every_body_queued_and_nothing_kept():
    recent, intake = RecentBodies(0, FakeClock()), Intake()
    assert [recent.queue_once("k", intake)[1] for _ in range(3)] == [True, True, True]
    assert len(recent) == 0


def test_recent_bodies_when_window_negative_then_refused():
    with pytest.raises(ValueError, match=">= 0"):
        RecentBodies(-1, FakeClock())
