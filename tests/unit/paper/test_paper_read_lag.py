"""Read-after-write lag: a just-placed algo order is missing from every query for a while."""

from __future__ import annotations

import pytest

from bot.paper.errors import PaperError
from bot.paper.model import AlgoStatus, OrderType, Side
from tests.unit.paper.helpers import Venue


def lagging(ms: int = 500) -> tuple[Venue, int]:
    v = Venue(ETHUSDT="3000", read_lag_ms=ms)
    v.market_order("ETHUSDT", Side.BUY, "1.000")
    algo = v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="2900", close=True,
                  client_id="qs-sl-lag")
    return v, algo.algo_id


def test_queries_when_inside_lag_then_order_missing_2013_and_cancel_2011():
    v, algo_id = lagging()
    assert v.engine.open_algos() == [] and v.engine.all_algos("ETHUSDT") == []
    with pytest.raises(PaperError) as by_id:
        v.engine.get_algo(algo_id)
    with pytest.raises(PaperError) as by_client:
        v.engine.get_algo(client_algo_id="qs-sl-lag")
    with pytest.raises(PaperError) as cancel:
        v.engine.cancel_algo(algo_id)
    assert (by_id.value.code, by_client.value.code, cancel.value.code) == (-2013, -2013, -2011)


def test_queries_when_lag_passed_then_order_visible_everywhere():
    v, algo_id = lagging(500)
    v.wall.ms += 500
    assert [a.algo_id for a in v.engine.open_algos("ETHUSDT")] == [algo_id]
    assert v.engine.get_algo(algo_id).status is AlgoStatus.NEW


def test_hidden_order_when_resent_then_still_duplicate_and_still_protects():
    v, algo_id = lagging()
    with pytest.raises(PaperError) as dup:
        v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="2900", close=True,
               client_id="qs-sl-lag")
    assert dup.value.code == -4116  # the engine knows it: a retry cannot make a second stop
    v.move("ETHUSDT", "2890")
    assert v.amount("ETHUSDT") == 0


def test_lag_when_zero_then_visible_at_once():
    v, algo_id = lagging(0)
    assert v.engine.get_algo(algo_id).algo_id == algo_id


def test_silent_cancel_when_inside_lag_then_control_still_reaches_the_order():
    v, algo_id = lagging()
    assert v.engine.silent_cancel(algo_id).status is AlgoStatus.CANCELED
    v.wall.ms += 500
    assert v.engine.get_algo(algo_id).status is AlgoStatus.CANCELED
