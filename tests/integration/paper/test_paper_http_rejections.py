"""Every rejection the bot can meet, through python-binance: Binance's code, message and status."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from binance.exceptions import BinanceAPIException

from bot.paper.clock import ManualClock
from bot.paper.server import PaperExchange
from bot.paper.specs import KNOWN_SPECS
from tests.fixtures.paper import API_KEY, API_SECRET, StaticMarket, make_client


@pytest.fixture
def venue():
    """BTC at 95000, ETH at 3200; ATOMUSDT with a step (0.05) finer than its precision allows."""
    atom = replace(KNOWN_SPECS["ATOMUSDT"], step_size=Decimal("0.05"), min_qty=Decimal("0.05"))
    exchange = PaperExchange(api_key=API_KEY, api_secret=API_SECRET, clock=ManualClock(),
                             market=StaticMarket(), specs={"ATOMUSDT": atom})
    exchange.start()
    yield exchange
    exchange.stop()


@pytest.fixture
def client(venue):
    return make_client(venue)


def rejected(call, *args, **kwargs) -> BinanceAPIException:
    with pytest.raises(BinanceAPIException) as info:
        call(*args, **kwargs)
    return info.value


def raw_order(client, **params):
    """POST /fapi/v1/order as sent, bypassing python-binance's routing of conditional types."""
    return client._request_futures_api("post", "order", True, data=params)


def long_btc(client, qty: str = "0.010") -> None:
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=qty)


CASES = [
    ("sl_above_mark_for_long", -2021, "Order would immediately trigger.",
     dict(symbol="BTCUSDT", side="SELL", type="STOP_MARKET", stopPrice="95100",
          closePosition="true", workingType="MARK_PRICE")),
    ("sl_below_price_for_short", -2021, "Order would immediately trigger.",
     dict(symbol="BTCUSDT", side="BUY", type="STOP_MARKET", stopPrice="94000",
          quantity="0.010", reduceOnly="true")),
    ("tp_already_reached", -4142, "TP/SL order would be triggered immediately.",
     dict(symbol="BTCUSDT", side="SELL", type="TAKE_PROFIT_MARKET", stopPrice="94000",
          closePosition="true")),
    ("callback_above_20", -2007, "Invalid callBack rate.",
     dict(symbol="BTCUSDT", side="SELL", type="TRAILING_STOP_MARKET", callbackRate="25",
          quantity="0.010", reduceOnly="true")),
    ("callback_below_0_1", -2007, "Invalid callBack rate.",
     dict(symbol="BTCUSDT", side="SELL", type="TRAILING_STOP_MARKET", callbackRate="0.05",
          quantity="0.010", reduceOnly="true")),
    ("trailing_activation_below_price_for_sell", -2021, "Order would immediately trigger.",
     dict(symbol="BTCUSDT", side="SELL", type="TRAILING_STOP_MARKET", callbackRate="1",
          activatePrice="94000", quantity="0.010", reduceOnly="true")),
    ("trigger_precision", -1111, "Precision is over the maximum defined for this asset.",
     dict(symbol="BTCUSDT", side="SELL", type="STOP_MARKET", stopPrice="90000.123",
          closePosition="true")),
    ("trigger_tick", -4014, "Price not increased by tick size.",
     dict(symbol="BTCUSDT", side="SELL", type="STOP_MARKET", stopPrice="90000.05",
          closePosition="true")),
    ("bad_client_algo_id", -1100,
     "Illegal characters found in parameter 'clientAlgoId'; legal range is "
     r"'^[\.A-Z\:/a-z0-9_-]{1,36}$'.",
     dict(symbol="BTCUSDT", side="SELL", type="STOP_MARKET", stopPrice="90000",
          closePosition="true", clientAlgoId="has space")),
    ("close_position_with_quantity", -1106, "Parameter 'quantity' sent when not required.",
     dict(symbol="BTCUSDT", side="SELL", type="STOP_MARKET", stopPrice="90000",
          closePosition="true", quantity="0.010")),
    ("unknown_symbol", -1121, "Invalid symbol.",
     dict(symbol="FOOUSDT", side="SELL", type="STOP_MARKET", stopPrice="90000",
          closePosition="true")),
    ("missing_trigger", -1102,
     "Mandatory parameter 'triggerPrice' was not sent, was empty/null, or malformed.",
     dict(symbol="BTCUSDT", side="SELL", type="STOP_MARKET", closePosition="true")),
    ("malformed_trigger", -1102,
     "Mandatory parameter 'triggerPrice' was not sent, was empty/null, or malformed.",
     dict(symbol="BTCUSDT", side="SELL", type="STOP_MARKET", stopPrice="9e4",
          closePosition="true")),
    ("hedge_position_side", -4061, "Order's position side does not match user's setting.",
     dict(symbol="BTCUSDT", side="SELL", type="STOP_MARKET", stopPrice="90000",
          closePosition="true", positionSide="LONG")),
    ("stop_below_min_notional", -4164,
     "Order's notional must be no smaller than 100 (unless you choose reduce only).",
     dict(symbol="BTCUSDT", side="BUY", type="STOP_MARKET", stopPrice="96000",
          quantity="0.001")),
]


@pytest.mark.parametrize("name,code,msg,params", CASES, ids=[c[0] for c in CASES])
def test_algo_order_rejected_when_invalid_then_code_message_and_nothing_changed(
        venue, client, name, code, msg, params):
    long_btc(client)
    before = len(venue.control.ledger())
    error = rejected(client.futures_create_order, **params)
    assert (error.code, error.message, error.status_code) == (code, msg, 400)
    assert len(venue.control.ledger()) == before
    assert client.futures_get_open_algo_orders() == []


def test_second_close_position_stop_in_one_direction_when_placed_then_4130(venue, client):
    long_btc(client)
    client.futures_create_order(symbol="BTCUSDT", side="SELL", type="STOP_MARKET",
                                stopPrice="90000", closePosition="true")
    error = rejected(client.futures_create_order, symbol="BTCUSDT", side="SELL",
                     type="STOP_MARKET", stopPrice="91000", closePosition="true")
    assert error.code == -4130
    assert error.message == ("An open stop or take profit order with GTE and closePosition "
                             "in the direction is existing.")
    # a reduce-only replacement (make before break) is allowed alongside it
    client.futures_create_order(symbol="BTCUSDT", side="SELL", type="STOP_MARKET",
                                stopPrice="91000", quantity="0.010", reduceOnly="true")
    assert len(client.futures_get_open_algo_orders()) == 2


def test_duplicate_client_algo_id_when_open_then_rejected_and_single_stop(venue, client):
    long_btc(client)
    params = dict(symbol="BTCUSDT", side="SELL", type="STOP_MARKET", stopPrice="90000",
                  quantity="0.010", reduceOnly="true", clientAlgoId="qs-sl-BTC-abc-0")
    client.futures_create_order(**params)
    error = rejected(client.futures_create_order, **params)
    assert (error.code, error.message) == (-4116, "ClientOrderId is duplicated.")
    assert len(client.futures_get_open_algo_orders()) == 1


def test_conditional_type_on_order_endpoint_when_sent_then_4120(venue, client):
    long_btc(client)
    error = rejected(raw_order, client, symbol="BTCUSDT", side="SELL", type="STOP_MARKET",
                     stopPrice="90000", closePosition="true")
    assert error.code == -4120
    assert error.message == ("Order type not supported for this endpoint. Please use the Algo "
                             "Order API endpoints instead.")


ORDER_CASES = [
    ("qty_precision", -1111, "Precision is over the maximum defined for this asset.",
     dict(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.0015")),
    ("qty_step", -4023, "Qty not increased by step size.",
     dict(symbol="ATOMUSDT", side="BUY", type="MARKET", quantity="30.01")),
    ("price_tick", -4014, "Price not increased by tick size.",
     dict(symbol="BTCUSDT", side="BUY", type="LIMIT", quantity="0.010", price="94000.05",
          timeInForce="GTC")),
    ("min_notional", -4164,
     "Order's notional must be no smaller than 100 (unless you choose reduce only).",
     dict(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.001")),
    ("reduce_only_nothing", -2022, "ReduceOnly Order is rejected.",
     dict(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="0.100", reduceOnly="true")),
    ("margin", -2019, "Margin is insufficient.",
     dict(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="5")),
    ("order_type", -1116, "Invalid orderType.",
     dict(symbol="BTCUSDT", side="BUY", type="FOO", quantity="0.010")),
    ("side", -1117, "Invalid side.",
     dict(symbol="BTCUSDT", side="LONG", type="MARKET", quantity="0.010")),
    ("missing_quantity", -1102,
     "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.",
     dict(symbol="BTCUSDT", side="BUY", type="MARKET")),
    ("malformed_quantity", -1102,
     "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.",
     dict(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="abc")),
    ("limit_without_tif", -1102,
     "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.",
     dict(symbol="BTCUSDT", side="BUY", type="LIMIT", quantity="0.010", price="94000")),
    ("bad_symbol", -1121, "Invalid symbol.",
     dict(symbol="NOPEUSDT", side="BUY", type="MARKET", quantity="1")),
    ("percent_price", -4016, "Limit price can't be higher than 99750.00.",
     dict(symbol="BTCUSDT", side="BUY", type="LIMIT", quantity="0.010", price="120000",
          timeInForce="GTC")),
]


@pytest.mark.parametrize("name,code,msg,params", ORDER_CASES, ids=[c[0] for c in ORDER_CASES])
def test_order_rejected_when_invalid_then_code_message_and_engine_unchanged(
        venue, client, name, code, msg, params):
    wallet = venue.engine.account.wallet
    before = len(venue.control.ledger())
    error = rejected(raw_order, client, **params)
    assert (error.code, error.message, error.status_code) == (code, msg, 400)
    assert len(venue.control.ledger()) == before
    assert venue.engine.account.wallet == wallet
    assert venue.engine.account.open_symbols() == []


def test_reduce_only_below_min_notional_when_closing_then_accepted(venue, client):
    client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.050")
    client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="0.001",
                                reduceOnly="true")
    assert venue.engine.account.amount("ETHUSDT") == Decimal("0.049")


def test_unknown_orders_when_queried_or_cancelled_then_2013_and_2011(venue, client):
    got = rejected(client.futures_get_order, symbol="BTCUSDT", orderId=123)
    assert (got.code, got.message) == (-2013, "Order does not exist.")
    cancel = rejected(client.futures_cancel_order, symbol="BTCUSDT", orderId=123)
    assert (cancel.code, cancel.message) == (-2011, "Unknown order sent.")
    algo_cancel = rejected(client.futures_cancel_algo_order, symbol="BTCUSDT", algoId=5)
    assert algo_cancel.code == -2011
    algo_get = rejected(client.futures_get_algo_order, algoId=5)
    assert algo_get.code == -2013


def test_open_conditional_limit_when_200_reached_then_rejected(venue, client):
    long_btc(client)
    for i in range(200):
        client.futures_create_order(symbol="BTCUSDT", side="SELL", type="STOP_MARKET",
                                    stopPrice=str(80000 + i), quantity="0.010",
                                    reduceOnly="true")
    error = rejected(client.futures_create_order, symbol="BTCUSDT", side="SELL",
                     type="STOP_MARKET", stopPrice="79000", quantity="0.010", reduceOnly="true")
    assert error.code == -4045
    assert len(client.futures_get_open_algo_orders()) == 200
    client.futures_cancel_all_algo_open_orders(symbol="BTCUSDT")
    client.futures_create_order(symbol="BTCUSDT", side="SELL", type="STOP_MARKET",
                                stopPrice="79000", quantity="0.010", reduceOnly="true")


def test_leverage_outside_range_when_set_then_rejected(venue, client):
    error = rejected(client.futures_change_leverage, symbol="BTCUSDT", leverage=500)
    assert error.code == -4028
    assert venue.engine.account.leverage_of("BTCUSDT") == 20
