"""The budget counts against the limits the venue publishes in exchangeInfo, over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from bot.domain import errors
from bot.exchange.binance_adapter import BinanceAdapter, make_client
from bot.exchange.budget import BudgetLimits
from bot.paper.clock import ManualClock
from bot.paper.server import PaperExchange
from bot.runtime.assembly import budget_limits
from bot.settings import load_settings

KEY, SECRET = "limits-key", "limits-secret"
SYMBOL = "ATOMUSDT"
VENUE_WEIGHT = 300


def _venue(**kwargs) -> PaperExchange:
    exchange = PaperExchange(KEY, SECRET, seed=3, clock=ManualClock(), balance=Decimal("10000"),
                             slippage_bps=0, ws_port=None, tick_interval_s=None, **kwargs)
    exchange.start()
    return exchange


@pytest.fixture
def venue() -> Iterator[PaperExchange]:
    exchange = _venue(weight_limit=VENUE_WEIGHT)
    try:
        yield exchange
    finally:
        exchange.stop()


def _adapter(venue: PaperExchange, limits: BudgetLimits) -> BinanceAdapter:
    return BinanceAdapter(make_client(KEY, SECRET, futures_url=venue.futures_url, timeout_s=5),
                          limits=limits)


def test_budget_when_venue_publishes_a_smaller_weight_limit_then_counts_against_it(venue):
    adapter = _adapter(venue, BudgetLimits(reserve_share=0.8))
    assert adapter.request_budget().weight_limit == 2400  # Binance's, until exchangeInfo
    adapter.filters(SYMBOL)
    budget = adapter.request_budget()
    assert (budget.weight_limit, budget.order_limit_10s, budget.order_limit_1m) == (
        VENUE_WEIGHT, 300, 1200)
    if time.time() % 60 > 50:  # the venue's weight window is the wall minute
        time.sleep(60 - time.time() % 60 + 0.05)
    while adapter.request_budget().used_weight <= 0.8 * VENUE_WEIGHT:
        adapter.positions()
    with adapter.deferrable(), pytest.raises(errors.RateLimitedError,
                                             match=rf"/{VENUE_WEIGHT} would pass the 80%"):
        adapter.klines(SYMBOL, "15m", 100)
    assert adapter.request_budget().reserve_only


def test_budget_when_operator_set_the_weight_limit_then_the_venue_does_not_override_it(venue):
    adapter = _adapter(venue, BudgetLimits(weight_per_min=1000, reserve_share=0.8))
    adapter.filters(SYMBOL)
    budget = adapter.request_budget()
    assert (budget.weight_limit, budget.order_limit_10s) == (1000, 300)


def test_budget_when_venue_runs_without_limits_then_binance_figures_stay():
    exchange = _venue(weight_limit=None, order_limits=False)
    try:
        adapter = _adapter(exchange, BudgetLimits(reserve_share=0.8))
        adapter.filters(SYMBOL)
        budget = adapter.request_budget()
        assert (budget.weight_limit, budget.order_limit_10s, budget.order_limit_1m) == (
            2400, 300, 1200)
    finally:
        exchange.stop()


@pytest.mark.parametrize(("env", "weight"), [({}, None),
                                             ({"QT_RATE_WEIGHT_LIMIT": "2400"}, 2400),
                                             ({"QT_RATE_WEIGHT_LIMIT": "900"}, 900)])
def test_assembled_budget_when_qt_rate_weight_limit_set_or_not_then_operator_or_venue(
    env, weight
):
    limits = budget_limits(load_settings({"QT_RATE_RESERVE_SHARE": "0.7", **env}))
    assert (limits.weight_per_min, limits.reserve_share) == (weight, 0.7)
