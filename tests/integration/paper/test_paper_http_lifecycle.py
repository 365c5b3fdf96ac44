"""The whole life of a position through python-binance over HTTP, against the real server."""

from __future__ import annotations

from decimal import Decimal

import pytest
from binance.exceptions import BinanceAPIException

from bot.paper.clock import ManualClock
from bot.paper.server import PaperExchange
from tests.fixtures.paper import API_KEY, API_SECRET, StaticMarket, eventually, make_client


def _position_amt(client, symbol: str) -> Decimal:
    rows = [r for r in client.futures_position_information(symbol=symbol)
            if r["symbol"] == symbol]
    return Decimal(rows[0]["positionAmt"]) if rows else Decimal("0")


def test_position_life_when_stop_triggers_then_closed_and_stops_finished_or_expired(
        paper_exchange, paper_client):
    client = paper_client
    mark = Decimal(client.futures_mark_price(symbol="BTCUSDT")["markPrice"])
    entry = client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET",
                                        quantity="0.010")
    assert "orderId" in entry
    filled = client.futures_get_order(symbol="BTCUSDT", orderId=entry["orderId"])
    assert filled["status"] == "FILLED"
    assert _position_amt(client, "BTCUSDT") == Decimal("0.010")

    stop_price = (mark * Decimal("0.98")).quantize(Decimal("0.1"))
    stop = client.futures_create_order(symbol="BTCUSDT", side="SELL", type="STOP_MARKET",
                                       stopPrice=str(stop_price), closePosition="true",
                                       workingType="MARK_PRICE", clientAlgoId="qs-sl-BTC-k-0")
    assert "algoId" in stop and "orderId" not in stop
    assert stop["algoStatus"] == "NEW" and Decimal(stop["triggerPrice"]) == stop_price
    target = client.futures_create_order(symbol="BTCUSDT", side="SELL",
                                         type="TAKE_PROFIT_MARKET",
                                         stopPrice=str((mark * Decimal("1.05")).quantize(
                                             Decimal("0.1"))), closePosition="true")

    open_algo_ids = {o["algoId"] for o in client.futures_get_open_algo_orders()}
    assert open_algo_ids == {stop["algoId"], target["algoId"]}
    assert client.futures_get_open_orders() == []
    assert client.futures_get_open_orders(conditional=True)[0]["algoId"] == stop["algoId"]
    with pytest.raises(BinanceAPIException) as got:
        client.futures_get_order(symbol="BTCUSDT", orderId=stop["algoId"])
    assert got.value.code == -2013
    with pytest.raises(BinanceAPIException) as cancel:
        client.futures_cancel_order(symbol="BTCUSDT", orderId=stop["algoId"])
    assert cancel.value.code == -2011

    paper_exchange.control.set_price("BTCUSDT", stop_price - Decimal("500"))

    assert _position_amt(client, "BTCUSDT") == 0
    done = client.futures_get_algo_order(algoId=stop["algoId"])
    assert done["algoStatus"] == "FINISHED"
    child = client.futures_get_order(symbol="BTCUSDT", orderId=int(done["actualOrderId"]))
    assert child["status"] == "FILLED" and child["side"] == "SELL"
    assert Decimal(child["avgPrice"]) <= stop_price  # the gap fills worse than the trigger
    assert client.futures_get_algo_order(algoId=target["algoId"])["algoStatus"] == "EXPIRED"
    assert client.futures_get_open_algo_orders() == []
    actions = [(e.book, e.action) for e in paper_exchange.control.ledger()]
    assert ("algo", "TRIGGERED") in actions and ("algo", "EXPIRED") in actions


def test_stop_triggers_without_requests_when_clock_moves_then_ticker_fills_it():
    clock = ManualClock()
    market = StaticMarket()
    exchange = PaperExchange(api_key=API_KEY, api_secret=API_SECRET, clock=clock, market=market)
    exchange.start()
    try:
        client = make_client(exchange)
        client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="1")
        client.futures_create_order(symbol="ETHUSDT", side="BUY", type="STOP_MARKET",
                                    stopPrice="3300", closePosition="true")
        market.script("ETHUSDT", [(clock.now_ms() + 1000, Decimal("3350"), None)])
        clock.advance(2000)
        eventually(lambda: any(e.action == "TRIGGERED" for e in exchange.control.ledger()))
        assert exchange.engine.account.amount("ETHUSDT") == 0
    finally:
        exchange.stop()


def test_every_read_endpoint_answers_python_binance(paper_exchange, paper_client):
    c = paper_client
    assert c.futures_ping() == {}
    assert "serverTime" in c.futures_time()
    info = c.futures_exchange_info()
    btc = next(s for s in info["symbols"] if s["symbol"] == "BTCUSDT")
    kinds = {f["filterType"] for f in btc["filters"]}
    assert {"PRICE_FILTER", "LOT_SIZE", "MARKET_LOT_SIZE", "MIN_NOTIONAL",
            "PERCENT_PRICE"} <= kinds
    assert "TRAILING_STOP_MARKET" in btc["orderTypes"]
    assert len(c.futures_mark_price()) == len(info["symbols"])
    assert c.futures_symbol_ticker(symbol="ETHUSDT")["symbol"] == "ETHUSDT"
    assert len(c.futures_klines(symbol="BTCUSDT", interval="1h", limit=300)) == 300
    assert c.futures_change_leverage(symbol="SOLUSDT", leverage=5)["leverage"] == 5
    assert c.futures_leverage_bracket(symbol="SOLUSDT")["symbol"] == "SOLUSDT"
    c.futures_create_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="2")
    v2 = c.futures_account()
    v3 = c.futures_account(version=3)
    assert Decimal(v2["totalWalletBalance"]) < Decimal("10000")  # the fee was paid
    assert [p["symbol"] for p in v3["positions"]] == ["SOLUSDT"]
    assert next(p for p in v2["positions"] if p["symbol"] == "SOLUSDT")["leverage"] == "5"
    assert c.futures_account_balance()[0]["asset"] == "USDT"
    assert c.futures_account_balance(version=2)[0]["asset"] == "USDT"
    assert len(c.futures_position_information(version=2)) == len(info["symbols"])
    assert [p["symbol"] for p in c.futures_position_information()] == ["SOLUSDT"]
    limit = c.futures_create_order(symbol="SOLUSDT", side="BUY", type="LIMIT", quantity="1",
                                   price="175.0000", timeInForce="GTC")
    assert [o["orderId"] for o in c.futures_get_open_orders(symbol="SOLUSDT")] == [
        limit["orderId"]]
    assert len(c.futures_get_all_orders(symbol="SOLUSDT")) == 2
    canceled = c.futures_cancel_order(symbol="SOLUSDT", orderId=limit["orderId"])
    assert canceled["status"] == "CANCELED"
    c.futures_create_order(symbol="SOLUSDT", side="BUY", type="LIMIT", quantity="1",
                           price="175.0000", timeInForce="GTC")
    c.futures_cancel_all_open_orders(symbol="SOLUSDT")
    assert c.futures_get_open_orders() == []
    c.futures_create_algo_order(symbol="SOLUSDT", side="SELL", type="STOP_MARKET",
                                triggerPrice="170", quantity="2", reduceOnly="true")
    assert len(c.futures_get_all_algo_orders(symbol="SOLUSDT")) == 1
    c.futures_cancel_all_algo_open_orders(symbol="SOLUSDT")
    assert c.futures_get_open_algo_orders() == []
    key = c.futures_stream_get_listen_key()
    assert key and c.futures_stream_keepalive(listenKey=key) is not None
    c.futures_stream_close(listenKey=key)


def test_concurrent_clients_when_same_client_id_retried_then_exactly_one_stop(paper_exchange):
    import threading

    from tests.fixtures.paper import make_client as new_client

    setup = new_client(paper_exchange)
    setup.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1.000")
    mark = Decimal(setup.futures_mark_price(symbol="ETHUSDT")["markPrice"])
    trigger = str((mark * Decimal("0.9")).quantize(Decimal("0.01")))
    outcomes: list[str] = []

    clients = [new_client(paper_exchange) for _ in range(4)]

    def place(i: int) -> None:
        client = clients[i]
        for n in range(10):
            try:
                client.futures_create_order(symbol="ETHUSDT", side="SELL", type="STOP_MARKET",
                                            stopPrice=trigger, quantity="1.000",
                                            reduceOnly="true", clientAlgoId=f"qs-sl-ETH-{n}")
                outcomes.append("ok")
            except BinanceAPIException as exc:
                outcomes.append(str(exc.code))

    threads = [threading.Thread(target=place, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    open_ids = sorted(o["clientAlgoId"] for o in setup.futures_get_open_algo_orders())
    assert open_ids == sorted(f"qs-sl-ETH-{n}" for n in range(10))
    assert outcomes.count("ok") == 10 and outcomes.count("-4116") == 30


def test_static_fixture_when_used_then_flat_klines_and_fixed_prices(static_paper_exchange):
    client = make_client(static_paper_exchange)
    candles = client.futures_klines(symbol="XRPUSDT", interval="1h", limit=50)
    assert len(candles) == 50 and {c[4] for c in candles} == {"2.2000"}
    static_paper_exchange.control.advance(3_600_000)
    assert client.futures_symbol_ticker(symbol="XRPUSDT")["price"] == "2.2000"
