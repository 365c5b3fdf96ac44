"""Filters against the paper venue: a tick change mid-run is absorbed by one refresh and
one retry; a symbol that leaves TRADING keeps its filters for its position's protection."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from bot.domain import Direction, Side
from bot.exchange.binance_adapter import BinanceAdapter, make_client
from bot.paper.clock import ManualClock
from bot.paper.server import PaperExchange

KEY, SECRET = "filters-key", "filters-secret"
SYMBOL = "ATOMUSDT"


@pytest.fixture
def venue() -> Iterator[PaperExchange]:
    exchange = PaperExchange(KEY, SECRET, seed=3, clock=ManualClock(), balance=Decimal("10000"),
                             slippage_bps=0, ws_port=None, tick_interval_s=None)
    exchange.start()
    try:
        yield exchange
    finally:
        exchange.stop()


@pytest.fixture
def adapter(venue) -> BinanceAdapter:
    return BinanceAdapter(make_client(KEY, SECRET, futures_url=venue.futures_url, timeout_s=5))


def test_place_stop_when_venue_tick_grew_since_cached_then_refreshed_and_placed(venue, adapter):
    old_tick = adapter.filters(SYMBOL).tick_size
    new_tick = old_tick * 100
    venue.control.set_filters(SYMBOL, tick_size=str(new_tick))
    mark = adapter.mark_price(SYMBOL)
    trigger = (mark * Decimal("1.1")).quantize(old_tick) + old_tick  # on the old grid only
    stop = adapter.place_stop(SYMBOL, Side.BUY, trigger, "qs-sl-ATOM-0123456789-0")
    assert stop.status.is_open and stop.trigger_price is not None
    assert stop.trigger_price % new_tick == 0
    assert adapter.filters(SYMBOL).tick_size == new_tick
    sent = adapter.weight_snapshot().by_endpoint
    assert sent["POST /fapi/v1/algoOrder"].requests == 2  # rejected once, then re-rounded
    assert sent["GET /fapi/v1/exchangeInfo"].requests == 2


def test_position_when_symbol_leaves_trading_then_still_protected_and_closed(venue, adapter):
    mark = adapter.mark_price(SYMBOL)
    qty = adapter.filters(SYMBOL).round_qty(Decimal("20") / mark * 10)
    adapter.market_order(SYMBOL, Side.BUY, qty, "qs-en-ATOM-0123456789-0")
    venue.control.set_symbol_status(SYMBOL, "PRE_SETTLE")
    assert SYMBOL not in adapter.refresh_filters()
    assert SYMBOL not in adapter.symbols()
    stop = adapter.place_stop(SYMBOL, Side.SELL, mark * Decimal("0.8"), "qs-sl-ATOM-0123456789-0")
    assert stop.status.is_open
    [position] = adapter.positions()
    assert position.direction is Direction.LONG
    adapter.market_order(SYMBOL, Side.SELL, position.quantity, "qs-cl-ATOM-0123456789-0",
                         reduce_only=True)
    assert adapter.positions() == []
