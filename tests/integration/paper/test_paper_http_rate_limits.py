"""Rate limits as Binance enforces them over HTTP: 429 with Retry-After, 418 bans, -1008,
the two 503 wordings, and the read-after-write lag of algo queries."""

from __future__ import annotations

import pytest
import requests
from binance.exceptions import BinanceAPIException

from bot.paper.clock import ManualClock
from bot.paper.faults import UNKNOWN_STATUS_MSG
from bot.paper.server import PaperExchange
from tests.fixtures.paper import API_KEY, API_SECRET, StaticMarket, eventually, make_client

PING = "/fapi/v1/ping"


def start(**kwargs) -> PaperExchange:
    exchange = PaperExchange(api_key=API_KEY, api_secret=API_SECRET, clock=ManualClock(),
                             market=StaticMarket(), tick_interval_s=None, **kwargs)
    exchange.start()
    return exchange


@pytest.fixture
def venue():
    exchange = start(weight_limit=3)
    yield exchange
    exchange.stop()


def ping(venue) -> requests.Response:
    return requests.get(venue.url + PING, timeout=5)


def first_answer_with(venue, status: int, limit: int = 40) -> requests.Response:
    for _ in range(limit):
        answer = ping(venue)
        if answer.status_code == status:
            return answer
    pytest.fail(f"no HTTP {status} within {limit} requests")


def test_weight_exceeded_when_requested_then_429_with_retry_after(venue):
    answer = first_answer_with(venue, 429)
    assert answer.json()["code"] == -1003
    assert 1 <= int(answer.headers["Retry-After"]) <= 60


def test_429s_when_client_keeps_going_then_418_ban_on_every_endpoint(venue):
    venue.control.set_ban_policy(after=2, ban_s=120)
    banned = first_answer_with(venue, 418)
    assert banned.json()["code"] == -1003
    assert banned.json()["msg"].startswith("Way too many requests; IP banned until ")
    assert 110 <= int(banned.headers["Retry-After"]) <= 120
    other = requests.get(venue.url + "/fapi/v1/exchangeInfo", timeout=5)
    assert other.status_code == 418 and "Retry-After" in other.headers
    assert venue.control.state()["bannedUntil"] > 0
    venue.control.reset()
    assert ping(venue).status_code == 200


def test_ban_when_set_over_http_then_python_binance_sees_418():
    exchange = start()
    try:
        client = make_client(exchange)
        answer = requests.post(exchange.url + "/paper/v1/ban", json={"seconds": 30}, timeout=5)
        assert answer.status_code == 200
        with pytest.raises(BinanceAPIException) as info:
            client.futures_account()
        assert (info.value.status_code, info.value.code) == (418, -1003)
        assert info.value.response.headers["Retry-After"] in {"29", "30"}
    finally:
        exchange.stop()


def test_injected_429_when_answered_then_retry_after_header(venue):
    venue.control.inject_fault("GET", PING, code=-1003)
    answer = ping(venue)
    assert answer.status_code == 429 and "Retry-After" in answer.headers


def test_busy_fault_when_order_posted_then_1008_503_and_no_order():
    exchange = start()
    try:
        client = make_client(exchange)
        exchange.control.inject_fault("POST", "/fapi/v1/order", kind="busy")
        with pytest.raises(BinanceAPIException) as info:
            client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET",
                                        quantity="1")
        assert (info.value.code, info.value.status_code) == (-1008, 503)
        assert exchange.engine.account.amount("ETHUSDT") == 0
    finally:
        exchange.stop()


@pytest.mark.parametrize("reached", [True, False])
def test_503_when_order_lost_then_wording_tells_unknown_from_failed(reached):
    exchange = start()
    try:
        client = make_client(exchange)
        exchange.control.inject_fault("POST", "/fapi/v1/order", kind="http",
                                      reached_engine=reached)
        with pytest.raises(BinanceAPIException) as info:
            client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET",
                                        quantity="1")
        assert info.value.status_code == 503
        if reached:
            assert (info.value.code, info.value.message) == (None, UNKNOWN_STATUS_MSG)
            assert exchange.engine.account.amount("ETHUSDT") == 1
        else:
            assert info.value.code == -1001
            assert exchange.engine.account.amount("ETHUSDT") == 0
    finally:
        exchange.stop()


def test_preset_when_injected_over_http_then_named_binance_error():
    exchange = start()
    try:
        client = make_client(exchange)
        armed = requests.post(exchange.url + "/paper/v1/fault", timeout=5, json={
            "method": "POST", "path": "/fapi/v1/order", "preset": "market_order_reject"})
        assert armed.status_code == 200
        with pytest.raises(BinanceAPIException) as info:
            client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET",
                                        quantity="1", reduceOnly="true")
        assert (info.value.code, info.value.status_code) == (-4131, 400)
        assert "PERCENT_PRICE" in info.value.message
    finally:
        exchange.stop()


def test_read_lag_when_set_then_new_stop_missing_from_queries_until_it_passes():
    exchange = start()
    try:
        client = make_client(exchange)
        answer = requests.post(exchange.url + "/paper/v1/read_lag", json={"ms": 400}, timeout=5)
        assert answer.json() == {"ms": 400}
        client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1")
        stop = client.futures_create_order(symbol="ETHUSDT", side="SELL", type="STOP_MARKET",
                                           stopPrice="2900", closePosition="true")
        assert client.futures_get_open_algo_orders(symbol="ETHUSDT") == []
        with pytest.raises(BinanceAPIException) as info:
            client.futures_get_algo_order(algoId=stop["algoId"])
        assert info.value.code == -2013
        eventually(lambda: client.futures_get_open_algo_orders(symbol="ETHUSDT"), timeout=3)
        assert client.futures_get_algo_order(algoId=stop["algoId"])["algoStatus"] == "NEW"
    finally:
        exchange.stop()
