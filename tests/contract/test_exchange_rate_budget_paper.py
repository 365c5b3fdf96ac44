"""The request budget against the paper venue's real 418 and weight headers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from bot.domain import Side, errors
from bot.exchange.binance_adapter import BinanceAdapter, make_client
from bot.exchange.budget import BudgetLimits
from bot.paper.clock import ManualClock
from bot.paper.server import PaperExchange
from tests.fixtures.paper import eventually

KEY, SECRET = "budget-key", "budget-secret"
SYMBOL = "ATOMUSDT"
WEIGHT_LIMIT = 200


@pytest.fixture
def venue() -> Iterator[PaperExchange]:
    exchange = PaperExchange(KEY, SECRET, seed=3, clock=ManualClock(), balance=Decimal("10000"),
                             weight_limit=WEIGHT_LIMIT, slippage_bps=0, ws_port=None,
                             tick_interval_s=None)
    exchange.start()
    try:
        yield exchange
    finally:
        exchange.stop()


@pytest.fixture
def adapter(venue) -> BinanceAdapter:
    return BinanceAdapter(make_client(KEY, SECRET, futures_url=venue.futures_url, timeout_s=5),
                          limits=BudgetLimits(weight_per_min=WEIGHT_LIMIT, reserve_share=0.8))


def _same_minute_ahead(seconds: float) -> None:
    """The venue's weight window is the wall minute: do not straddle its end."""
    if time.time() % 60 > 60 - seconds:
        time.sleep(60 - time.time() % 60 + 0.05)


def test_adapter_when_venue_bans_then_nothing_sent_until_retry_after_ends(venue, adapter):
    adapter.filters(SYMBOL)
    venue.control.ban(2)
    with pytest.raises(errors.RateLimitedError) as first:
        adapter.positions()
    assert first.value.http_status == 418
    sent = adapter.request_count
    with pytest.raises(errors.RateLimitedError, match=r"not sent: .*HTTP 418\) for [12] s more"):
        adapter.positions()
    with pytest.raises(errors.RateLimitedError, match="not sent"):
        adapter.place_stop(SYMBOL, Side.SELL, Decimal("1"), "qs-sl-ATOM-0123456789-0")
    assert adapter.request_count == sent
    assert adapter.request_budget().banned_until is not None

    def unbanned() -> bool:
        try:
            adapter.positions()
        except errors.RateLimitedError:
            return False
        return True

    eventually(unbanned, timeout=5.0, interval=0.1)
    assert adapter.request_budget().banned_until is None


def test_adapter_when_weight_above_reserve_then_entry_refused_locally_stop_still_placed(
    venue, adapter
):
    _same_minute_ahead(10)
    adapter.filters(SYMBOL)
    while adapter.request_budget().used_weight <= 0.8 * WEIGHT_LIMIT:
        adapter.positions()  # 5 each, as the venue counts it
    assert adapter.request_budget().reserve_only
    entries_before = venue.control.state()["positions"]
    with pytest.raises(errors.RateLimitedError, match="kept for protection"):
        adapter.market_order(SYMBOL, Side.BUY, Decimal("10"), "qs-en-ATOM-0123456789-0")
    mark = adapter.mark_price(SYMBOL)
    stop = adapter.place_stop(SYMBOL, Side.SELL, mark * Decimal("0.9"), "qs-sl-ATOM-0123456789-0")
    assert stop.status.is_open
    with adapter.deferrable(), pytest.raises(errors.RateLimitedError, match="deferred"):
        adapter.klines(SYMBOL, "15m", 100)
    assert venue.control.state()["positions"] == entries_before
