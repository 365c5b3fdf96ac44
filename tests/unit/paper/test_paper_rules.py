"""Pure matching rules: the trigger table, trailing extremes, adverse fill prices, filters."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from bot.paper import rules
from bot.paper.errors import PaperError
from bot.paper.model import OrderType, Side
from bot.paper.specs import KNOWN_SPECS

STOPS = [OrderType.STOP, OrderType.STOP_MARKET]
TAKES = [OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_MARKET]


@pytest.mark.parametrize("kind", STOPS)
@pytest.mark.parametrize("side,price,fires", [
    (Side.BUY, D("101"), True), (Side.BUY, D("100"), True), (Side.BUY, D("99.9"), False),
    (Side.SELL, D("99"), True), (Side.SELL, D("100"), True), (Side.SELL, D("100.1"), False),
])
def test_stop_condition_when_price_crosses_then_fires(kind, side, price, fires):
    assert rules.condition_met(kind, side, D("100"), price) is fires


@pytest.mark.parametrize("kind", TAKES)
@pytest.mark.parametrize("side,price,fires", [
    (Side.BUY, D("99"), True), (Side.BUY, D("100"), True), (Side.BUY, D("100.1"), False),
    (Side.SELL, D("101"), True), (Side.SELL, D("100"), True), (Side.SELL, D("99.9"), False),
])
def test_take_profit_condition_when_price_reaches_then_fires(kind, side, price, fires):
    assert rules.condition_met(kind, side, D("100"), price) is fires


def test_trailing_has_no_fixed_trigger():
    with pytest.raises(ValueError):
        rules.condition_met(OrderType.TRAILING_STOP_MARKET, Side.SELL, D("1"), D("1"))


def test_trailing_sell_when_price_rises_then_falls_by_rate_then_fires():
    extreme = None
    for price in (D("100"), D("110"), D("105")):
        extreme = rules.trailing_extreme(Side.SELL, extreme, price)
    assert extreme == D("110")
    assert not rules.trailing_fires(Side.SELL, extreme, D("5"), D("104.51"))
    assert rules.trailing_fires(Side.SELL, extreme, D("5"), D("104.5"))


def test_trailing_buy_when_price_falls_then_rises_by_rate_then_fires():
    extreme = None
    for price in (D("100"), D("90"), D("95")):
        extreme = rules.trailing_extreme(Side.BUY, extreme, price)
    assert extreme == D("90")
    assert rules.trailing_trigger(Side.BUY, extreme, D("1")) == D("90.9")
    assert rules.trailing_fires(Side.BUY, extreme, D("1"), D("90.9"))
    assert not rules.trailing_fires(Side.BUY, extreme, D("1"), D("90.8"))


@pytest.mark.parametrize("side,activate,price,armed", [
    (Side.SELL, D("105"), D("104"), False), (Side.SELL, D("105"), D("105"), True),
    (Side.BUY, D("95"), D("96"), False), (Side.BUY, D("95"), D("95"), True),
    (Side.BUY, None, D("1"), True),
])
def test_trailing_activation(side, activate, price, armed):
    assert rules.trailing_activates(side, activate, price) is armed


@pytest.mark.parametrize("side,expected", [(Side.BUY, D("100.3")), (Side.SELL, D("99.7"))])
def test_market_fill_when_slippage_then_always_against_taker(side, expected):
    assert rules.market_fill_price(side, D("100"), D("0.0025"), D("0.1")) == expected


SPEC = KNOWN_SPECS["BTCUSDT"]


@pytest.mark.parametrize("price,code", [
    (D("95000.123"), -1111), (D("95000.05"), -4014), (D("0"), -4006), (D("100.0"), -4013),
])
def test_price_filter_when_violated_then_binance_code(price, code):
    with pytest.raises(PaperError) as info:
        rules.check_price(SPEC, price)
    assert info.value.code == code


@pytest.mark.parametrize("qty,market,code", [
    (D("0"), False, -4003), (D("0.0001"), False, -1111), (D("2000"), False, -4005),
    (D("121"), True, -4005),
])
def test_lot_size_when_violated_then_binance_code(qty, market, code):
    with pytest.raises(PaperError) as info:
        rules.check_quantity(SPEC, qty, market)
    assert info.value.code == code


def test_notional_when_reduce_only_then_exempt():
    rules.check_notional(SPEC, D("0.001"), D("95000"), reduce_only=True)
    with pytest.raises(PaperError) as info:
        rules.check_notional(SPEC, D("0.001"), D("95000"), reduce_only=False)
    assert info.value.code == -4164
