from __future__ import annotations

from datetime import timedelta

import pytest

from bot.decisions.regime import (
    RegimeParams,
    RegimeTracker,
    classify_regime,
    closed_only,
    local_trend,
)
from bot.domain import EventKind, Regime
from tests.unit.decisions.builders import T0, flat_closes, klines_from_closes, trend_closes

FAST, SLOW, ADX_MIN = 20, 50, 20.0


def _classify(closes):
    return classify_regime(klines_from_closes(closes), FAST, SLOW, ADX_MIN)


@pytest.mark.parametrize(("drift", "expected"), [
    (0.004, Regime.UPTREND), (-0.004, Regime.DOWNTREND),
])
def test_classify_a_steady_trend(drift, expected):
    view = _classify(trend_closes(200, drift))
    assert view.regime is expected
    assert set(view.inputs) >= {"ema_fast", "ema_slow", "slope_pct", "adx", "close"}
    assert view.inputs["adx"] >= ADX_MIN


def test_classify_a_flat_market_as_sideways():
    view = _classify(flat_closes(200, amplitude=0.01, period=6))
    assert view.regime is Regime.SIDEWAYS
    assert view.inputs["adx"] < ADX_MIN


def test_drift_inside_chop_is_sideways_because_adx_is_weak():
    closes = [c * 1.0005 ** i for i, c in enumerate(flat_closes(200, amplitude=0.01, period=4))]
    view = _classify(closes)
    assert view.inputs["ema_fast"] > view.inputs["ema_slow"] and view.inputs["slope_pct"] > 0
    assert view.regime is Regime.SIDEWAYS
    assert classify_regime(klines_from_closes(closes), FAST, SLOW, 5.0).regime is Regime.UPTREND


def test_too_few_candles_is_sideways_with_the_shortfall_in_inputs():
    view = _classify(trend_closes(30, 0.01))
    assert view.regime is Regime.SIDEWAYS
    assert view.inputs == {"bars": 30.0, "bars_needed": float(SLOW + 10)}


def test_computed_at_defaults_to_the_last_candle_close():
    klines = klines_from_closes(trend_closes(100, 0.004))
    assert _classify([float(k.close) for k in klines]).computed_at == klines[-1].close_time


def test_params_refuse_fast_not_below_slow():
    with pytest.raises(ValueError, match="fast < slow"):
        RegimeParams(fast=50, slow=50)


def test_closed_only_drops_the_forming_candle():
    klines = klines_from_closes([1.0, 2.0, 3.0])
    now = klines[-1].open_time + timedelta(minutes=5)
    assert closed_only(klines, now) == klines[:2]


class _Market:
    """klines_provider whose trend the test switches."""

    def __init__(self):
        self.drift = {"BTCUSDT": 0.004, "ATOMUSDT": -0.004}
        self.calls = []

    def __call__(self, symbol, interval, limit):
        self.calls.append((symbol, interval, limit))
        return klines_from_closes(trend_closes(limit, self.drift[symbol]))


def _tracker(market, store, clock):
    clock.now = T0 + timedelta(days=30)
    return RegimeTracker(market, store, RegimeParams("1h", FAST, SLOW, ADX_MIN), clock=clock)


def test_tracker_records_history_and_announces_only_changes(store, clock):
    market = _Market()
    tracker = _tracker(market, store, clock)
    assert tracker.refresh().regime is Regime.UPTREND
    assert tracker.refresh().regime is Regime.UPTREND
    market.drift["BTCUSDT"] = -0.004
    assert tracker.refresh().regime is Regime.DOWNTREND

    assert [v.regime for v in tracker.history()] == [Regime.UPTREND] * 2 + [Regime.DOWNTREND]
    assert [v.regime for v in store.regime_history()] == [v.regime for v in tracker.history()]
    changes = store.events(kinds=[EventKind.REGIME_CHANGED])
    assert [(e.details["from"], e.details["to"]) for e in changes] == [
        (None, "UPTREND"), ("UPTREND", "DOWNTREND")]
    assert market.calls[0] == ("BTCUSDT", "1h", RegimeParams("1h", FAST, SLOW).fetch_limit)


def test_tracker_after_restart_continues_history_without_a_false_change(store, clock):
    market = _Market()
    _tracker(market, store, clock).refresh()
    again = _tracker(market, store, clock)
    assert again.current is not None and again.current.regime is Regime.UPTREND
    again.refresh()
    assert store.count(EventKind.REGIME_CHANGED) == 1


def test_local_trend_uses_the_symbol_own_candles(store, clock):
    market = _Market()
    tracker = _tracker(market, store, clock)
    assert tracker.local_trend("ATOMUSDT").regime is Regime.DOWNTREND
    assert tracker.current is None  # a local reading is not the global regime


def test_local_trend_function_matches_the_global_classification():
    klines = klines_from_closes(trend_closes(200, -0.004))
    params = RegimeParams("1h", FAST, SLOW, ADX_MIN)
    assert local_trend(klines, params) == classify_regime(klines, FAST, SLOW, ADX_MIN)
