"""GET /fapi/v1/userTrades through python-binance: Binance's shape, filters and errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from binance.exceptions import BinanceAPIException

from bot.paper.clock import ManualClock
from bot.paper.server import PaperExchange
from tests.fixtures.paper import API_KEY, API_SECRET, StaticMarket, make_client

HOUR = 3_600_000
FIELDS = {"buyer", "commission", "commissionAsset", "id", "maker", "orderId", "price", "qty",
          "quoteQty", "realizedPnl", "side", "positionSide", "symbol", "time"}


@pytest.fixture
def venue():
    """Over a StaticMarket with the default slippage model, as ``python -m bot.paper`` runs."""
    exchange = PaperExchange(api_key=API_KEY, api_secret=API_SECRET, clock=ManualClock(),
                             market=StaticMarket(), tick_interval_s=None)
    exchange.start()
    yield exchange
    exchange.stop()


def _wallet(client) -> Decimal:
    return Decimal(client.futures_account_balance()[0]["balance"])


def _net(rows) -> Decimal:
    return sum((Decimal(r["realizedPnl"]) - Decimal(r["commission"]) for r in rows), Decimal(0))


def test_round_trip_when_closed_by_stop_then_trades_sum_to_balance_change(venue):
    client = make_client(venue)
    before = _wallet(client)
    entry = client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET",
                                        quantity="1.000")
    client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="0.400",
                                reduceOnly="true")
    stop = client.futures_create_order(symbol="ETHUSDT", side="SELL", type="STOP_MARKET",
                                       stopPrice="2950.00", closePosition="true")
    venue.control.set_price("ETHUSDT", Decimal("2950.00"))  # touches the trigger: no gap

    rows = client.futures_account_trades(symbol="ETHUSDT")
    assert len(rows) == 3 and all(set(r) == FIELDS for r in rows)
    assert _net(rows) == _wallet(client) - before
    first, _, last = rows
    assert first["orderId"] == entry["orderId"] and first["buyer"] and not first["maker"]
    assert first["side"] == "BUY" and first["positionSide"] == "BOTH"
    assert first["commissionAsset"] == "USDT" and first["symbol"] == "ETHUSDT"
    assert all(isinstance(r[k], str) for r in rows
               for k in ("price", "qty", "quoteQty", "realizedPnl", "commission"))
    assert Decimal(first["quoteQty"]) == Decimal(first["price"]) * Decimal(first["qty"])
    assert Decimal(first["price"]) > Decimal("3000.00")  # default slippage: the taker pays

    done = client.futures_get_algo_order(algoId=stop["algoId"])
    assert last["orderId"] == int(done["actualOrderId"]) and last["side"] == "SELL"
    assert Decimal(last["price"]) == Decimal(done["actualPrice"]) < Decimal("2950.00")
    [child_fill] = [e for e in venue.control.ledger()
                    if e.action == "FILLED" and e.order_id == last["orderId"]]
    assert Decimal(child_fill.price) == Decimal(last["price"])
    assert child_fill.details["tradeId"] == last["id"]


def test_filters_when_order_id_from_id_and_start_time_then_matching_rows(venue):
    client = make_client(venue)
    orders = []
    for _ in range(3):
        orders.append(client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET",
                                                  quantity="0.100")["orderId"])
        venue.control.advance(HOUR)
    every = client.futures_account_trades(symbol="ETHUSDT")
    assert [r["orderId"] for r in every] == orders

    [one] = client.futures_account_trades(symbol="ETHUSDT", orderId=orders[1])
    assert one["orderId"] == orders[1]
    assert client.futures_account_trades(symbol="ETHUSDT", fromId=every[1]["id"]) == every[1:]
    assert client.futures_account_trades(symbol="ETHUSDT", fromId=every[0]["id"],
                                         limit=2) == every[:2]
    start = every[1]["time"]
    assert client.futures_account_trades(symbol="ETHUSDT", startTime=start) == every[1:]
    assert client.futures_account_trades(symbol="ETHUSDT", startTime=start,
                                         endTime=start) == every[1:2]
    assert client.futures_account_trades(symbol="ETHUSDT", limit=1) == every[-1:]
    assert client.futures_account_trades(symbol="BTCUSDT") == []


def test_weight_when_called_then_five_and_signed(venue):
    client = make_client(venue)
    client.futures_account_trades(symbol="ETHUSDT")
    first = int(client.response.headers["X-MBX-USED-WEIGHT-1M"])
    client.futures_account_trades(symbol="ETHUSDT")
    assert int(client.response.headers["X-MBX-USED-WEIGHT-1M"]) == first + 5
    bad = make_client(venue)
    bad.API_SECRET = "wrong"
    with pytest.raises(BinanceAPIException) as info:
        bad.futures_account_trades(symbol="ETHUSDT")
    assert info.value.code == -1022


@pytest.mark.parametrize("params,code", [
    ({}, -1102),
    ({"symbol": "ETHUSDT", "fromId": "abc"}, -1102),
    ({"symbol": "NOPEUSDT"}, -1121),
    ({"symbol": "ETHUSDT", "limit": 1001}, -1130),
    ({"symbol": "ETHUSDT", "fromId": 1, "startTime": 1}, -1128),
    ({"symbol": "ETHUSDT", "startTime": 2_000, "endTime": 1_000}, -1023),
    ({"symbol": "ETHUSDT", "startTime": 0, "endTime": 8 * 24 * HOUR}, -1127),
])
def test_bad_params_when_sent_then_binance_error_and_nothing_changes(venue, params, code):
    client = make_client(venue)
    client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.100")
    ledger, wallet = len(venue.control.ledger()), venue.engine.account.wallet
    trades = venue.engine.trades.all()
    with pytest.raises(BinanceAPIException) as info:
        client.futures_account_trades(**params)
    assert info.value.code == code and info.value.status_code == 400
    assert len(venue.control.ledger()) == ledger and venue.engine.account.wallet == wallet
    assert venue.engine.trades.all() == trades
