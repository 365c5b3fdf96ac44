from __future__ import annotations

from decimal import Decimal

import pytest

from bot.decisions.sizing import size_position
from bot.domain import Direction
from tests.unit.decisions.builders import filters

D = Decimal
RISK = D("0.0075")


def _stop(direction, entry, distance):
    return entry - distance if direction is Direction.LONG else entry + distance


@pytest.fixture(params=[Direction.LONG, Direction.SHORT], ids=["long", "short"])
def direction(request):
    return request.param


def _size(direction, entry="10", distance="0.5", equity="1000", available="1000",
          leverage=5, risk=RISK, **filter_kw):
    entry_d = D(entry)
    return size_position(direction, entry_d, _stop(direction, entry_d, D(distance)), D(equity),
                         D(available), risk, leverage, filters(**filter_kw))


def test_quantity_is_equity_times_risk_over_stop_distance(direction):
    sizing = _size(direction)  # 1000 x 0.0075 / 0.5 = 15
    assert sizing.ok and sizing.quantity == D("15.00")
    assert sizing.risk_usdt == D("7.5") and sizing.notional == D("150") and not sizing.capped


def test_quantity_rounds_down_to_the_step(direction):
    sizing = _size(direction, distance="0.7", step="0.1")  # 10.714... -> 10.7
    assert sizing.quantity == D("10.7")
    assert sizing.risk_usdt <= D("1000") * RISK


def test_leverage_times_available_margin_caps_the_quantity(direction):
    # wanted 15 x 10 = 150 USDT notional, but 2x leverage on 50 available carries only 100
    sizing = _size(direction, available="50", leverage=2)
    assert sizing.ok and sizing.capped and sizing.quantity == D("10.00")


@pytest.mark.parametrize(("min_qty", "ok"), [("15", True), ("15.01", False)])
def test_below_min_qty_is_refused(direction, min_qty, ok):
    sizing = _size(direction, min_qty=min_qty, min_notional="1")
    assert sizing.ok is ok
    if not ok:
        assert sizing.reason == "quantity 15.00 below minQty 15.01" and sizing.quantity == 0


@pytest.mark.parametrize(("min_notional", "ok"), [("150", True), ("150.01", False)])
def test_below_min_notional_is_refused(direction, min_notional, ok):
    sizing = _size(direction, min_notional=min_notional)
    assert sizing.ok is ok
    if not ok:
        assert "below MIN_NOTIONAL 150.01" in sizing.reason


def test_a_tiny_account_is_refused_not_rounded_to_zero(direction):
    sizing = _size(direction, equity="0.5")  # 0.0075 units -> 0.00 after rounding
    assert not sizing.ok and "below minQty" in sizing.reason


def test_zero_stop_distance_is_refused(direction):
    sizing = _size(direction, distance="0")
    assert not sizing.ok and "equals the entry" in sizing.reason


def test_stop_on_the_wrong_side_is_refused(direction):
    sizing = _size(direction, distance="-0.5")
    where = "below" if direction is Direction.LONG else "above"
    assert not sizing.ok and f"must be {where} entry" in sizing.reason


@pytest.mark.parametrize(("kw", "reason"), [
    ({"entry": "0"}, "entry price"), ({"equity": "0"}, "equity"),
    ({"risk": D("1")}, "risk per trade"), ({"leverage": 0}, "leverage"),
])
def test_nonsense_inputs_are_refused(direction, kw, reason):
    sizing = _size(direction, **kw)
    assert not sizing.ok and sizing.reason.startswith(reason)


def test_max_qty_caps_the_quantity(direction):
    assert _size(direction, max_qty="12").quantity == D("12")


def test_market_max_qty_caps_before_the_larger_lot_max(direction):
    """An entry is a market order: MARKET_LOT_SIZE maxQty binds, not LOT_SIZE's."""
    assert _size(direction, max_qty="100", market_max_qty="11").quantity == D("11")


def test_what_is_held_counts_against_what_one_market_order_can_close(direction):
    # wanted 15, the position already holds 4 of the 12 one reduce-only order can close
    sizing = size_position(direction, D("10"), _stop(direction, D("10"), D("0.5")), D("1000"),
                           D("1000"), RISK, 5, filters(max_qty="12"), held=D("4"))
    assert sizing.ok and sizing.quantity == D("8")


def test_a_position_at_the_single_order_limit_gets_no_more(direction):
    sizing = size_position(direction, D("10"), _stop(direction, D("10"), D("0.5")), D("1000"),
                           D("1000"), RISK, 5, filters(max_qty="12"), held=D("11.995"))
    assert not sizing.ok and sizing.quantity == 0
    assert sizing.reason.startswith("the position already holds 11.995 of the 12 ")
