"""The trigger lifecycle: TRIGGERING for the configured delay, then the child; trigger faults."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from bot.paper.clock import ManualClock, SpeedClock
from bot.paper.errors import PaperError
from bot.paper.model import AlgoStatus, OrderStatus, OrderType, Side
from bot.paper.trigger_pipeline import DEFAULT_TRIGGER_DELAY_MS, resolve_trigger_delay
from tests.unit.paper.helpers import Venue


def long_with_stop(delay: int = 300, qty: str = "1.000", close: bool = True):
    v = Venue(ETHUSDT="3000", trigger_delay_ms=delay)
    v.market_order("ETHUSDT", Side.BUY, qty)
    algo = v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger="2900", close=close,
                  qty=None if close else qty, reduce_only=not close, client_id="qs-sl-1")
    return v, algo


def actions(v: Venue, book: str = "algo") -> list[str]:
    return [e.action for e in v.engine.ledger.since(0) if e.book == book]


def test_trigger_when_delay_set_then_triggering_until_delay_passes_then_filled():
    v, algo = long_with_stop(delay=300)
    v.move("ETHUSDT", "2890")
    fired = v.engine.get_algo(algo.algo_id)
    assert fired.status is AlgoStatus.TRIGGERING and fired.actual_order_id is None
    assert [a.algo_id for a in v.engine.open_algos("ETHUSDT")] == [algo.algo_id]
    assert v.amount("ETHUSDT") == D("1.000")  # still exposed while the engine takes it
    v.advance(299)
    assert v.engine.get_algo(algo.algo_id).status is AlgoStatus.TRIGGERING
    v.advance(1)
    done = v.engine.get_algo(algo.algo_id)
    assert done.status is AlgoStatus.FINISHED and done.actual_order_id is not None
    assert v.amount("ETHUSDT") == 0 and v.engine.open_algos() == []
    assert actions(v) == ["PLACED", "TRIGGERING", "TRIGGERED", "FINISHED"]


def test_child_price_when_market_moves_during_triggering_then_fills_at_later_price():
    v, algo = long_with_stop(delay=300)
    v.move("ETHUSDT", "2890")
    now = v.clock.now_ms()
    v.market.script("ETHUSDT", [(now + 100, D("2850"), None), (now + 400, D("2800"), None)])
    v.advance(1000)
    done = v.engine.get_algo(algo.algo_id)
    assert done.actual_price == D("2850")  # the price standing when the delay ended


def test_no_triggering_entry_when_delay_zero_then_child_in_same_step():
    v, algo = long_with_stop(delay=0)
    v.move("ETHUSDT", "2890")
    assert v.engine.get_algo(algo.algo_id).status is AlgoStatus.FINISHED
    assert "TRIGGERING" not in actions(v)


def test_cancel_when_triggering_then_4117_and_order_still_fires():
    v, algo = long_with_stop(delay=300)
    v.move("ETHUSDT", "2890")
    with pytest.raises(PaperError) as info:
        v.engine.cancel_algo(algo.algo_id)
    assert (info.value.code, info.value.msg) == (-4117, "stop order is triggering")
    assert v.engine.cancel_all_algos("ETHUSDT") == []
    v.advance(300)
    assert v.engine.get_algo(algo.algo_id).status is AlgoStatus.FINISHED


def test_stuck_fault_when_triggered_then_triggering_forever_and_cancel_2011():
    v, algo = long_with_stop(delay=0)
    v.engine.trigger_faults.add("stuck", "ETHUSDT")
    v.move("ETHUSDT", "2890")
    v.advance(86_400_000)
    stuck = v.engine.get_algo(algo.algo_id)
    assert stuck.status is AlgoStatus.TRIGGERING and stuck.actual_order_id is None
    assert v.amount("ETHUSDT") == D("1.000")
    with pytest.raises(PaperError) as info:
        v.engine.cancel_algo(algo.algo_id)
    assert info.value.code == -2011
    assert [a.algo_id for a in v.engine.open_algos()] == [algo.algo_id]
    [entry] = [e for e in v.engine.ledger.since(0) if e.action == "TRIGGERING"]
    assert entry.details["fault"] == "stuck"


def test_reject_fault_when_triggered_then_rejected_with_reason_and_no_child():
    v, algo = long_with_stop(delay=300)
    v.engine.trigger_faults.add("reject", reason="Order would trigger liquidation.")
    v.move("ETHUSDT", "2890")
    v.advance(300)
    done = v.engine.get_algo(algo.algo_id)
    assert done.status is AlgoStatus.REJECTED and done.actual_order_id is None
    assert done.reject_reason == "Order would trigger liquidation."
    assert v.amount("ETHUSDT") == D("1.000")
    [entry] = [e for e in v.engine.ledger.since(0) if e.action == "REJECTED"]
    assert entry.details["rm"] == "Order would trigger liquidation."


def test_child_expired_fault_when_triggered_then_child_expired_and_position_open():
    v, algo = long_with_stop(delay=0)
    v.engine.trigger_faults.add("child_expired", "ETHUSDT")
    v.move("ETHUSDT", "2890")
    done = v.engine.get_algo(algo.algo_id)
    child = v.engine.orders[done.actual_order_id]
    assert done.status is AlgoStatus.FINISHED
    assert child.status is OrderStatus.EXPIRED and child.executed_qty == 0
    assert v.amount("ETHUSDT") == D("1.000")


def test_child_partial_fault_when_triggered_then_half_filled_rest_expired():
    v, algo = long_with_stop(delay=0, qty="0.501", close=False)
    v.engine.trigger_faults.add("child_partial")
    v.move("ETHUSDT", "2890")
    done = v.engine.get_algo(algo.algo_id)
    child = v.engine.orders[done.actual_order_id]
    assert child.status is OrderStatus.EXPIRED and child.executed_qty == D("0.250")
    assert done.status is AlgoStatus.FINISHED and done.actual_price == D("2890")
    assert v.amount("ETHUSDT") == D("0.251")
    fills = [e for e in v.engine.ledger.since(0) if e.action == "FILLED" and e.algo_id]
    assert [(f.status, f.details["lastQty"]) for f in fills] == [("PARTIALLY_FILLED", "0.250")]


def test_trigger_fault_when_armed_for_other_symbol_then_only_that_symbol_fails():
    v, algo = long_with_stop(delay=0)
    v.engine.trigger_faults.add("reject", "BTCUSDT", count=2)
    v.move("ETHUSDT", "2890")
    assert v.engine.get_algo(algo.algo_id).status is AlgoStatus.FINISHED
    [left] = v.engine.trigger_faults.pending()
    assert (left.symbol, left.remaining) == ("BTCUSDT", 2)


def test_trigger_fault_when_count_two_then_two_triggers_fail_third_fills():
    v = Venue(ETHUSDT="3000")
    v.market_order("ETHUSDT", Side.BUY, "3.000")
    ids = [v.algo("ETHUSDT", Side.SELL, OrderType.STOP_MARKET, trigger=str(2900 - i),
                  qty="1.000", reduce_only=True).algo_id for i in range(3)]
    v.engine.trigger_faults.add("reject", count=2)
    v.move("ETHUSDT", "2800")
    assert [v.engine.get_algo(i).status for i in ids] == [
        AlgoStatus.REJECTED, AlgoStatus.REJECTED, AlgoStatus.FINISHED]
    assert v.engine.trigger_faults.pending() == []


def test_close_position_stop_when_position_closed_during_triggering_then_expired():
    v, algo = long_with_stop(delay=300)
    v.move("ETHUSDT", "2890")
    v.market_order("ETHUSDT", Side.SELL, "1.000", reduce_only=True)
    v.advance(300)
    done = v.engine.get_algo(algo.algo_id)
    assert done.status is AlgoStatus.EXPIRED and done.actual_order_id is None
    assert v.amount("ETHUSDT") == 0


def test_trigger_fault_when_unknown_kind_or_bad_count_then_value_error():
    v = Venue()
    with pytest.raises(ValueError):
        v.engine.trigger_faults.add("lost")
    with pytest.raises(ValueError):
        v.engine.trigger_faults.add("stuck", count=0)
    assert v.engine.trigger_faults.pending() == []


@pytest.mark.parametrize("given,clock,expected", [
    (None, ManualClock(), 0),
    (None, SpeedClock(1.0), DEFAULT_TRIGGER_DELAY_MS),
    (40, ManualClock(), 40),
    (0, SpeedClock(1.0), 0),
])
def test_trigger_delay_when_resolved_then_default_depends_on_clock(given, clock, expected):
    assert resolve_trigger_delay(given, clock) == expected


def test_trigger_delay_when_negative_then_value_error():
    with pytest.raises(ValueError):
        resolve_trigger_delay(-1, ManualClock())
