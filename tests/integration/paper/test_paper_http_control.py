"""The control surface over HTTP and as a Python API: prices, faults, silent cancels, ledger."""

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
                             market=StaticMarket())
    exchange.start()
    yield exchange
    exchange.stop()


@pytest.fixture
def client(venue):
    return make_client(venue, timeout=2.0)


def stop_params(**extra):
    return dict(symbol="BTCUSDT", side="SELL", type="STOP_MARKET", stopPrice="90000",
                quantity="0.010", reduceOnly="true", **extra)


def test_price_when_set_over_http_then_mark_and_last_move(venue, client):
    response = requests.post(venue.url + "/paper/v1/price",
                             json={"symbol": "BTCUSDT", "price": "96000", "mark": "95900"},
                             timeout=5)
    assert response.status_code == 200
    assert client.futures_symbol_ticker(symbol="BTCUSDT")["price"] == "96000.00"
    assert Decimal(client.futures_mark_price(symbol="BTCUSDT")["markPrice"]) == Decimal("95900")
    snapped = venue.control.set_price("BTCUSDT", "95000.07")
    assert Decimal(snapped["last"]) == Decimal("95000.1")  # snapped to the 0.10 tick


def test_bad_control_input_when_sent_then_400_and_nothing_changes(venue):
    for body in ({"symbol": "BTCUSDT", "price": "-5"}, {"symbol": "NOPE", "price": "1"},
                 {"symbol": "BTCUSDT"}, {"symbol": "BTCUSDT", "price": "abc"}):
        response = requests.post(venue.url + "/paper/v1/price", json=body, timeout=5)
        assert response.status_code == 400, body
    assert venue.engine.last["BTCUSDT"] == Decimal("95000")
    assert requests.post(venue.url + "/paper/v1/nothing", timeout=5).status_code == 404
    bad_fault = requests.post(venue.url + "/paper/v1/fault",
                              json={"method": "POST", "path": "/fapi/v1/algoOrder",
                                    "kind": "error"}, timeout=5)
    assert bad_fault.status_code == 400
    assert venue.faults.pending() == []


def test_injected_2021_when_next_algo_post_then_rejected_once(venue, client):
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.010")
    response = requests.post(venue.url + "/paper/v1/fault",
                             json={"method": "POST", "path": "/fapi/v1/algoOrder",
                                   "code": -2021}, timeout=5)
    assert response.status_code == 200
    with pytest.raises(BinanceAPIException) as info:
        client.futures_create_order(**stop_params())
    assert (info.value.code, info.value.message) == (-2021, "Order would immediately trigger.")
    assert venue.engine.open_algos() == []
    client.futures_create_order(**stop_params())
    assert len(venue.engine.open_algos()) == 1


@pytest.mark.parametrize("reached", [True, False])
def test_http_503_when_injected_then_order_exists_only_if_it_reached_engine(venue, client,
                                                                            reached):
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.010")
    venue.control.inject_fault("POST", "/fapi/v1/algoOrder", kind="http", status=503,
                               reached_engine=reached)
    with pytest.raises(BinanceAPIException) as info:
        client.futures_create_order(**stop_params(clientAlgoId="qs-sl-BTC-x-0"))
    assert info.value.status_code == 503
    found = [a.client_algo_id for a in venue.engine.open_algos()]
    assert found == (["qs-sl-BTC-x-0"] if reached else [])
    if reached:  # the retry with the same client id cannot become a second stop
        with pytest.raises(BinanceAPIException) as dup:
            client.futures_create_order(**stop_params(clientAlgoId="qs-sl-BTC-x-0"))
        assert dup.value.code == -4116


@pytest.mark.parametrize("reached", [True, False])
def test_timeout_when_injected_then_client_times_out_and_engine_state_follows(venue, reached):
    client = make_client(venue, timeout=0.3)
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.010")
    venue.control.inject_fault("POST", "/fapi/v1/algoOrder", kind="timeout", delay_s=0.8,
                               reached_engine=reached)
    with pytest.raises(requests.exceptions.Timeout):
        client.futures_create_order(**stop_params())
    assert len(venue.engine.open_algos()) == (1 if reached else 0)


def test_delay_when_injected_then_answer_arrives_late_but_right(venue, client):
    venue.control.inject_fault("GET", "/fapi/v1/ping", kind="delay", delay_s=0.2)
    import time
    started = time.monotonic()
    assert client.futures_ping() == {}
    assert time.monotonic() - started >= 0.2


def test_injected_rate_limit_when_count_two_then_two_429_then_ok(venue, client):
    venue.control.inject_fault("GET", "/fapi/v3/positionRisk", code=-1003, count=2)
    for _ in range(2):
        with pytest.raises(BinanceAPIException) as info:
            client.futures_position_information()
        assert info.value.status_code == 429
    assert client.futures_position_information() == []


def test_silent_cancel_when_stop_resting_then_canceled_by_control_in_ledger(venue, client):
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.010")
    stop = client.futures_create_order(**stop_params())
    mark = len(venue.control.ledger())
    response = requests.post(venue.url + "/paper/v1/silent_cancel",
                             json={"algoId": stop["algoId"]}, timeout=5)
    assert response.json()["algoStatus"] == "CANCELED"
    assert client.futures_get_open_algo_orders() == []
    entries = requests.get(venue.url + f"/paper/v1/ledger?since_id={mark}", timeout=5).json()
    assert [(e["action"], e["actor"], e["algoId"]) for e in entries] == [
        ("CANCELED", "control", stop["algoId"])]


def test_reset_when_called_then_fresh_account_and_empty_books(venue, client):
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.010")
    client.futures_create_order(**stop_params())
    assert requests.post(venue.url + "/paper/v1/reset", timeout=5).status_code == 200
    assert client.futures_position_information() == []
    assert client.futures_get_open_algo_orders() == []
    assert Decimal(client.futures_account_balance()[0]["balance"]) == Decimal("10000")
    assert requests.get(venue.url + "/paper/v1/ledger", timeout=5).json() == []


def test_advance_when_manual_clock_then_time_moves(venue):
    before = venue.clock.now_ms()
    response = requests.post(venue.url + "/paper/v1/advance", json={"ms": 60000}, timeout=5)
    assert response.json()["time"] == before + 60000
    state = requests.get(venue.url + "/paper/v1/state", timeout=5).json()
    assert state["time"] == before + 60000
