"""Authentication, rate limits and bad input at the HTTP front: clear 4xx, engine unchanged."""

from __future__ import annotations

import time
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import requests
from binance.exceptions import BinanceAPIException
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.paper.auth import sign
from bot.paper.clock import ManualClock
from bot.paper.server import PaperExchange
from tests.fixtures.paper import API_KEY, API_SECRET, StaticMarket, make_client


def start(**kwargs) -> PaperExchange:
    exchange = PaperExchange(api_key=API_KEY, api_secret=API_SECRET, clock=ManualClock(),
                             market=StaticMarket(), **kwargs)
    exchange.start()
    return exchange


@pytest.fixture
def venue():
    exchange = start()
    yield exchange
    exchange.stop()


def signed(venue, method: str, path: str, params: dict, key: str = API_KEY,
           secret: str = API_SECRET, in_body: bool | None = None) -> requests.Response:
    params = {**params, "timestamp": int(time.time() * 1000)}
    payload = urlencode(params)
    query = f"{payload}&signature={sign(secret, payload)}"
    headers = {"X-MBX-APIKEY": key}
    url = venue.url + path
    if in_body if in_body is not None else method != "GET":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return requests.request(method, url, data=query, headers=headers, timeout=5)
    return requests.request(method, f"{url}?{query}", headers=headers, timeout=5)


def test_wrong_api_key_when_signed_call_then_2015_http_401(venue):
    response = signed(venue, "GET", "/fapi/v2/account", {}, key="other")
    assert response.status_code == 401
    assert response.json() == {"code": -2015,
                               "msg": "Invalid API-key, IP, or permissions for action."}


def test_wrong_secret_when_signed_call_then_1022(venue):
    response = signed(venue, "POST", "/fapi/v1/order",
                      {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
                       "quantity": "0.010"}, secret="nope")
    assert response.status_code == 400
    assert response.json()["code"] == -1022
    assert venue.engine.account.open_symbols() == []


def test_signature_not_last_when_sent_then_1022(venue):
    params = urlencode({"timestamp": int(time.time() * 1000)})
    query = f"signature={sign(API_SECRET, params)}&{params}"
    response = requests.get(f"{venue.url}/fapi/v2/balance?{query}",
                            headers={"X-MBX-APIKEY": API_KEY}, timeout=5)
    assert response.json()["code"] == -1022


def test_signature_over_query_when_get_then_accepted_and_weight_header(venue):
    response = signed(venue, "GET", "/fapi/v3/positionRisk", {})
    assert response.status_code == 200 and response.json() == []
    assert response.headers["X-MBX-USED-WEIGHT-1M"] == "5"


def test_stale_timestamp_when_client_clock_behind_then_1021(venue):
    client = make_client(venue)
    client.timestamp_offset = -30_000
    with pytest.raises(BinanceAPIException) as info:
        client.futures_account()
    assert info.value.code == -1021
    venue.control.set_time_offset(0)
    client.timestamp_offset = 0
    assert client.futures_account()["assets"][0]["asset"] == "USDT"


def test_server_time_skew_when_set_by_control_then_1021_until_resync(venue):
    client = make_client(venue)
    venue.control.set_time_offset(20_000)
    with pytest.raises(BinanceAPIException) as info:
        client.futures_account_balance()
    assert info.value.code == -1021
    client.timestamp_offset = client.futures_time()["serverTime"] - int(time.time() * 1000)
    assert client.futures_account_balance()[0]["asset"] == "USDT"


def test_weight_budget_when_spent_then_1003_http_429():
    exchange = start(weight_limit=12)
    try:
        client = make_client(exchange)
        client.futures_position_information()  # 5
        client.futures_position_information()  # 10
        with pytest.raises(BinanceAPIException) as info:
            client.futures_position_information()  # 15 > 12
        assert info.value.code == -1003 and info.value.status_code == 429
        assert client.response.headers["X-MBX-USED-WEIGHT-1M"] == "15"
    finally:
        exchange.stop()


def test_order_counters_when_orders_placed_then_headers_count(venue):
    client = make_client(venue)
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.010")
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.010")
    assert client.response.headers["X-MBX-ORDER-COUNT-10S"] == "2"
    assert client.response.headers["X-MBX-ORDER-COUNT-1M"] == "2"
    assert client.response.headers["X-MBX-USED-WEIGHT-1M"] == "0"


def test_unknown_endpoint_when_called_then_404_json(venue):
    response = requests.get(venue.url + "/fapi/v1/nothing", timeout=5)
    assert response.status_code == 404
    assert response.json()["code"] == -1000


def test_missing_signature_when_signed_endpoint_then_1102(venue):
    response = requests.get(venue.url + "/fapi/v2/balance?timestamp=1",
                            headers={"X-MBX-APIKEY": API_KEY}, timeout=5)
    assert response.status_code == 400 and response.json()["code"] == -1102


def test_non_utf8_body_when_posted_then_1100_not_500(venue):
    response = requests.post(venue.url + "/fapi/v1/order", data=b"symbol=\xff\xfe",
                             headers={"X-MBX-APIKEY": API_KEY,
                                      "Content-Type": "application/x-www-form-urlencoded"},
                             timeout=5)
    assert response.status_code == 400 and response.json()["code"] == -1100


KEYS = st.sampled_from(["symbol", "side", "type", "quantity", "price", "triggerPrice",
                        "timeInForce", "reduceOnly", "closePosition", "callbackRate",
                        "activatePrice", "workingType", "clientAlgoId", "algoType",
                        "newClientOrderId", "positionSide", "recvWindow"])
VALUES = st.one_of(
    st.sampled_from(["BTCUSDT", "BUY", "SELL", "MARKET", "LIMIT", "STOP_MARKET",
                     "TRAILING_STOP_MARKET", "true", "false", "GTC", "CONDITIONAL", "0",
                     "-1", "1e9", "NaN", "Infinity", "0.010", "95000", "", "MARK_PRICE"]),
    st.text(max_size=12),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(KEYS, VALUES, max_size=8),
       path=st.sampled_from(["/fapi/v1/order", "/fapi/v1/algoOrder"]))
def test_random_order_params_when_posted_then_4xx_or_200_never_5xx(venue, params, path):
    before = len(venue.control.ledger())
    response = signed(venue, "POST", path, params)
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code != 200:
        assert set(body) == {"code", "msg"} and body["code"] < 0
        assert body["code"] != -1000, body  # -1000 is the catch-all: an unhandled case
        assert len(venue.control.ledger()) == before


def test_rejected_order_when_bad_then_wallet_and_books_unchanged(venue):
    wallet = venue.engine.account.wallet
    response = signed(venue, "POST", "/fapi/v1/algoOrder",
                      {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "SELL",
                       "type": "STOP_MARKET", "triggerPrice": "abc", "closePosition": "true"})
    assert response.status_code == 400 and response.json()["code"] == -1102
    assert venue.engine.account.wallet == wallet
    assert venue.engine.open_algos() == []
    assert Decimal(signed(venue, "GET", "/fapi/v2/balance", {}).json()[0]["balance"]) == wallet
