"""Open conditional-order caps: the symbol's MAX_NUM_ALGO_ORDERS beside the account's 200."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.paper.errors import PaperError
from bot.paper.model import OrderType, Side
from bot.paper.specs import KNOWN_SPECS
from tests.unit.paper.helpers import Venue


def capped(limit: int, delay: int = 0) -> Venue:
    eth = replace(KNOWN_SPECS["ETHUSDT"], max_algo_orders=limit)
    v = Venue(ETHUSDT="3000", BTCUSDT="95000", trigger_delay_ms=delay, specs={"ETHUSDT": eth})
    v.market_order("ETHUSDT", Side.BUY, "5.000")
    return v


def eth_stop(v: Venue, trigger: str):
    return v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger=trigger, qty="0.100",
                  reduce_only=True)


def test_symbol_cap_when_reached_then_4045_and_other_symbols_still_accept():
    v = capped(10)
    stops = [eth_stop(v, str(2900 - i)) for i in range(10)]
    with pytest.raises(PaperError) as info:
        eth_stop(v, "2800")
    assert (info.value.code, info.value.msg) == (-4045, "Reach max stop order limit.")
    v.algo("BTCUSDT", Side.BUY, OrderType.STOP_MARKET, trigger="99000", qty="0.010")
    v.engine.cancel_algo(stops[0].algo_id)
    eth_stop(v, "2800")
    assert len(v.engine.open_algos("ETHUSDT")) == 10


def test_symbol_cap_when_order_triggering_then_it_still_counts():
    v = capped(2, delay=500)
    eth_stop(v, "2900")
    eth_stop(v, "2800")
    v.move("ETHUSDT", "2890")  # the first fires and sits in TRIGGERING
    with pytest.raises(PaperError) as info:
        eth_stop(v, "2700")
    assert info.value.code == -4045
    v.advance(500)
    eth_stop(v, "2700")


def test_exchange_info_when_symbol_capped_then_filter_shows_its_limit():
    v = capped(10)
    filters = {f["filterType"]: f for f in v.engine.specs["ETHUSDT"].exchange_info()["filters"]}
    assert filters["MAX_NUM_ALGO_ORDERS"]["limit"] == 10
