"""Hedge mode and Multi-Assets mode: switching rules, positionSide and reduceOnly in hedge."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from bot.paper.errors import PaperError
from bot.paper.model import AlgoRequest, AlgoStatus, OrderRequest, OrderType, Side, TimeInForce
from tests.unit.paper.helpers import Venue


def order(side: Side, position_side: str = "BOTH", qty: str = "1.000", **extra):
    return OrderRequest(symbol="ETHUSDT", side=side, type=OrderType.MARKET, quantity=D(qty),
                        position_side=position_side, **extra)


def hedged() -> Venue:
    v = Venue(ETHUSDT="3000")
    v.engine.set_position_mode(True)
    return v


def code_of(call) -> int:
    with pytest.raises(PaperError) as info:
        call()
    return info.value.code


def test_switch_when_flat_then_hedge_and_same_again_4059():
    v = hedged()
    assert v.engine.account.dual_side is True
    assert code_of(lambda: v.engine.set_position_mode(True)) == -4059
    v.engine.set_position_mode(False)
    assert v.engine.account.dual_side is False


def test_switch_when_position_open_then_4068_and_mode_kept():
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.BUY, "1.000")
    assert code_of(lambda: v.engine.set_position_mode(True)) == -4068
    assert v.engine.account.dual_side is False


@pytest.mark.parametrize("resting", ["algo", "limit"])
def test_switch_when_open_order_then_4067(resting):
    v = Venue(ETHUSDT="3000")
    if resting == "algo":
        v.algo("ETHUSDT", Side.BUY, OrderType.STOP_MARKET, trigger="3100", qty="1.000")
    else:
        v.engine.place_order(OrderRequest(symbol="ETHUSDT", side=Side.BUY, type=OrderType.LIMIT,
                                          quantity=D("1.000"), price=D("2900"),
                                          time_in_force=TimeInForce.GTC))
    assert code_of(lambda: v.engine.set_position_mode(True)) == -4067


def test_hedge_order_when_position_side_both_or_missing_then_4061():
    v = hedged()
    assert code_of(lambda: v.engine.place_order(order(Side.BUY, "BOTH"))) == -4061


def test_one_way_order_when_position_side_long_then_4061():
    v = Venue(ETHUSDT="3000")
    assert code_of(lambda: v.engine.place_order(order(Side.BUY, "LONG"))) == -4061


@pytest.mark.parametrize("flag", [True, False])
def test_hedge_order_when_reduce_only_sent_then_1106_whatever_its_value(flag):
    v = hedged()
    with pytest.raises(PaperError) as info:
        v.engine.place_order(order(Side.SELL, "LONG", reduce_only=flag, reduce_only_sent=True))
    assert (info.value.code, info.value.msg) == (
        -1106, "Parameter 'reduceonly' sent when not required.")


def test_hedge_orders_when_long_opened_then_sell_long_closes_without_reduce_only():
    v = hedged()
    v.engine.place_order(order(Side.BUY, "LONG"))
    assert v.amount("ETHUSDT") == D("1.000")
    _, closing = v.engine.place_order(order(Side.SELL, "LONG", qty="2.000"))
    assert v.amount("ETHUSDT") == 0 and closing.executed_qty == D("1.000")
    assert closing.position_side == "LONG" and closing.reduce_only


def test_hedge_close_when_no_position_on_that_side_then_2022():
    v = hedged()
    assert code_of(lambda: v.engine.place_order(order(Side.BUY, "SHORT"))) == -2022


def test_hedge_open_when_other_side_held_then_paper_refusal():
    v = hedged()
    v.engine.place_order(order(Side.BUY, "LONG"))
    assert code_of(lambda: v.engine.place_order(order(Side.SELL, "SHORT"))) == -2010
    assert v.amount("ETHUSDT") == D("1.000")


def test_hedge_stop_when_close_position_sell_long_then_fires_and_closes():
    v = hedged()
    v.engine.place_order(order(Side.BUY, "LONG"))
    stop = v.engine.place_algo(AlgoRequest(
        symbol="ETHUSDT", side=Side.SELL, type=OrderType.STOP_MARKET, trigger_price=D("2900"),
        close_position=True, position_side="LONG"))
    v.move("ETHUSDT", "2890")
    done = v.engine.get_algo(stop.algo_id)
    assert done.status is AlgoStatus.FINISHED and done.position_side == "LONG"
    assert v.engine.orders[done.actual_order_id].position_side == "LONG"
    assert v.amount("ETHUSDT") == 0


def test_multi_assets_when_switched_then_flag_and_same_again_4171():
    v = Venue(ETHUSDT="3000")
    v.engine.set_multi_assets(True)
    assert v.engine.account.multi_assets is True
    assert code_of(lambda: v.engine.set_multi_assets(True)) == -4171


def test_multi_assets_when_open_order_then_4170():
    v = Venue(ETHUSDT="3000")
    v.algo("ETHUSDT", Side.BUY, OrderType.STOP_MARKET, trigger="3100", qty="1.000")
    assert code_of(lambda: v.engine.set_multi_assets(True)) == -4170
