"""Hedge mode and Multi-Assets mode over python-binance: the endpoints and their rules."""

from __future__ import annotations

import pytest
from binance.exceptions import BinanceAPIException

from bot.paper.clock import ManualClock
from bot.paper.server import PaperExchange
from tests.fixtures.paper import API_KEY, API_SECRET, StaticMarket, make_client


@pytest.fixture
def venue():
    exchange = PaperExchange(api_key=API_KEY, api_secret=API_SECRET, clock=ManualClock(),
                             market=StaticMarket(), slippage_bps=0, tick_interval_s=None)
    exchange.start()
    yield exchange
    exchange.stop()


@pytest.fixture
def client(venue):
    return make_client(venue)


def refused(call, **params) -> BinanceAPIException:
    with pytest.raises(BinanceAPIException) as info:
        call(**params)
    return info.value


def test_position_mode_when_switched_then_read_back_and_orders_need_a_side(client):
    assert client.futures_get_position_mode() == {"dualSidePosition": False}
    assert client.futures_change_position_mode(dualSidePosition="true") == {
        "code": 200, "msg": "success"}
    assert client.futures_get_position_mode() == {"dualSidePosition": True}
    missing = refused(client.futures_create_order, symbol="ETHUSDT", side="BUY",
                      type="MARKET", quantity="1")
    assert (missing.code, missing.message) == (
        -4061, "Order's position side does not match user's setting.")
    reduce = refused(client.futures_create_order, symbol="ETHUSDT", side="SELL",
                     type="MARKET", quantity="1", positionSide="LONG", reduceOnly="true")
    assert reduce.code == -1106
    opened = client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET",
                                         quantity="1", positionSide="LONG")
    assert opened["positionSide"] == "LONG"
    [row] = client.futures_position_information(symbol="ETHUSDT")
    assert (row["positionSide"], row["positionAmt"]) == ("LONG", "1.000")
    stop = client.futures_create_order(symbol="ETHUSDT", side="SELL", type="STOP_MARKET",
                                       stopPrice="2900", closePosition="true",
                                       positionSide="LONG")
    assert stop["positionSide"] == "LONG"


def test_position_mode_when_position_or_order_open_then_4068_4067(client):
    client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1")
    with_position = refused(client.futures_change_position_mode, dualSidePosition="true")
    assert (with_position.code, with_position.message) == (
        -4068, "Position side cannot be changed if there exists position.")
    client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="1",
                                reduceOnly="true")
    client.futures_create_order(symbol="ETHUSDT", side="SELL", type="STOP_MARKET",
                                stopPrice="2900", quantity="1")
    with_order = refused(client.futures_change_position_mode, dualSidePosition="true")
    assert with_order.code == -4067
    same = refused(client.futures_change_position_mode, dualSidePosition="false")
    assert same.code == -4059


def test_invalid_position_side_when_sent_then_4060(client):
    error = refused(client.futures_create_order, symbol="ETHUSDT", side="BUY", type="MARKET",
                    quantity="1", positionSide="UP")
    assert (error.code, error.message) == (-4060, "Invalid position side.")


def test_multi_assets_when_switched_then_account_shows_it(client):
    assert client.futures_get_multi_assets_mode() == {"multiAssetsMargin": False}
    assert client.futures_change_multi_assets_mode(multiAssetsMargin=True)["code"] == 200
    assert client.futures_account()["multiAssetsMargin"] is True
    again = refused(client.futures_change_multi_assets_mode, multiAssetsMargin=True)
    assert again.code == -4171
