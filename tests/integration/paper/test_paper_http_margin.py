"""Tiered maintenance over HTTP: leverageBracket's tiers and positionRisk's liquidationPrice."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from bot.paper import brackets as tiers
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


def test_leverage_bracket_when_read_then_tiers_with_maintenance_amounts(venue):
    client = make_client(venue)
    btc = client.futures_leverage_bracket(symbol="BTCUSDT")
    rows = btc["brackets"]
    assert len(rows) == 12 and rows[0]["initialLeverage"] == 125
    assert [(r["notionalFloor"], r["maintMarginRatio"], r["cum"]) for r in rows[:3]] == [
        (0, 0.004, 0.0), (50000, 0.005, 50.0), (600000, 0.0065, 950.0)]


def test_position_risk_when_position_open_then_liquidation_price_from_brackets(venue):
    client = make_client(venue)
    client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="1")
    client.futures_create_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="1")
    rows = {r["symbol"]: r for r in client.futures_position_information()}
    engine = venue.engine
    for symbol in ("BTCUSDT", "ETHUSDT"):
        expected = engine.account.liquidation_price(symbol, engine.mark)
        assert Decimal(rows[symbol]["liquidationPrice"]) == expected.quantize(Decimal("1E-8"))
    wallet = engine.account.wallet
    eth_maint = tiers.maint_margin(engine.brackets["ETHUSDT"], Decimal("3200"))
    own = tiers.liquidation_price(wallet, eth_maint, Decimal("0"), Decimal("1"),
                                  Decimal("95000"), engine.brackets["BTCUSDT"])
    assert Decimal(rows["BTCUSDT"]["liquidationPrice"]) == own.quantize(Decimal("1E-8"))


def test_switches_when_set_over_http_then_models_change(venue):
    client = make_client(venue)
    answer = requests.post(venue.url + "/paper/v1/switches",
                           json={"marginBrackets": "false", "marketPriceProtection": "false"},
                           timeout=5)
    assert answer.json() == {"marginBrackets": False, "liquidationFee": True,
                             "marketPriceProtection": False}
    assert len(client.futures_leverage_bracket(symbol="BTCUSDT")["brackets"]) == 1
    venue.control.set_price("ETHUSDT", "2800", mark="3000")  # would be -4131 with the band on
    client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="1")
    bad = requests.post(venue.url + "/paper/v1/switches", json={"liquidationFee": "maybe"},
                        timeout=5)
    assert bad.status_code == 400 and venue.engine.liquidation_fee is True
