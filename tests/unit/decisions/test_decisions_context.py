from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from bot.decisions.context import ExchangeContextProvider
from bot.decisions.regime import RegimeParams, RegimeTracker
from bot.domain import Account, Direction, Event, EventKind, MarkQuote, Position, Regime, Signal
from tests.unit.decisions.builders import filters, klines_from_closes, trend_closes

D = Decimal


class _Exchange:
    """A hand-written read-only exchange with one open ATOM position."""

    def __init__(self, clock, btc_drift=0.004):
        self.clock = clock
        self.btc_drift = btc_drift
        self.kline_calls = []

    def account(self):
        return Account(D("1000"), D("800"), D("5"))

    def positions(self):
        return [Position("ATOMUSDT", Direction.LONG, D("10"), D("2.5"), D("2.6"), D("1"), 5)]

    def mark_quote(self, symbol):
        return MarkQuote(symbol, D("2.600"), self.clock())

    def filters(self, symbol):
        return filters(symbol)

    def klines(self, symbol, interval, limit=500):
        self.kline_calls.append((symbol, interval))
        drift = self.btc_drift if symbol == "BTCUSDT" else -0.004
        start = self.clock() - timedelta(hours=limit - 1)  # the last one still forming
        return klines_from_closes(trend_closes(limit, drift), start=start)


def _provider(store, clock, exchange):
    tracker = RegimeTracker(exchange.klines, store, RegimeParams("1h", 20, 50), clock=clock)
    tracker.refresh()
    exchange.kline_calls.clear()
    return ExchangeContextProvider(exchange, SimpleNamespace(
        open_trades=lambda: [SimpleNamespace(symbol="ATOMUSDT")] * 2,
        events=store.events), tracker, leverage=lambda s: 7, clock=clock)


def _signal(clock, symbol="ATOMUSDT", direction=Direction.SHORT, stop=None):
    return Signal(symbol, direction, 0.9, "test", clock(), stop)


def test_context_carries_account_positions_regime_and_local_trend(store, clock):
    exchange = _Exchange(clock)
    ctx = _provider(store, clock, exchange)(_signal(clock))
    assert ctx.account.equity == D("1005") and ctx.mark_price == D("2.600")
    assert (ctx.open_positions, ctx.symbol_has_position, ctx.entries_on_symbol) == (1, True, 2)
    assert ctx.leverage == 7
    assert (ctx.global_regime, ctx.local_trend) == (Regime.UPTREND, Regime.DOWNTREND)
    assert ctx.atr is not None and ctx.atr > 0  # no stop on the signal: ATR for the default
    assert ctx.last_stop_failure_at is None


def test_local_trend_and_atr_are_only_read_when_needed(store, clock):
    exchange = _Exchange(clock)
    provider = _provider(store, clock, exchange)
    ctx = provider(_signal(clock, direction=Direction.LONG, stop=D("2.5")))
    assert ctx.local_trend is None and ctx.atr is None and exchange.kline_calls == []
    ctx = provider(_signal(clock, symbol="BTCUSDT"))
    assert ctx.symbol_has_position is False and ctx.entries_on_symbol == 0


def test_context_reports_the_last_failed_stop(store, clock):
    exchange = _Exchange(clock)
    provider = _provider(store, clock, exchange)
    store.append(Event(EventKind.EMERGENCY_CLOSE, clock() - timedelta(minutes=3), "ATOMUSDT"))
    assert provider(_signal(clock)).last_stop_failure_at == clock() - timedelta(minutes=3)
