"""The monitor preserves: covered positions untouched, uncovered ones fixed make-before-break."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain import Decision, Direction, EventKind, OrderType, Side, Trade, client_ids
from bot.protection.config import ProtectionConfig
from bot.protection.coverage import assess
from bot.protection.stop_policy import StopMode, StopPolicy
from tests.unit.protection.fakes import T0, MemoryLeases
from tests.unit.protection.rig import Rig

D = Decimal


def opened(rig: Rig, direction: Direction = Direction.LONG) -> None:
    stop = D("2900") if direction is Direction.LONG else D("3100")
    rig.executor.open_position(Decision("ETHUSDT", direction, D("0.5"), stop))


STOP = D("2900")


def record(rig: Rig, symbol: str = "ETHUSDT", stop: Decimal | None = STOP,
           qty: str = "1", direction: Direction = Direction.LONG) -> None:
    rig.book.record_open(Trade(symbol, direction, D(qty), rig.ex.marks[symbol], stop,
                                     client_ids.position_key(symbol, 1), T0))


def test_monitor_when_stop_exists_then_kept_and_nothing_touched() -> None:
    rig = Rig()
    opened(rig)
    rig.ex.calls.clear()
    report = rig.monitor.run_cycle()
    assert report.covered == 1 and report.protected == 0
    assert rig.ex.methods() == ["open_conditional_orders", "positions"]  # no 40-weight openOrders
    assert EventKind.STOP_KEPT in rig.sink.kinds()


def test_monitor_stop_kept_event_is_rate_limited() -> None:
    rig = Rig()
    opened(rig)
    for _ in range(5):
        rig.monitor.run_cycle()
        rig.clock.advance(10)
    assert len(rig.sink.of(EventKind.STOP_KEPT)) == 1
    assert len(rig.sink.of(EventKind.MONITOR_CYCLE)) == 5


def test_monitor_requests_per_cycle_do_not_grow_with_positions() -> None:
    rig = Rig()
    for symbol in ("BTCUSDT", "ETHUSDT", "ATOMUSDT"):
        rig.ex.open_position(symbol, Direction.LONG, D("1"))
        rig.ex.add_algo(symbol, Side.SELL, rig.ex.marks[symbol] * D("0.9"), None)
        record(rig, symbol)
    report = rig.monitor.run_cycle()
    assert report.requests == 2 and report.covered == 3


@pytest.mark.parametrize("d", list(Direction))
def test_monitor_when_naked_then_protected_from_trade_stop(d: Direction) -> None:
    rig = Rig()
    stop = D("2900") if d is Direction.LONG else D("3100")
    rig.ex.open_position("ETHUSDT", d, D("1"))
    record(rig, stop=stop, direction=d)
    report = rig.monitor.run_cycle()
    assert report.protected == 1
    [order] = rig.ex.open_algos()
    assert order.trigger_price == stop and order.side is d.closing_side and order.close_position
    assert EventKind.NAKED_DETECTED in rig.sink.kinds()


def test_monitor_when_partial_then_fixed_make_before_break_partial() -> None:
    rig = Rig()
    rig.ex.open_position("ETHUSDT", Direction.LONG, D("2"))
    half = rig.ex.add_algo("ETHUSDT", Side.SELL, D("2900"), D("1"))
    record(rig, qty="2")
    rig.ex.calls.clear()
    rig.monitor.run_cycle()
    methods = rig.ex.methods()
    assert methods.index("place_stop") < methods.index("cancel_conditional")
    open_now = rig.ex.open_algos()
    assert half not in open_now
    assert assess(rig.ex.positions()[0], open_now).covered
    assert rig.sink.of(EventKind.STOP_CANCELED)[0].details["reason"] == "replaced"


def test_monitor_when_stop_on_wrong_side_then_replaced() -> None:
    rig = Rig()
    rig.ex.open_position("ETHUSDT", Direction.LONG, D("1"))
    wrong = rig.ex.add_algo("ETHUSDT", Side.BUY, D("2900"), D("1"))
    record(rig)
    rig.monitor.run_cycle()
    open_now = rig.ex.open_algos()
    assert wrong not in open_now and assess(rig.ex.positions()[0], open_now).covered


def test_monitor_when_close_position_stop_beyond_mark_then_reduce_only_added() -> None:
    rig = Rig()
    rig.ex.open_position("ETHUSDT", Direction.LONG, D("1"))
    rig.ex.add_algo("ETHUSDT", Side.SELL, D("2950"), None)
    rig.ex.marks["ETHUSDT"] = D("2940")  # the mark went through the stop (it is triggering)
    record(rig, stop=D("2800"))
    rig.monitor.run_cycle()
    assert assess(rig.ex.positions()[0], rig.ex.open_algos()).covered
    assert any(o.reduce_only and o.quantity == D("1") for o in rig.ex.open_algos())


def test_monitor_when_new_stop_fails_then_old_partial_stays() -> None:
    rig = Rig(config=ProtectionConfig(retry_buffers=()))
    rig.ex.open_position("ETHUSDT", Direction.LONG, D("2"))
    half = rig.ex.add_algo("ETHUSDT", Side.SELL, D("2900"), D("1"))
    record(rig, qty="2")
    rig.ex.inject("place_stop", -1111)
    rig.ex.inject("market_order", -1001, http=503)
    rig.monitor.run_cycle()
    assert half in rig.ex.open_algos()
    assert "cancel_conditional" not in rig.ex.methods()


def test_monitor_when_naked_without_trade_then_adopted_with_settings_stop() -> None:
    rig = Rig(config=ProtectionConfig(stop=StopPolicy(StopMode.PERCENT, pct=D("0.02"))))
    rig.ex.open_position("ETHUSDT", Direction.SHORT, D("1"))
    report = rig.monitor.run_cycle()
    assert report.adopted == 1
    [order] = rig.ex.open_algos()
    assert order.trigger_price == D("3060.00") and order.side is Side.BUY
    assert EventKind.POSITION_ADOPTED in rig.sink.kinds()
    rig.monitor.run_cycle()
    assert len(rig.ex.open_algos()) == 1 and len(rig.book.open_trades()) == 1


def test_monitor_when_stop_silently_gone_then_reprotected() -> None:
    rig = Rig()
    opened(rig)
    [order] = rig.ex.open_algos()
    rig.ex.cancel_conditional("ETHUSDT", algo_id=order.algo_id)
    rig.monitor.run_cycle()
    [new] = rig.ex.open_algos()
    assert new.trigger_price == order.trigger_price and new.client_algo_id != order.client_algo_id


def test_monitor_when_still_naked_past_grace_then_red_flag_once() -> None:
    rig = Rig(config=ProtectionConfig(naked_grace_s=30, retry_buffers=()))
    rig.ex.open_position("ETHUSDT", Direction.LONG, D("1"))
    record(rig)
    for _ in range(6):
        rig.ex.inject("place_stop", -1111)
        rig.ex.inject("market_order", -1001, http=503)
        rig.monitor.run_cycle()
        rig.clock.advance(10)
    assert len(rig.sink.of(EventKind.NAKED_PAST_GRACE)) == 1


def test_monitor_when_reduce_only_orphan_then_cancelled_close_position_left() -> None:
    rig = Rig()
    orphan = rig.ex.add_algo("ETHUSDT", Side.SELL, D("2900"), D("1"))
    cp = rig.ex.add_algo("BTCUSDT", Side.SELL, D("40000"), None)
    tp = rig.ex.add_algo("ETHUSDT", Side.SELL, D("3500"), D("1"),
                         type_=OrderType.TAKE_PROFIT_MARKET)
    report = rig.monitor.run_cycle()
    assert report.orphans_cancelled == 2
    assert rig.ex.open_algos() == [cp]
    assert orphan not in rig.ex.open_algos() and tp not in rig.ex.open_algos()
    assert all(e.details["reason"] == "orphan" for e in rig.sink.of(EventKind.STOP_CANCELED))


def test_monitor_when_stop_hit_then_position_closed_with_pnl_and_loss_flag() -> None:
    rig = Rig(config=ProtectionConfig(loss_flag_pct=D("0.5")))
    rig.ex.balance = D("1000")
    rig.executor.open_position(Decision("ETHUSDT", Direction.LONG, D("1"), D("2900")))
    rig.monitor.run_cycle()
    rig.ex.trigger(rig.ex.open_algos()[0].algo_id)
    report = rig.monitor.run_cycle()
    assert report.closed == 1
    [ev] = rig.sink.of(EventKind.POSITION_CLOSED)
    assert ev.details["reason"] == "stop"
    assert ev.details["pnl_usdt"] == D("-100")
    # against the equity before the close: the fake's 1000 is read after it, so 1100 risked
    assert ev.details["pnl_pct_equity"] == D("-9.0909")
    assert rig.sink.of(EventKind.LOSS_OVER_LIMIT)
    assert rig.book.open_trades() == []


def test_monitor_ratchet_moves_stop_make_before_break() -> None:
    rig = Rig(config=ProtectionConfig(ratchet_distance=D("0.01")))
    rig.executor.open_position(Decision("ETHUSDT", Direction.LONG, D("1"), D("2900")))
    rig.ex.marks["ETHUSDT"] = D("3300")
    rig.ex.calls.clear()
    rig.monitor.run_cycle()
    methods = rig.ex.methods()
    assert methods.index("place_stop") < methods.index("cancel_conditional")
    [order] = rig.ex.open_algos()
    assert order.trigger_price == D("3267.00") and order.quantity == D("1")
    rig.ex.calls.clear()
    rig.monitor.run_cycle()  # no further move without a further rise
    assert "place_stop" not in rig.ex.methods()


def test_reconcile_when_lease_held_by_other_then_refuses() -> None:
    from bot.reconcile import LeaseHeldError, Reconciler

    leases = MemoryLeases()
    a, b = Rig(), Rig()
    first = Reconciler(a.monitor, leases, a.recorder, a.config, owner="a")
    first.start()
    second = Reconciler(b.monitor, leases, b.recorder, b.config, owner="b")
    with pytest.raises(LeaseHeldError, match="another QuantShield process"):
        second.start()
    assert b.ex.calls == []
    a.clock.advance(1)
    assert first.renew()
    b.clock.advance(120)
    second.start()  # a's lease expired: takeover
    assert not first.renew() and not first.held
