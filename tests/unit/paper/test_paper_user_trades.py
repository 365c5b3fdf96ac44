"""userTrades at the engine: one row per fill with what was booked, and Binance's selection."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from bot.paper import parsing
from bot.paper.errors import PaperError
from bot.paper.model import OrderRequest, OrderType, Side, TimeInForce
from bot.paper.trades import WEEK_MS, TradeQuery
from tests.unit.paper.helpers import Venue

HOUR = 3_600_000


def _net(trades) -> D:
    return sum((t.realized_pnl - t.commission for t in trades), D(0))


def _round_trip(v: Venue) -> None:
    """Every kind of fill: market entry, resting limit (maker), market close, stop child."""
    v.market_order("ETHUSDT", Side.BUY, "1.000")
    v.engine.place_order(OrderRequest(symbol="ETHUSDT", side=Side.BUY, type=OrderType.LIMIT,
                                      quantity=D("0.500"), price=D("2990.00"),
                                      time_in_force=TimeInForce.GTC))
    v.clock.advance(HOUR)
    v.move("ETHUSDT", "2985.37")  # the limit fills at 2990 as maker
    v.move("ETHUSDT", "3050.11")
    v.market_order("ETHUSDT", Side.SELL, "0.700", reduce_only=True)
    v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="3010.00", close=True)
    v.clock.advance(HOUR)
    v.move("ETHUSDT", "3004.99")  # the stop fires: its MARKET child closes the rest


@pytest.mark.parametrize("slippage_bps", ["0", "2", "15"])
def test_round_trip_when_every_fill_kind_then_trades_sum_to_wallet_change(slippage_bps):
    v = Venue(slippage_bps=slippage_bps, ETHUSDT="3000.00")
    _round_trip(v)
    trades = v.engine.trades.all()
    fills = [e for e in v.engine.ledger.since(0) if e.action == "FILLED"]
    assert len(trades) == len(fills) == 4 and v.amount("ETHUSDT") == 0
    assert _net(trades) == v.engine.account.wallet - D("10000")
    assert [t.maker for t in trades] == [False, True, False, False]
    for trade, fill in zip(trades, fills, strict=True):
        assert fill.details["tradeId"] == trade.trade_id and fill.order_id == trade.order_id
        assert D(fill.price) == trade.price and D(fill.details["lastQty"]) == trade.qty
        assert D(fill.details["fee"]) == trade.commission
        assert D(fill.details["realizedPnl"]) == trade.realized_pnl
    assert [t.trade_id for t in trades] == sorted({t.trade_id for t in trades})


def test_booked_amounts_when_many_decimals_then_rounded_to_eight_like_usdt():
    v = Venue(ETHUSDT="3000.01")
    v.market_order("ETHUSDT", Side.BUY, "0.037")  # fee 0.044400148 before rounding
    [trade] = v.engine.trades.all()
    assert trade.commission == D("0.04440015")
    assert v.engine.account.wallet == D("10000") - D("0.04440015")


def test_liquidation_when_closed_at_mark_then_row_with_booked_pnl_and_insurance_rest():
    v = Venue(balance="1000", BTCUSDT="95000")
    v.market_order("BTCUSDT", Side.BUY, "0.200")
    v.move("BTCUSDT", "85000")  # far past the liquidation price: the wallet goes negative
    [entry, liquidation] = v.engine.trades.all()
    account = v.engine.account
    assert liquidation.price == D("85000") and liquidation.side is Side.SELL
    assert liquidation.realized_pnl == D("-2000")
    assert account.insurance_cover > 0  # the fund took what the wallet could not pay
    assert _net([entry, liquidation]) + account.insurance_cover == account.wallet - D("1000")


def test_reset_when_called_then_no_trades_and_ids_keep_growing():
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.BUY, "0.100")
    [before] = v.engine.trades.all()
    v.engine.reset()
    assert v.engine.trades.all() == []
    v.market_order("ETHUSDT", Side.BUY, "0.100")
    assert v.engine.trades.all()[0].trade_id > before.trade_id


def _three_trades(v: Venue) -> list:
    """Three ETH fills one hour apart, and one BTC fill that no ETH query may show."""
    ids = []
    for _ in range(3):
        ids.append(v.market_order("ETHUSDT", Side.BUY, "0.100").order_id)
        v.clock.advance(HOUR)
    v.market_order("BTCUSDT", Side.BUY, "0.002")
    return ids


def test_select_when_order_id_then_only_that_orders_trade():
    v = Venue(ETHUSDT="3000")
    ids = _three_trades(v)
    [row] = v.engine.user_trades(TradeQuery("ETHUSDT", order_id=ids[1]))
    assert row.order_id == ids[1]
    assert v.engine.user_trades(TradeQuery("ETHUSDT", order_id=123)) == []


def test_select_when_from_id_then_that_id_on_oldest_first_up_to_limit():
    v = Venue(ETHUSDT="3000")
    _three_trades(v)
    eth = [t for t in v.engine.trades.all() if t.symbol == "ETHUSDT"]
    got = v.engine.user_trades(TradeQuery("ETHUSDT", from_id=eth[1].trade_id))
    assert got == eth[1:]
    assert v.engine.user_trades(TradeQuery("ETHUSDT", from_id=eth[0].trade_id, limit=1)) == eth[:1]


def test_select_when_time_window_then_inclusive_bounds_and_most_recent_by_default():
    v = Venue(ETHUSDT="3000")
    start = v.clock.now_ms()
    _three_trades(v)
    eth = [t for t in v.engine.trades.all() if t.symbol == "ETHUSDT"]
    assert v.engine.user_trades(TradeQuery("ETHUSDT", start_ms=start + HOUR)) == eth[1:]
    assert v.engine.user_trades(TradeQuery("ETHUSDT", end_ms=start + HOUR)) == eth[:2]
    assert v.engine.user_trades(TradeQuery("ETHUSDT", limit=2)) == eth[1:]  # the newest two
    assert v.engine.user_trades(TradeQuery("BTCUSDT"))[0].symbol == "BTCUSDT"


def test_select_when_nothing_says_which_then_only_the_last_seven_days():
    v = Venue(ETHUSDT="3000")
    old = v.market_order("ETHUSDT", Side.BUY, "0.100")
    v.clock.advance(WEEK_MS + HOUR)
    new = v.market_order("ETHUSDT", Side.BUY, "0.100")
    assert [t.order_id for t in v.engine.user_trades(TradeQuery("ETHUSDT"))] == [new.order_id]
    assert [t.order_id for t in v.engine.user_trades(TradeQuery("ETHUSDT", from_id=0))] == [
        old.order_id, new.order_id]


@pytest.mark.parametrize("params,code", [
    ({}, -1102),
    ({"symbol": "ETHUSDT", "orderId": "12x"}, -1102),
    ({"symbol": "ETHUSDT", "limit": "0"}, -1130),
    ({"symbol": "ETHUSDT", "limit": "1001"}, -1130),
    ({"symbol": "ETHUSDT", "fromId": "1", "startTime": "1"}, -1128),
    ({"symbol": "ETHUSDT", "fromId": "1", "endTime": "1"}, -1128),
    ({"symbol": "ETHUSDT", "startTime": "2000", "endTime": "1000"}, -1023),
    ({"symbol": "ETHUSDT", "startTime": "0", "endTime": str(WEEK_MS + 1)}, -1127),
])
def test_trade_query_when_params_bad_then_binance_code(params, code):
    with pytest.raises(PaperError) as info:
        parsing.trade_query(params)
    assert info.value.code == code


def test_trade_query_when_defaults_then_limit_500_and_week_span_allowed():
    query = parsing.trade_query({"symbol": "ETHUSDT", "startTime": "0",
                                 "endTime": str(WEEK_MS)})
    assert (query.limit, query.start_ms, query.end_ms) == (500, 0, WEEK_MS)


def test_user_trades_when_unknown_symbol_then_1121():
    v = Venue(ETHUSDT="3000")
    with pytest.raises(PaperError) as info:
        v.engine.user_trades(TradeQuery("NOPEUSDT"))
    assert info.value.code == -1121
