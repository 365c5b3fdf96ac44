"""Sizing and stops never use an old mark price or a stalled candle set: the context refuses."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from bot.decisions import DecisionPipeline, KillSwitch, RuleBook
from bot.decisions.context import ExchangeContextProvider, InputLimits, StaleInputError
from bot.decisions.regime import RegimeParams, RegimeTracker
from bot.domain import Account, Direction, EventKind, MarkQuote, Signal
from tests.unit.decisions.builders import filters, klines_from_closes, trend_closes

D = Decimal
LIMITS = InputLimits(mark_max_age_s=30, kline_max_lag_s=120)


class Exchange:
    """Flat account, no positions; mark and candles as old as the test says."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.mark_age = timedelta(0)
        self.mark_time_known = True
        self.stalled = timedelta(0)  # how long ago the candle after the newest should have closed

    def account(self):
        return Account(D("1000"), D("1000"), D("0"))

    def positions(self):
        return []

    def mark_quote(self, symbol):
        at = self.clock() - self.mark_age if self.mark_time_known else None
        return MarkQuote(symbol, D("2.600"), at)

    def filters(self, symbol):
        return filters(symbol)

    def klines(self, symbol, interval, limit=500):
        step = timedelta(minutes=15)
        start = self.clock() - self.stalled - (limit + 1) * step
        return klines_from_closes(trend_closes(limit, 0.001, start=2.6), start=start,
                                  interval=step)


def _provider(store, clock, exchange, regime=None):
    return ExchangeContextProvider(exchange, SimpleNamespace(open_trades=list,
                                                             events=store.events),
                                   regime, leverage=5, clock=clock, limits=LIMITS)


def _signal(clock, direction=Direction.LONG, stop=None):
    return Signal("ATOMUSDT", direction, 0.9, "test", clock(), stop)


@pytest.mark.parametrize(("age_s", "ok"), [(0, True), (30, True), (31, False), (600, False)])
def test_context_when_mark_price_old_then_refused_with_its_age(store, clock, age_s, ok):
    exchange = Exchange(clock)
    exchange.mark_age = timedelta(seconds=age_s)
    provider = _provider(store, clock, exchange)
    if ok:
        assert provider(_signal(clock)).mark_price == D("2.600")
        return
    with pytest.raises(StaleInputError, match=rf"mark price of ATOMUSDT is {age_s} s old"):
        provider(_signal(clock))


def test_context_when_mark_price_has_no_time_then_refused(store, clock):
    exchange = Exchange(clock)
    exchange.mark_time_known = False
    with pytest.raises(StaleInputError, match="age is unknown"):
        _provider(store, clock, exchange)(_signal(clock))


@pytest.mark.parametrize(("lag_s", "ok"), [(0, True), (119, True), (121, False), (3600, False)])
def test_context_when_atr_candles_stalled_then_refused(store, clock, lag_s, ok):
    exchange = Exchange(clock)
    exchange.stalled = timedelta(seconds=lag_s)
    provider = _provider(store, clock, exchange)
    if ok:
        assert provider(_signal(clock)).atr is not None
        return
    with pytest.raises(StaleInputError, match="candles of ATOMUSDT end at"):
        provider(_signal(clock))


def test_context_when_signal_brings_its_stop_then_candles_not_read_so_not_checked(store, clock):
    exchange = Exchange(clock)
    exchange.stalled = timedelta(hours=5)
    ctx = _provider(store, clock, exchange)(_signal(clock, stop=D("2.5")))
    assert ctx.atr is None


def test_decide_when_mark_price_stale_then_denied_with_the_reason_recorded(store, clock):
    exchange = Exchange(clock)
    exchange.mark_age = timedelta(minutes=5)
    pipeline = DecisionPipeline(store, RuleBook(store, clock=clock), KillSwitch(store, clock),
                                ["ATOMUSDT"], clock=clock)
    outcome = pipeline.decide(_signal(clock, stop=D("2.5")), _provider(store, clock, exchange))
    assert not outcome.allowed and outcome.rule == "context"
    assert "mark price of ATOMUSDT is 300 s old" in outcome.reason
    [denied] = store.events(kinds=[EventKind.DECISION_DENIED])
    assert "300 s old" in denied.message


def test_context_when_regime_stale_then_global_regime_unknown_and_short_denied(store, clock):
    mono = [0.0]
    tracker = RegimeTracker(lambda s, i, n: klines_from_closes(trend_closes(n, 0.004)), store,
                            RegimeParams("1h", 20, 50, refresh_s=60), clock=clock,
                            monotonic=lambda: mono[0])
    tracker.refresh()
    exchange = Exchange(clock)
    provider = _provider(store, clock, exchange, regime=tracker)
    assert provider(_signal(clock, stop=D("2.5"))).global_regime is not None
    mono[0] += 121
    assert provider(_signal(clock, stop=D("2.5"))).global_regime is None
    pipeline = DecisionPipeline(store, RuleBook(store, clock=clock), KillSwitch(store, clock),
                                ["ATOMUSDT"], clock=clock)
    outcome = pipeline.decide(_signal(clock, Direction.SHORT, stop=D("2.7")), provider)
    assert not outcome.allowed and outcome.rule == "uptrend_short_block"
    assert "regime unknown" in outcome.reason
    assert store.count(EventKind.REGIME_STALE) == 1
