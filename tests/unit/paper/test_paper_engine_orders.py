"""Ordinary orders and the account: fills, fees, average entry, PnL, margin, liquidation."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from bot.paper.errors import PaperError
from bot.paper.model import OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from tests.unit.paper.helpers import Venue


def limit(symbol, side, qty, price, tif=TimeInForce.GTC, reduce_only=False):
    return OrderRequest(symbol=symbol, side=side, type=OrderType.LIMIT, quantity=D(qty),
                        price=D(price), time_in_force=tif, reduce_only=reduce_only)


def test_market_buy_when_filled_then_position_entry_and_taker_fee():
    v = Venue(BTCUSDT="95000")
    order = v.market_order("BTCUSDT", Side.BUY, "0.010")
    assert order.status is OrderStatus.FILLED and order.avg_price == D("95000")
    assert v.amount("BTCUSDT") == D("0.010")
    assert v.engine.account.wallet == D("10000") - D("950") * D("0.0004")


def test_adding_to_position_when_filled_then_average_entry():
    v = Venue(BTCUSDT="95000")
    v.market_order("BTCUSDT", Side.BUY, "0.010")
    v.move("BTCUSDT", "97000")
    v.market_order("BTCUSDT", Side.BUY, "0.010")
    assert v.engine.account.positions["BTCUSDT"].entry_price == D("96000")


def test_closing_when_price_moved_then_realized_pnl_in_wallet():
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.SELL, "1.000")
    v.move("ETHUSDT", "2900")
    v.market_order("ETHUSDT", Side.BUY, "1.000", reduce_only=True)
    fees = (D("3000") + D("2900")) * D("0.0004")
    assert v.amount("ETHUSDT") == 0
    assert v.engine.account.wallet == D("10000") + D("100") - fees
    assert v.engine.account.realized == D("100")


def test_flip_when_order_exceeds_position_then_new_side_at_fill_price():
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.BUY, "1.000")
    v.move("ETHUSDT", "3100")
    v.market_order("ETHUSDT", Side.SELL, "3.000")
    pos = v.engine.account.positions["ETHUSDT"]
    assert (pos.amount, pos.entry_price) == (D("-2.000"), D("3100"))


def test_reduce_only_larger_than_position_when_filled_then_clamped_to_position():
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.BUY, "0.500")
    order = v.market_order("ETHUSDT", Side.SELL, "2.000", reduce_only=True)
    assert order.executed_qty == D("0.500") and v.amount("ETHUSDT") == 0


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_reduce_only_when_it_would_increase_then_2022(side):
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", side, "0.500")
    with pytest.raises(PaperError) as info:
        v.market_order("ETHUSDT", side, "0.100", reduce_only=True)
    assert info.value.code == -2022 and v.amount("ETHUSDT") == D("0.500") * (
        1 if side is Side.BUY else -1)


def test_margin_when_notional_over_leverage_then_2019_and_nothing_booked():
    v = Venue(BTCUSDT="95000")
    with pytest.raises(PaperError) as info:
        v.market_order("BTCUSDT", Side.BUY, "2.200")
    assert info.value.code == -2019
    assert v.engine.orders == {} and len(v.engine.ledger) == 0


def test_limit_when_not_crossed_then_rests_and_fills_at_limit_when_crossed():
    v = Venue(BTCUSDT="95000")
    ack, order = v.engine.place_order(limit("BTCUSDT", Side.BUY, "0.010", "94000"))
    assert order.status is OrderStatus.NEW and v.engine.open_orders() == [order]
    v.move("BTCUSDT", "93000")  # a gap through the limit: the limit price, maker fee
    order = v.engine.get_order("BTCUSDT", order.order_id)
    assert order.status is OrderStatus.FILLED and order.avg_price == D("94000")
    assert v.engine.account.fees_paid == D("940") * D("0.0002")


def test_limit_when_crossed_at_placement_then_taker_at_better_price():
    v = Venue(BTCUSDT="95000")
    _, order = v.engine.place_order(limit("BTCUSDT", Side.BUY, "0.010", "96000"))
    assert order.status is OrderStatus.FILLED and order.avg_price == D("95000")


@pytest.mark.parametrize("tif", [TimeInForce.IOC, TimeInForce.FOK])
def test_ioc_when_not_crossed_then_expired(tif):
    v = Venue(BTCUSDT="95000")
    _, order = v.engine.place_order(limit("BTCUSDT", Side.BUY, "0.010", "94000", tif))
    assert order.status is OrderStatus.EXPIRED and v.engine.open_orders() == []


def test_gtx_when_crossing_then_expired_not_filled():
    v = Venue(BTCUSDT="95000")
    _, order = v.engine.place_order(limit("BTCUSDT", Side.BUY, "0.010", "96000",
                                          TimeInForce.GTX))
    assert order.status is OrderStatus.EXPIRED and v.amount("BTCUSDT") == 0


def test_cancel_when_resting_then_canceled_and_second_cancel_2011():
    v = Venue(BTCUSDT="95000")
    _, order = v.engine.place_order(limit("BTCUSDT", Side.BUY, "0.010", "94000"))
    assert v.engine.cancel_order("BTCUSDT", order.order_id).status is OrderStatus.CANCELED
    assert v.engine.get_order("BTCUSDT", order.order_id).status is OrderStatus.CANCELED
    with pytest.raises(PaperError) as info:
        v.engine.cancel_order("BTCUSDT", order.order_id)
    assert info.value.code == -2011


def test_duplicate_client_order_id_when_open_then_4116_and_reuse_after_close():
    v = Venue(BTCUSDT="95000")
    req = OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.LIMIT,
                       quantity=D("0.010"), price=D("94000"), time_in_force=TimeInForce.GTC,
                       client_order_id="qs-en-BTC-a-0")
    _, first = v.engine.place_order(req)
    with pytest.raises(PaperError) as info:
        v.engine.place_order(req)
    assert info.value.code == -4116
    v.engine.cancel_order("BTCUSDT", first.order_id)
    v.engine.place_order(req)


def test_ack_snapshot_when_market_order_then_new_but_record_filled():
    v = Venue(BTCUSDT="95000")
    ack, live = v.engine.place_order(OrderRequest(
        symbol="BTCUSDT", side=Side.BUY, type=OrderType.MARKET, quantity=D("0.010")))
    assert ack.status is OrderStatus.NEW and ack.executed_qty == 0
    assert live.status is OrderStatus.FILLED


def test_liquidation_when_margin_exhausted_then_positions_closed_and_ledgered():
    v = Venue(balance="1000", BTCUSDT="95000")
    v.market_order("BTCUSDT", Side.BUY, "0.200")  # 19 000 notional on 1 000: 19x
    v.move("BTCUSDT", "90300")  # liquidation sits near 90 400 (wallet 992.4, mmr 0.4%)
    assert v.amount("BTCUSDT") == 0
    assert any(e.action == "LIQUIDATED" for e in v.engine.ledger.since(0))
    assert v.engine.account.wallet >= 0


def test_no_liquidation_when_margin_still_above_maintenance():
    v = Venue(balance="1000", BTCUSDT="95000")
    v.market_order("BTCUSDT", Side.BUY, "0.200")
    v.move("BTCUSDT", "91000")  # loss 800; margin balance ~192 > maintenance ~73
    assert v.amount("BTCUSDT") == D("0.200")


def test_liquidation_price_when_long_then_below_entry_and_consistent():
    v = Venue(balance="1000", BTCUSDT="95000")
    v.market_order("BTCUSDT", Side.BUY, "0.200")
    liq = v.engine.account.liquidation_price("BTCUSDT", v.engine.mark)
    assert D("90000") < liq < D("95000")
    v.move("BTCUSDT", str((liq + 5).quantize(D("0.1"))))
    assert v.amount("BTCUSDT") == D("0.200")
    v.move("BTCUSDT", str((liq - 5).quantize(D("0.1"))))
    assert v.amount("BTCUSDT") == 0


def test_leverage_when_changed_then_margin_requirement_follows():
    v = Venue(balance="1000", BTCUSDT="95000")
    v.engine.set_leverage("BTCUSDT", 2)
    with pytest.raises(PaperError) as info:
        v.market_order("BTCUSDT", Side.BUY, "0.030")  # 2 850 / 2 > 1 000
    assert info.value.code == -2019
    with pytest.raises(PaperError) as bad:
        v.engine.set_leverage("BTCUSDT", 0)
    assert bad.value.code == -4028 and v.engine.account.leverage_of("BTCUSDT") == 2


def test_unknown_symbol_when_ordered_then_1121():
    v = Venue()
    with pytest.raises(PaperError) as info:
        v.market_order("DOGEUSDT", Side.BUY, "1")
    assert info.value.code == -1121
