"""The errors a stop placer meets, over python-binance: the ones the venue produces by
itself (-4131, -4117, -4045, -2022) and the injectable ones, with Binance's text and status."""

from __future__ import annotations

from dataclasses import replace

import pytest
from binance.exceptions import BinanceAPIException

from bot.paper.clock import ManualClock
from bot.paper.server import PaperExchange
from bot.paper.specs import KNOWN_SPECS
from tests.fixtures.paper import API_KEY, API_SECRET, StaticMarket, make_client

ALGO = "/fapi/v1/algoOrder"


@pytest.fixture
def venue():
    eth = replace(KNOWN_SPECS["ETHUSDT"], max_algo_orders=2)
    exchange = PaperExchange(api_key=API_KEY, api_secret=API_SECRET, clock=ManualClock(),
                             market=StaticMarket(), slippage_bps=0, tick_interval_s=None,
                             trigger_delay_ms=200, specs={"ETHUSDT": eth})
    exchange.start()
    yield exchange
    exchange.stop()


@pytest.fixture
def client(venue):
    c = make_client(venue)
    c.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1")
    return c


def stop(client, trigger: str = "2900", **extra):
    return client.futures_create_order(symbol="ETHUSDT", side="SELL", type="STOP_MARKET",
                                       stopPrice=trigger, quantity="0.5", reduceOnly="true",
                                       **extra)


def refused(call, *args, **params) -> BinanceAPIException:
    with pytest.raises(BinanceAPIException) as info:
        call(*args, **params)
    return info.value


def test_market_close_when_last_far_below_mark_then_4131(venue, client):
    venue.control.set_price("ETHUSDT", "2800", mark="3000")  # last 6.7 % under the mark
    error = refused(client.futures_create_order, symbol="ETHUSDT", side="SELL", type="MARKET",
                    quantity="1", reduceOnly="true")
    assert (error.code, error.message, error.status_code) == (
        -4131, "The counterparty's best price does not meet the PERCENT_PRICE filter limit",
        400)
    assert venue.engine.account.amount("ETHUSDT") == 1


def test_stop_when_it_fires_into_a_last_price_crash_then_rejected_with_4131_reason(venue,
                                                                                  client):
    placed = stop(client)
    venue.control.set_price("ETHUSDT", "2800", mark="3000")
    venue.control.advance(200)
    assert client.futures_get_algo_order(algoId=placed["algoId"])["algoStatus"] == "REJECTED"
    [entry] = [e for e in venue.control.ledger() if e.action == "REJECTED"]
    assert entry.details["code"] == -4131 and "PERCENT_PRICE" in entry.details["rm"]
    assert venue.engine.account.amount("ETHUSDT") == 1  # unprotected, still open


def test_cancel_when_stop_triggering_then_4117_text(venue, client):
    placed = stop(client)
    venue.control.set_price("ETHUSDT", "2890")
    error = refused(client.futures_cancel_algo_order, algoId=placed["algoId"])
    assert (error.code, error.message, error.status_code) == (
        -4117, "stop order is triggering", 400)


def test_symbol_cap_when_reached_then_4045_text(client):
    stop(client, "2900")
    stop(client, "2800")
    error = refused(stop, client, "2700")
    assert (error.code, error.message, error.status_code) == (
        -4045, "Reach max stop order limit.", 400)


@pytest.mark.parametrize("preset,code,msg,status", [
    ("me_recv_window", -5028, "Timestamp for this request is outside of the ME recvWindow.",
     400),
    ("user_in_liquidation", -2023, "User in liquidation mode now.", 400),
    ("reduce_only_conflict", -2022,
     "This indicates the new reduce-only order conflicts with existing open orders; cancel "
     "the existing order and resubmit the reduce-only order.", 400),
    ("reduce_only_rejected", -2022, "ReduceOnly Order is rejected.", 400),
    ("market_order_reject", -4131,
     "The counterparty's best price does not meet the PERCENT_PRICE filter limit", 400),
    ("server_busy", -1008,
     "Server is currently overloaded with other requests. Please try again in a few minutes.",
     503),
])
def test_preset_when_injected_on_stop_post_then_binance_error_and_no_stop(venue, client,
                                                                         preset, code, msg,
                                                                         status):
    venue.control.inject_fault("POST", ALGO, preset=preset)
    error = refused(stop, client)
    assert (error.code, error.message, error.status_code) == (code, msg, status)
    assert client.futures_get_open_algo_orders() == []


def test_reduce_only_stop_when_position_gone_then_natural_2022(venue, client):
    client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="1",
                                reduceOnly="true")
    error = refused(client.futures_create_order, symbol="ETHUSDT", side="SELL", type="MARKET",
                    quantity="1", reduceOnly="true")
    assert (error.code, error.message) == (-2022, "ReduceOnly Order is rejected.")
    assert venue.engine.account.amount("ETHUSDT") == 0
