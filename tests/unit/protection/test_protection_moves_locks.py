"""Make-before-break, the cancel guard, -4130, flatten's order, and the per-symbol locks."""

from __future__ import annotations

import threading
from decimal import Decimal

from bot.domain import Decision, Direction, EventKind, OrderType, Side
from bot.execution.executor import OpenStatus
from bot.locks import SymbolLocks
from bot.protection.ladder import StopRequest
from bot.protection.moves import move_stop
from tests.unit.protection.rig import Rig

D = Decimal


def long_eth(rig: Rig, qty: str = "1") -> None:
    rig.executor.open_position(Decision("ETHUSDT", Direction.LONG, D(qty), D("2900")))


def test_safe_cancel_refuses_the_only_covering_stop() -> None:
    rig = Rig()
    long_eth(rig)
    [stop] = rig.ex.open_algos()
    [pos] = rig.ex.positions()
    assert not rig.protector.cancel_if_safe(pos, rig.ex.open_algos(), stop, "replaced")
    assert rig.ex.open_algos() == [stop]
    assert "cancel_conditional" not in rig.ex.methods()


def test_move_when_new_stop_refused_then_old_stays_cant_recreate() -> None:
    rig = Rig()
    long_eth(rig)
    [old] = rig.ex.open_algos()
    [pos] = rig.ex.positions()
    rig.ex.inject("place_stop", -2021)
    out = move_stop(rig.protector, pos, rig.ex.open_algos(), [old], D("2950"), "k")
    assert not out.moved and out.kept == (old,)
    assert rig.ex.open_algos() == [old]
    assert "cancel_conditional" not in rig.ex.methods()


def test_move_places_new_reduce_only_then_cancels_old() -> None:
    rig = Rig()
    long_eth(rig)
    [old] = rig.ex.open_algos()
    [pos] = rig.ex.positions()
    rig.ex.calls.clear()
    out = move_stop(rig.protector, pos, rig.ex.open_algos(), [old], D("2950.006"), "k")
    assert out.moved and out.cancelled == (old,)
    assert rig.ex.methods() == ["place_stop", "cancel_conditional"]
    [new] = rig.ex.open_algos()
    assert new.reduce_only and new.quantity == D("1") and new.trigger_price == D("2950.00")


def test_protect_when_close_position_exists_4130_then_reread_and_keep() -> None:
    rig = Rig()
    rig.ex.open_position("ETHUSDT", Direction.LONG, D("1"))
    existing = rig.ex.add_algo("ETHUSDT", Side.SELL, D("2800"), None)
    # the executor saw an empty book (a race): its closePosition stop meets -4130
    outcome = rig.protector.protect_fill(StopRequest(
        "ETHUSDT", Direction.LONG, D("1"), D("2900"), "qs-sl-ETH-k-0",
        rig.ex.filters("ETHUSDT"), "k"))
    assert outcome.protected and outcome.stop == existing
    assert rig.ex.open_algos() == [existing]


def test_protect_when_id_taken_by_live_order_then_fresh_id_used() -> None:
    rig = Rig()
    rig.ex.open_position("ETHUSDT", Direction.LONG, D("1"))
    rig.ex.add_algo("ETHUSDT", Side.SELL, D("3500"), D("1"), cid="qs-sl-ETH-k-0",
                    type_=OrderType.TAKE_PROFIT_MARKET)
    outcome = rig.protector.protect_fill(StopRequest(
        "ETHUSDT", Direction.LONG, D("1"), D("2900"), "qs-sl-ETH-k-0",
        rig.ex.filters("ETHUSDT"), "k"))
    assert outcome.protected and outcome.stop is not None
    assert outcome.stop.client_algo_id != "qs-sl-ETH-k-0"


def test_executor_emergency_close_records_position_closed_emergency() -> None:
    rig = Rig()
    rig.ex.inject("place_stop", -2021, times=3)
    result = rig.executor.open_position(Decision("ETHUSDT", Direction.LONG, D("1"), D("2900")))
    assert result.status is OpenStatus.EMERGENCY_CLOSED
    [ev] = rig.sink.of(EventKind.POSITION_CLOSED)
    assert ev.details["reason"] == "emergency" and ev.details["pnl_usdt"] == D("0")


def test_flatten_when_close_fails_then_position_keeps_its_stop() -> None:
    rig = Rig()
    long_eth(rig)
    rig.ex.inject("market_order", -1001, http=503)
    report = rig.flattener.flatten(attempts=2)
    assert report.still_open == ("ETHUSDT",) and report.closed == ()
    assert len(rig.ex.open_algos()) == 1
    assert "cancel_conditional" not in rig.ex.methods()


def test_flatten_closes_then_cancels_reduce_only_orders() -> None:
    rig = Rig()
    rig.executor.open_position(Decision("ETHUSDT", Direction.LONG, D("1"), D("2900"),
                                        target_price=D("3300")))
    rig.ex.calls.clear()
    report = rig.flattener.flatten()
    assert report.closed == ("ETHUSDT",) and report.cancelled == 1
    methods = rig.ex.methods()
    assert methods.index("market_order") < methods.index("cancel_conditional")
    assert rig.ex.open_algos() == [] and rig.book.open_trades() == []
    [ev] = rig.sink.of(EventKind.POSITION_CLOSED)
    assert ev.details["reason"] == "flatten"


def test_locks_are_reentrant_and_exclusive_per_symbol() -> None:
    locks = SymbolLocks()
    inside = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def holder() -> None:
        with locks.hold("ETHUSDT"), locks.hold("ETHUSDT"):  # re-entrant
            inside.set()
            release.wait(5)
            order.append("holder-out")

    t = threading.Thread(target=holder)
    t.start()
    assert inside.wait(5)
    with locks.hold("BTCUSDT"):  # another symbol is free
        order.append("btc")
    contender = threading.Thread(target=lambda: (locks.hold("ETHUSDT").__enter__(),
                                                 order.append("eth")))
    contender.start()
    contender.join(0.05)
    assert "eth" not in order  # blocked while the holder has it
    release.set()
    t.join(5)
    contender.join(5)
    assert order == ["btc", "holder-out", "eth"]
