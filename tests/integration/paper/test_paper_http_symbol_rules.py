"""Run-time rule changes over HTTP: exchangeInfo follows, python-binance meets the refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
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


def control(venue, name: str, **body) -> requests.Response:
    return requests.post(f"{venue.url}/paper/v1/{name}", json=body, timeout=5)


def btc_info(client) -> dict:
    info = client.futures_exchange_info()
    return next(s for s in info["symbols"] if s["symbol"] == "BTCUSDT")


def test_filters_when_changed_over_http_then_exchange_info_and_orders_follow(venue):
    client = make_client(venue)
    answer = control(venue, "filters", symbol="BTCUSDT", tickSize="1", stepSize="0.005",
                     maxAlgoOrders=10)
    assert answer.status_code == 200 and answer.json()["maxAlgoOrders"] == 10
    filters = {f["filterType"]: f for f in btc_info(client)["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "1"
    assert filters["LOT_SIZE"]["stepSize"] == "0.005"
    assert filters["MAX_NUM_ALGO_ORDERS"]["limit"] == 10
    with pytest.raises(BinanceAPIException) as tick:
        client.futures_create_order(symbol="BTCUSDT", side="BUY", type="STOP_MARKET",
                                    stopPrice="99000.5", quantity="0.010")
    assert (tick.value.code, tick.value.message) == (-4014, "Price not increased by tick size.")
    with pytest.raises(BinanceAPIException) as step:
        client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET",
                                    quantity="0.012")
    assert (step.value.code, step.value.message) == (-4023, "Qty not increased by step size.")


def test_status_when_pre_settle_then_opening_4140_and_close_allowed(venue):
    client = make_client(venue)
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.020")
    assert control(venue, "symbol_status", symbol="BTCUSDT",
                   status="PRE_SETTLE").status_code == 200
    assert btc_info(client)["status"] == "PRE_SETTLE"
    with pytest.raises(BinanceAPIException) as info:
        client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET",
                                    quantity="0.010")
    assert (info.value.code, info.value.message) == (
        -4140, "Invalid symbol status for opening position")
    client.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET",
                                quantity="0.020", reduceOnly="true")
    assert venue.engine.account.amount("BTCUSDT") == 0


def test_status_when_settling_then_1122_and_bad_status_400(venue):
    client = make_client(venue)
    control(venue, "symbol_status", symbol="BTCUSDT", status="SETTLING")
    with pytest.raises(BinanceAPIException) as info:
        client.futures_create_order(symbol="BTCUSDT", side="SELL", type="STOP_MARKET",
                                    stopPrice="90000", closePosition="true")
    assert (info.value.code, info.value.message) == (-1122, "Invalid symbol status.")
    assert control(venue, "symbol_status", symbol="BTCUSDT", status="BREAK").status_code == 400
    assert btc_info(client)["status"] == "SETTLING"


def test_market_max_qty_when_lowered_then_an_open_position_closes_only_in_pieces(venue):
    client = make_client(venue)
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.050")
    answer = control(venue, "filters", symbol="BTCUSDT", marketMaxQty="0.030")
    assert answer.status_code == 200 and answer.json()["marketMaxQty"] == "0.030"
    filters = {f["filterType"]: f for f in btc_info(client)["filters"]}
    assert filters["MARKET_LOT_SIZE"]["maxQty"] == "0.030"
    assert venue.engine.account.amount("BTCUSDT") == Decimal("0.05")  # it keeps its size
    with pytest.raises(BinanceAPIException) as whole:
        client.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET",
                                    quantity="0.050", reduceOnly="true")
    assert (whole.value.code, whole.value.message) == (-4005, "Quantity greater than max "
                                                               "quantity.")
    for piece in ("0.030", "0.020"):
        client.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET",
                                    quantity=piece, reduceOnly="true")
    assert venue.engine.account.amount("BTCUSDT") == 0
    bad = control(venue, "filters", symbol="BTCUSDT", marketMaxQty="0.0305")
    assert bad.status_code == 400 and "multiple of the step" in bad.text
    kept = {f["filterType"]: f for f in btc_info(client)["filters"]}
    assert kept["MARKET_LOT_SIZE"]["maxQty"] == "0.030"
