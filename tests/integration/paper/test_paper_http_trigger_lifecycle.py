"""The trigger lifecycle over HTTP: TRIGGERING seen by python-binance, trigger faults armed
through ``/paper/v1/trigger_fault`` and the Python API."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from binance.exceptions import BinanceAPIException

from bot.paper.clock import ManualClock, SpeedClock
from bot.paper.model import AlgoStatus
from bot.paper.server import PaperExchange
from bot.paper.trigger_pipeline import DEFAULT_TRIGGER_DELAY_MS
from tests.fixtures.paper import API_KEY, API_SECRET, StaticMarket, eventually, make_client


@pytest.fixture
def venue():
    exchange = PaperExchange(api_key=API_KEY, api_secret=API_SECRET, clock=ManualClock(),
                             market=StaticMarket(), slippage_bps=0, trigger_delay_ms=300,
                             tick_interval_s=None)
    exchange.start()
    yield exchange
    exchange.stop()


@pytest.fixture
def client(venue):
    return make_client(venue, timeout=5.0)


def long_eth_with_stop(client) -> int:
    client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1")
    stop = client.futures_create_order(symbol="ETHUSDT", side="SELL", type="STOP_MARKET",
                                       stopPrice="2900", closePosition="true")
    return stop["algoId"]


def test_triggering_when_delay_running_then_open_uncancellable_4117_then_finished(venue,
                                                                                  client):
    algo_id = long_eth_with_stop(client)
    venue.control.set_price("ETHUSDT", "2890")
    seen = client.futures_get_algo_order(algoId=algo_id)
    assert (seen["algoStatus"], seen["actualOrderId"]) == ("TRIGGERING", "")
    assert [o["algoId"] for o in client.futures_get_open_algo_orders()] == [algo_id]
    with pytest.raises(BinanceAPIException) as info:
        client.futures_cancel_algo_order(algoId=algo_id)
    assert (info.value.code, info.value.status_code) == (-4117, 400)
    venue.control.advance(300)
    done = client.futures_get_algo_order(algoId=algo_id)
    assert done["algoStatus"] == "FINISHED" and done["actualOrderId"]
    child = client.futures_get_order(symbol="ETHUSDT", orderId=int(done["actualOrderId"]))
    assert child["status"] == "FILLED" and Decimal(child["avgPrice"]) == Decimal("2890")


def test_stuck_fault_when_armed_over_http_then_triggering_forever_cancel_2011(venue, client):
    algo_id = long_eth_with_stop(client)
    armed = requests.post(venue.url + "/paper/v1/trigger_fault",
                          json={"kind": "stuck", "symbol": "ETHUSDT"}, timeout=5)
    assert armed.status_code == 200 and armed.json()["kind"] == "stuck"
    venue.control.set_price("ETHUSDT", "2890")
    venue.control.advance(3_600_000)
    assert client.futures_get_algo_order(algoId=algo_id)["algoStatus"] == "TRIGGERING"
    with pytest.raises(BinanceAPIException) as info:
        client.futures_cancel_algo_order(algoId=algo_id)
    assert info.value.code == -2011
    positions = client.futures_position_information(symbol="ETHUSDT")
    assert Decimal(positions[0]["positionAmt"]) == Decimal("1")


def test_reject_fault_when_armed_in_python_then_rejected_and_ledger_keeps_reason(venue,
                                                                                 client):
    algo_id = long_eth_with_stop(client)
    venue.control.trigger_fault("reject", symbol="ETHUSDT", reason="Margin is insufficient.")
    venue.control.set_price("ETHUSDT", "2890")
    venue.control.advance(300)
    assert client.futures_get_algo_order(algoId=algo_id)["algoStatus"] == "REJECTED"
    [entry] = [e for e in venue.control.ledger() if e.action == "REJECTED"]
    assert entry.details["rm"] == "Margin is insufficient."


def test_child_expired_fault_when_triggered_then_child_order_expired(venue, client):
    algo_id = long_eth_with_stop(client)
    venue.control.trigger_fault("child_expired")
    venue.control.set_price("ETHUSDT", "2890")
    venue.control.advance(300)
    done = client.futures_get_algo_order(algoId=algo_id)
    child = client.futures_get_order(symbol="ETHUSDT", orderId=int(done["actualOrderId"]))
    assert (done["algoStatus"], child["status"], child["executedQty"]) == (
        "FINISHED", "EXPIRED", "0.000")


def test_trigger_fault_when_bad_kind_then_400_and_nothing_armed(venue):
    answer = requests.post(venue.url + "/paper/v1/trigger_fault", json={"kind": "lost"},
                           timeout=5)
    assert answer.status_code == 400
    unknown = requests.post(venue.url + "/paper/v1/trigger_fault",
                            json={"kind": "stuck", "symbol": "NOPEUSDT"}, timeout=5)
    assert unknown.status_code == 400
    assert venue.control.state()["triggerFaults"] == []


def test_trigger_delay_when_set_over_http_then_state_shows_it(venue):
    answer = requests.post(venue.url + "/paper/v1/trigger_delay", json={"ms": 0}, timeout=5)
    assert answer.json() == {"ms": 0} and venue.control.state()["triggerDelayMs"] == 0
    refused = requests.post(venue.url + "/paper/v1/trigger_delay", json={"ms": -5}, timeout=5)
    assert refused.status_code == 400 and venue.engine.trigger_delay_ms == 0


def test_default_delay_when_clock_runs_by_itself_then_ticker_finishes_trigger():
    exchange = PaperExchange(api_key=API_KEY, api_secret=API_SECRET, clock=SpeedClock(1.0),
                             market=StaticMarket(), slippage_bps=0)
    exchange.start()
    try:
        assert exchange.engine.trigger_delay_ms == DEFAULT_TRIGGER_DELAY_MS
        client = make_client(exchange)
        algo_id = long_eth_with_stop(client)
        exchange.control.set_price("ETHUSDT", "2890")
        assert exchange.engine.get_algo(algo_id).status is AlgoStatus.TRIGGERING
        eventually(lambda: exchange.engine.get_algo(algo_id).status is AlgoStatus.FINISHED,
                   timeout=3)
        assert exchange.engine.account.amount("ETHUSDT") == 0
    finally:
        exchange.stop()
