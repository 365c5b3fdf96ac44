"""A regime is only as good as its last refresh: stale or never computed means unknown,
red-flagged once per stale period, with its age on the view the dashboard reads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.decisions.regime import RegimeParams, RegimeTracker
from bot.domain import RED_FLAG_KINDS, Event, EventKind, Regime, red_flag_label
from tests.unit.decisions.builders import T0, klines_from_closes, trend_closes

REFRESH_S = 60.0


class Mono:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Market:
    def __init__(self) -> None:
        self.down = False

    def __call__(self, symbol, interval, limit):
        if self.down:
            raise ConnectionError("klines unavailable")
        return klines_from_closes(trend_closes(limit, 0.004))


@pytest.fixture
def mono() -> Mono:
    return Mono()


@pytest.fixture
def market() -> Market:
    return Market()


@pytest.fixture
def tracker(market, store, clock, mono) -> RegimeTracker:
    clock.now = T0 + timedelta(days=30)
    params = RegimeParams("1h", 20, 50, 20.0, refresh_s=REFRESH_S)
    return RegimeTracker(market, store, params, clock=clock, monotonic=mono)


def _stale_events(store) -> list[Event]:
    return store.events(kinds=[EventKind.REGIME_STALE])


def test_current_when_refreshed_within_two_intervals_then_usable_with_age(tracker, mono):
    tracker.refresh()
    mono.t += 2 * REFRESH_S  # exactly at the limit: still fresh
    view = tracker.current
    assert view is not None and view.regime is Regime.UPTREND
    assert view.age_s == pytest.approx(2 * REFRESH_S) and view.stale is False
    assert tracker.usable() == view


def test_usable_when_older_than_two_intervals_then_unknown_and_flagged_once(
    tracker, market, mono, store
):
    tracker.refresh()
    market.down = True
    mono.t += 2 * REFRESH_S + 1
    view = tracker.current
    assert view is not None and view.stale is True and view.age_s == pytest.approx(121)
    assert tracker.usable() is None
    for _ in range(5):  # every later signal and job run of the same stale period: no new flag
        assert tracker.usable() is None
        assert tracker.check_stale() is True
        mono.t += 30
    [event] = _stale_events(store)
    assert event.details["age_s"] == pytest.approx(121) and event.details["max_age_s"] == 120
    assert "shorts denied" in event.message


def test_check_stale_when_fresh_again_then_next_stale_period_flags_again(
    tracker, market, mono, store
):
    tracker.refresh()
    mono.t += 500
    assert tracker.check_stale() is True
    tracker.refresh()
    assert tracker.check_stale() is False and tracker.usable() is not None
    mono.t += 500
    assert tracker.usable() is None
    assert len(_stale_events(store)) == 2


def test_usable_when_never_computed_then_unknown_but_flagged_only_after_two_intervals(
    tracker, mono, store
):
    assert tracker.current is None and tracker.usable() is None
    assert _stale_events(store) == []  # boot: not yet overdue
    mono.t += 2 * REFRESH_S + 1
    assert tracker.usable() is None
    [event] = _stale_events(store)
    assert "not computed since start" in event.message and event.details["age_s"] is None


def test_current_when_restored_after_restart_then_stale_until_first_refresh(
    tracker, market, store, clock, mono
):
    tracker.refresh()
    again = RegimeTracker(market, store, tracker.params, clock=clock, monotonic=mono)
    view = again.current
    assert view is not None and view.regime is Regime.UPTREND
    assert view.stale is True and view.age_s is None
    assert again.usable() is None
    again.refresh()
    assert again.usable() is not None


def test_regime_stale_when_stored_then_a_warning_red_flag_labelled_regime_stale(store, clock):
    assert EventKind.REGIME_STALE in RED_FLAG_KINDS
    event = Event(EventKind.REGIME_STALE, clock(), "BTCUSDT", message="stale")
    assert red_flag_label(event) == "REGIME STALE"
    store.append(event)
    [flag] = store.red_flags(limit=10)
    assert flag.label == "REGIME STALE"


def test_params_when_refresh_not_positive_then_refused():
    with pytest.raises(ValueError, match="refresh_s"):
        RegimeParams(refresh_s=0)
    assert RegimeParams(refresh_s=45).max_age_s == 90
