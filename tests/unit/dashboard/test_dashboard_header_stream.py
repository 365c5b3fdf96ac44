"""The header tells the stream's state, the request budget and a stale regime."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.domain import RegimeView, RequestBudget, StreamState, StreamStatus
from dashboard.header import build_header_view
from tests.fixtures.dashboard import FIXED_NOW, FakeControl

NOW = FIXED_NOW


def _budget(used: int, banned_until=None) -> RequestBudget:
    return RequestBudget(used, 2400, 0, 300, 0, 1200, 0.8, banned_until)


def test_header_stream_when_down_then_red_with_its_age_and_last_error() -> None:
    down = StreamStatus(StreamState.DOWN, since=NOW - timedelta(seconds=42), reconnects=3,
                        last_error="connection closed")
    view = build_header_view(replace(FakeControl().snapshot(), stream=down), NOW)
    assert view.stream.startswith("DOWN") and "42" in view.stream
    assert view.stream_color == "danger" and "connection closed" in view.stream_title


def test_header_stream_when_up_then_green_and_off_when_disabled() -> None:
    up = StreamStatus(StreamState.UP, since=NOW, last_event_at=NOW - timedelta(seconds=5))
    view = build_header_view(replace(FakeControl().snapshot(), stream=up), NOW)
    assert (view.stream, view.stream_color) == ("UP", "success")
    off = build_header_view(FakeControl().snapshot(), NOW)
    assert (off.stream, off.stream_color) == ("OFF", "secondary")


def test_header_budget_when_past_the_reserve_then_warning_and_banned_then_red() -> None:
    snap = FakeControl().snapshot()
    calm = build_header_view(replace(snap, request_budget=_budget(120)), NOW)
    assert calm.budget == "weight 120/2400" and "text-muted" in calm.budget_class
    busy = build_header_view(replace(snap, request_budget=_budget(2000)), NOW)
    assert "text-warning" in busy.budget_class
    banned = build_header_view(
        replace(snap, request_budget=_budget(0, NOW + timedelta(minutes=2))), NOW)
    assert banned.budget.startswith("rate limited until") and "text-danger" in banned.budget_class


def test_header_regime_when_stale_then_says_so_in_red() -> None:
    snap = FakeControl().snapshot()
    assert snap.regime is not None
    stale = replace(snap, regime=RegimeView(snap.regime.regime, snap.regime.computed_at,
                                            age_s=600.0, stale=True))
    view = build_header_view(stale, NOW)
    assert view.regime.endswith("STALE") and view.regime_color == "danger"
