"""Maintenance brackets, Binance's liquidation price, the liquidation fee, stops past it."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from bot.paper import brackets as tiers
from bot.paper.clock import ManualClock
from bot.paper.engine import MatchingEngine
from bot.paper.errors import PaperError
from bot.paper.model import AlgoStatus, OrderRequest, OrderType, Side
from bot.paper.slippage import Slippage
from bot.paper.specs import KNOWN_SPECS, generic_spec
from tests.fixtures.paper import StaticMarket
from tests.unit.paper.helpers import Venue

BTC = tiers.for_spec(KNOWN_SPECS["BTCUSDT"])


def test_brackets_when_built_then_maintenance_is_continuous_at_every_boundary():
    for symbol in ("BTCUSDT", "ETHUSDT", "SOLUSDT", "ATOMUSDT"):
        table = tiers.for_spec(KNOWN_SPECS[symbol])
        assert table[0].mmr == KNOWN_SPECS[symbol].maint_margin_rate and table[0].cum == 0
        for low, high in zip(table, table[1:], strict=False):
            assert high.floor == low.cap
            assert low.maint(high.floor) == high.maint(high.floor)


@pytest.mark.parametrize("notional,bracket,maint", [
    (D("19000"), 1, D("76")),            # 0.4 %
    (D("95000"), 2, D("425")),           # 0.5 % − 50
    (D("1000000"), 3, D("5550")),        # 0.65 % − 950
])
def test_maint_margin_when_notional_in_bracket_then_rate_minus_cum(notional, bracket, maint):
    assert tiers.bracket_for(BTC, notional).bracket == bracket
    assert tiers.maint_margin(BTC, notional) == maint


def test_liquidation_price_when_long_in_second_bracket_then_binance_formula():
    # WB 10 000, 1 BTC long at 95 000, no other position: (10000 + 50 − 95000) / (0.005 − 1)
    price = tiers.liquidation_price(D("10000"), D("0"), D("0"), D("1"), D("95000"), BTC)
    assert price == (D("10000") + 50 - 95000) / (D("0.005") - 1)
    assert tiers.bracket_for(BTC, price).bracket == 2


@pytest.mark.parametrize("amount,entry,wallet", [
    (D("1"), D("95000"), D("10000")), (D("-1"), D("95000"), D("10000")),
    (D("12"), D("95000"), D("150000")), (D("-0.2"), D("95000"), D("1000")),
])
def test_liquidation_price_when_reached_then_margin_balance_equals_maintenance(amount, entry,
                                                                              wallet):
    price = tiers.liquidation_price(wallet, D("0"), D("0"), amount, entry, BTC)
    margin_balance = wallet + amount * (price - entry)
    maint = tiers.maint_margin(BTC, abs(amount) * price)
    assert abs(margin_balance - maint) < D("0.000001")


def test_liquidation_price_when_wallet_covers_everything_then_zero():
    assert tiers.liquidation_price(D("200000"), D("0"), D("0"), D("1"), D("95000"), BTC) == 0


def test_flat_model_when_chosen_then_one_bracket_no_cum():
    [only] = tiers.for_spec(generic_spec("S001USDT"), flat=True)
    assert (only.mmr, only.cum) == (D("0.01"), 0)


def test_liquidation_price_when_tiered_then_above_flat_model_for_a_long():
    tiered, flat = (_engine(brackets) for brackets in (True, False))
    for engine in (tiered, flat):
        _long(engine, "1.000")
    at_tiers = tiered.account.liquidation_price("BTCUSDT", tiered.mark)
    at_flat = flat.account.liquidation_price("BTCUSDT", flat.mark)
    assert at_tiers > at_flat  # the second bracket's higher rate liquidates sooner


def test_liquidation_when_triggered_then_clearance_fee_is_the_close_commission():
    v = Venue(balance="3000", BTCUSDT="95000")
    v.market_order("BTCUSDT", Side.BUY, "0.200")
    liq = v.engine.account.liquidation_price("BTCUSDT", v.engine.mark)
    v.move("BTCUSDT", str((liq - 1).quantize(D("0.1"))))
    [_, close] = v.engine.trades.all()
    assert close.commission == (close.qty * close.price * D("0.0125")).quantize(D("1E-8"))


def test_liquidation_fee_when_switched_off_then_taker_fee():
    engine = _engine(True, liquidation_fee=False, balance="3000")
    _long(engine, "0.200")
    liq = engine.account.liquidation_price("BTCUSDT", engine.mark)
    tick = engine.market.set_price("BTCUSDT", (liq - 1).quantize(D("0.1")), engine.now_ms())
    engine.apply_tick(tick)
    close = engine.trades.all()[-1]
    assert close.commission == (close.qty * close.price * D("0.0004")).quantize(D("1E-8"))


def test_stop_when_beyond_liquidation_price_then_accepted_and_liquidation_comes_first():
    v = Venue(balance="1000", BTCUSDT="95000")
    v.market_order("BTCUSDT", Side.BUY, "0.200")
    liq = v.engine.account.liquidation_price("BTCUSDT", v.engine.mark)
    below = str((liq * D("0.98")).quantize(D("0.1")))
    stop = v.algo("BTCUSDT", Side.SELL, OrderType.STOP_MARKET, trigger=below, close=True)
    v.move("BTCUSDT", str((liq - 5).quantize(D("0.1"))))
    assert v.amount("BTCUSDT") == 0
    assert v.engine.get_algo(stop.algo_id).status is AlgoStatus.EXPIRED
    assert [e.action for e in v.engine.ledger.since(0) if e.book == "account"] == ["LIQUIDATED"]


def test_leverage_when_above_first_bracket_then_4028():
    v = Venue()
    assert v.engine.set_leverage("SOLUSDT", 75) == 75
    with pytest.raises(PaperError) as info:
        v.engine.set_leverage("SOLUSDT", 76)
    assert info.value.code == -4028


def _engine(brackets: bool, liquidation_fee: bool = True,
            balance: str = "10000") -> MatchingEngine:
    return MatchingEngine(StaticMarket(), ManualClock(), balance=D(balance),
                          slippage=Slippage.bps("0"), margin_brackets=brackets,
                          liquidation_fee=liquidation_fee)


def _long(engine: MatchingEngine, qty: str) -> None:
    engine.place_order(OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.MARKET,
                                    quantity=D(qty)))
