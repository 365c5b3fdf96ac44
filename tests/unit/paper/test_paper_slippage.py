"""The default slippage model: seeded, always against the taker, and off when asked."""

from __future__ import annotations

import random
from decimal import Decimal as D

import pytest

from bot.paper.clock import ManualClock
from bot.paper.engine import MatchingEngine
from bot.paper.model import OrderRequest, OrderType, Side, TimeInForce
from bot.paper.slippage import DEFAULT_SLIPPAGE, NO_SLIPPAGE, Slippage
from tests.fixtures.paper import StaticMarket
from tests.unit.paper.helpers import Venue

TICK = D("0.01")


@pytest.mark.parametrize("side,worse", [(Side.BUY, lambda p: p > D("3000")),
                                        (Side.SELL, lambda p: p < D("3000"))])
def test_default_model_when_market_fill_then_at_least_one_tick_worse_and_within_bound(side,
                                                                                      worse):
    rng = random.Random(1)
    bound = D("3000") * DEFAULT_SLIPPAGE.max_bps / D("10000") + TICK
    for _ in range(200):
        price = DEFAULT_SLIPPAGE.fill_price(side, D("3000"), TICK, rng)
        assert worse(price) and abs(price - D("3000")) <= bound and price % TICK == 0


def test_zero_model_when_market_fill_then_exact_last_price_and_no_draw():
    rng = random.Random(1)
    state = rng.getstate()
    assert NO_SLIPPAGE.fill_price(Side.BUY, D("3000.00"), TICK, rng) == D("3000.00")
    assert rng.getstate() == state


@pytest.mark.parametrize("value", ["-1", "1000.01", "NaN", "Infinity"])
def test_model_when_out_of_range_then_value_error(value):
    with pytest.raises(ValueError):
        Slippage.bps(value)


def test_engine_default_when_built_without_slippage_then_model_is_on():
    engine = MatchingEngine(StaticMarket(), ManualClock())
    assert engine.slippage == DEFAULT_SLIPPAGE and DEFAULT_SLIPPAGE.max_bps > 0


def _stop_fill(seed: int, side: Side, slippage_bps: str = "2") -> tuple[D, Venue]:
    v = Venue(slippage_bps=slippage_bps, seed=seed, ETHUSDT="3000.00")
    entry, trigger, through = ((Side.BUY, "2950.00", "2950.00") if side is Side.SELL
                               else (Side.SELL, "3050.00", "3050.00"))
    v.market_order("ETHUSDT", entry, "1.000")
    algo = v.algo("ETHUSDT", side, OrderType.STOP_MARKET, trigger=trigger, close=True)
    v.move("ETHUSDT", through)  # touches the trigger exactly: no gap to hide behind
    done = v.engine.get_algo(algo.algo_id)
    assert done.actual_price is not None
    return done.actual_price, v


@pytest.mark.parametrize("side", [Side.SELL, Side.BUY])
def test_triggered_stop_when_default_model_then_fills_worse_than_trigger_in_ledger_and_trades(
        side):
    fill, v = _stop_fill(7, side)
    trigger = D("2950.00") if side is Side.SELL else D("3050.00")
    assert fill < trigger if side is Side.SELL else fill > trigger
    child = [e for e in v.engine.ledger.since(0) if e.action == "FILLED"][-1]
    assert D(child.price) == fill
    stop_trade = v.engine.trades.all()[-1]
    assert stop_trade.price == fill and stop_trade.order_id == child.order_id
    assert stop_trade.commission == (fill * D("1.000") * D("0.0004")).quantize(D("1E-8"))


def test_triggered_stop_when_slippage_off_then_fills_at_trigger():
    fill, _ = _stop_fill(7, Side.SELL, slippage_bps="0")
    assert fill == D("2950.00")


def test_slippage_when_same_seed_then_same_prices_and_other_seed_other_prices():
    runs = {seed: [_stop_fill(seed, Side.SELL)[0] for _ in range(2)] for seed in (7, 8, 9)}
    assert runs[7][0] == runs[7][1]
    assert len({runs[7][0], runs[8][0], runs[9][0]}) > 1


def test_limit_fill_when_default_model_then_no_slippage_on_maker_price():
    v = Venue(slippage_bps="2", ETHUSDT="3000.00")
    v.engine.place_order(OrderRequest(symbol="ETHUSDT", side=Side.BUY, type=OrderType.LIMIT,
                                      quantity=D("0.100"), price=D("2990.00"),
                                      time_in_force=TimeInForce.GTC))
    v.move("ETHUSDT", "2980.00")
    [trade] = v.engine.trades.all()
    assert trade.price == D("2990.00") and trade.maker
