"""Symbol rules that change at run time: tick, step, algo cap and contract status."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from bot.paper.control import PaperControl
from bot.paper.errors import PaperError
from bot.paper.filters import changed_spec
from bot.paper.model import AlgoStatus, OrderRequest, OrderType, Side
from bot.paper.specs import KNOWN_SPECS
from tests.unit.paper.helpers import Venue

BTC = KNOWN_SPECS["BTCUSDT"]


def control_of(v: Venue) -> PaperControl:
    return PaperControl(v.engine, v.market, v.clock, faults=None, auth=None, limiter=None)


def code_of(call) -> int:
    with pytest.raises(PaperError) as info:
        call()
    return info.value.code


def stop(v: Venue, trigger: str, qty: str = "0.010", side: Side = Side.SELL, **extra):
    return v.algo("BTCUSDT", side, OrderType.STOP_MARKET, trigger=trigger, qty=qty, **extra)


@pytest.mark.parametrize("tick,precision", [("0.01", 2), ("0.001", 3), ("1", 2)])
def test_tick_when_changed_then_precision_grows_never_shrinks(tick, precision):
    spec = changed_spec(BTC, tick_size=tick)
    assert (spec.tick_size, spec.price_precision) == (D(tick), precision)


@pytest.mark.parametrize("bad", [{"tick_size": "0"}, {"tick_size": "abc"},
                                 {"step_size": "-1"}, {"max_algo_orders": 0},
                                 {"status": "BREAK"}, {}])
def test_change_when_invalid_then_value_error(bad):
    with pytest.raises(ValueError):
        changed_spec(BTC, **bad)


def test_coarser_tick_when_set_then_old_prices_refused_and_resting_stop_keeps_its_price():
    v = Venue(BTCUSDT="95000")
    v.market_order("BTCUSDT", Side.BUY, "0.020")
    kept = stop(v, "90000.5", reduce_only=True)
    control_of(v).set_filters("BTCUSDT", tick_size="1")
    assert code_of(lambda: stop(v, "90000.5", reduce_only=True)) == -4014
    stop(v, "90001", reduce_only=True)
    v.move("BTCUSDT", "90000")
    assert v.engine.get_algo(kept.algo_id).status is AlgoStatus.FINISHED


def test_step_when_changed_then_off_step_quantity_4023():
    v = Venue(BTCUSDT="95000")
    control_of(v).set_filters("BTCUSDT", step_size="0.005")
    assert code_of(lambda: v.market_order("BTCUSDT", Side.BUY, "0.012")) == -4023
    v.market_order("BTCUSDT", Side.BUY, "0.010")


def test_algo_cap_when_lowered_at_run_time_then_4045_past_it():
    v = Venue(BTCUSDT="95000")
    v.market_order("BTCUSDT", Side.BUY, "0.020")
    control_of(v).set_filters("BTCUSDT", max_algo_orders=1)
    stop(v, "90000", reduce_only=True)
    assert code_of(lambda: stop(v, "89000", reduce_only=True)) == -4045


def test_pre_settle_when_set_then_only_reduce_only_and_close_position_accepted():
    v = Venue(BTCUSDT="95000")
    v.market_order("BTCUSDT", Side.BUY, "0.020")
    control_of(v).set_symbol_status("BTCUSDT", "PRE_SETTLE")
    assert code_of(lambda: v.market_order("BTCUSDT", Side.BUY, "0.010")) == -4140
    assert code_of(lambda: stop(v, "99000", side=Side.BUY)) == -4140
    stop(v, "90000", qty=None, close=True)
    v.market_order("BTCUSDT", Side.SELL, "0.010", reduce_only=True)
    assert v.amount("BTCUSDT") == D("0.010")


@pytest.mark.parametrize("status,code", [("SETTLING", -1122), ("PENDING_TRADING", -1122),
                                         ("CLOSE", -4141)])
def test_suspended_when_set_then_every_new_order_refused_cancel_allowed(status, code):
    v = Venue(BTCUSDT="95000")
    v.market_order("BTCUSDT", Side.BUY, "0.020")
    resting = stop(v, "90000", reduce_only=True)
    control_of(v).set_symbol_status("BTCUSDT", status)
    assert code_of(lambda: v.market_order("BTCUSDT", Side.SELL, "0.010",
                                          reduce_only=True)) == code
    v.engine.cancel_algo(resting.algo_id)


def test_settling_when_price_crosses_stop_then_nothing_fires_until_trading_resumes():
    v = Venue(BTCUSDT="95000")
    v.market_order("BTCUSDT", Side.BUY, "0.020")
    resting = stop(v, "90000", reduce_only=True)
    control = control_of(v)
    control.set_symbol_status("BTCUSDT", "SETTLING")
    v.move("BTCUSDT", "89000")
    assert v.engine.get_algo(resting.algo_id).status is AlgoStatus.NEW
    control.set_symbol_status("BTCUSDT", "TRADING")
    v.move("BTCUSDT", "89000")
    assert v.engine.get_algo(resting.algo_id).status is AlgoStatus.FINISHED


def test_triggering_when_symbol_suspended_then_hand_over_waits():
    v = Venue(BTCUSDT="95000", trigger_delay_ms=300)
    v.market_order("BTCUSDT", Side.BUY, "0.020")
    resting = stop(v, "90000", reduce_only=True)
    v.move("BTCUSDT", "89000")
    control = control_of(v)
    control.set_symbol_status("BTCUSDT", "SETTLING")
    v.advance(1000)
    assert v.engine.get_algo(resting.algo_id).status is AlgoStatus.TRIGGERING
    control.set_symbol_status("BTCUSDT", "TRADING")
    v.advance(1)
    assert v.engine.get_algo(resting.algo_id).status is AlgoStatus.FINISHED


def test_reset_when_rules_changed_then_original_rules_back():
    v = Venue(BTCUSDT="95000")
    control = control_of(v)
    control.set_filters("BTCUSDT", tick_size="1", max_algo_orders=3)
    control.set_symbol_status("BTCUSDT", "SETTLING")
    v.engine.reset()
    assert v.engine.specs["BTCUSDT"] == BTC
    v.engine.place_order(OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.MARKET,
                                      quantity=D("0.010")))


def test_change_when_unknown_symbol_then_value_error():
    v = Venue()
    with pytest.raises(ValueError):
        control_of(v).set_symbol_status("NOPEUSDT", "TRADING")
