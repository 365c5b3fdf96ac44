"""Stale inputs against the paper venue: an old mark price refuses the signal, a stale
regime denies shorts; fresh ones go through."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.decisions import DecisionPipeline, KillSwitch, RuleBook
from bot.decisions.context import ExchangeContextProvider, InputLimits, StaleInputError
from bot.decisions.regime import RegimeParams, RegimeTracker
from bot.domain import Direction, EventKind, Signal
from bot.exchange.binance_adapter import BinanceAdapter, make_client
from bot.paper.clock import ManualClock
from bot.paper.server import PaperExchange
from bot.store import Store

KEY, SECRET = "stale-key", "stale-secret"
SYMBOL = "ATOMUSDT"


@pytest.fixture
def paper() -> Iterator[PaperExchange]:
    exchange = PaperExchange(KEY, SECRET, seed=11, clock=ManualClock(), balance=Decimal("10000"),
                             weight_limit=None, order_limits=False, tick_interval_s=None,
                             slippage_bps=0)
    exchange.start()
    try:
        yield exchange
    finally:
        exchange.stop()


@pytest.fixture
def adapter(paper) -> BinanceAdapter:
    return BinanceAdapter(make_client(KEY, SECRET, futures_url=paper.futures_url, timeout_s=5))


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'stale.db'}") as s:
        yield s


def venue_clock(paper: PaperExchange, ahead: timedelta = timedelta(0)):
    def now() -> datetime:
        return datetime.fromtimestamp(paper.clock.now_ms() / 1000, UTC) + ahead
    return now


def _signal(now, direction=Direction.LONG, stop="1.0") -> Signal:
    return Signal(SYMBOL, direction, 0.9, "test", now(), Decimal(stop) if stop else None)


def test_context_when_bot_clock_runs_ahead_of_venue_then_mark_price_refused(
    paper, adapter, store
) -> None:
    now = venue_clock(paper, ahead=timedelta(seconds=90))
    provider = ExchangeContextProvider(adapter, store, None, leverage=5, clock=now,
                                       limits=InputLimits(mark_max_age_s=30))
    with pytest.raises(StaleInputError, match=rf"mark price of {SYMBOL} is 90 s old"):
        provider(_signal(now))


def test_context_when_venue_answers_now_then_mark_and_candles_used(paper, adapter, store) -> None:
    now = venue_clock(paper)
    provider = ExchangeContextProvider(adapter, store, None, leverage=5, clock=now,
                                       atr_interval="15m")
    ctx = provider(_signal(now, stop=None))
    assert ctx.mark_price == adapter.mark_price(SYMBOL)
    assert ctx.atr is not None and ctx.atr > 0


def test_decide_when_regime_goes_stale_then_short_denied_and_flagged_once(
    paper, adapter, store
) -> None:
    now = venue_clock(paper)
    mono = [0.0]
    tracker = RegimeTracker(adapter.klines, store, RegimeParams(refresh_s=60), clock=now,
                            monotonic=lambda: mono[0])
    tracker.refresh()
    provider = ExchangeContextProvider(adapter, store, tracker, leverage=5, clock=now)
    pipeline = DecisionPipeline(store, RuleBook(store, clock=now), KillSwitch(store, now),
                                [SYMBOL], clock=now)
    mark = adapter.mark_price(SYMBOL)
    mono[0] += 121
    for _ in range(3):
        signal = _signal(now, Direction.SHORT, stop=str(mark * Decimal("1.05")))
        outcome = pipeline.decide(signal, provider)
        assert not outcome.allowed and outcome.rule == "uptrend_short_block"
        assert "regime unknown" in outcome.reason
    assert store.count(EventKind.REGIME_STALE) == 1
    assert tracker.current is not None and tracker.current.stale
