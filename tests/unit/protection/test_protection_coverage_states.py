"""Coverage that does not trust a stop forever: stuck triggers, stops past liquidation,
limit stops; and the monitor naming each cause once while it repairs."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.domain import AlgoStatus, Coverage, Direction, EventKind, OrderType, Side
from bot.protection.coverage import TriggerGrace, assess
from bot.protection.stop_policy import inside_liquidation
from tests.unit.protection.fakes import T0
from tests.unit.protection.rig import Rig

D = Decimal


def _stop(rig: Rig, trigger: str, **kw):
    return rig.ex.add_algo("ETHUSDT", Side.SELL, D(trigger), None, **kw)


def _position(rig: Rig, liquidation: str | None = None):
    rig.ex.open_position("ETHUSDT", Direction.LONG, D("1"))
    [pos] = rig.ex.positions()
    return replace(pos, liquidation_price=D(liquidation) if liquidation else None)


def test_assess_when_triggering_within_grace_then_covered_and_past_it_then_stuck() -> None:
    rig = Rig()
    pos = _position(rig)
    stop = replace(_stop(rig, "2900"), status=AlgoStatus.TRIGGERING, updated_at=T0)
    fresh = TriggerGrace(T0 + timedelta(seconds=4), 5.0)
    late = TriggerGrace(T0 + timedelta(seconds=6), 5.0)
    assert assess(pos, [stop], grace=fresh).covered
    report = assess(pos, [stop], grace=late)
    assert report.coverage is Coverage.NAKED and report.stuck == (stop,)


def test_assess_when_stop_beyond_liquidation_then_at_risk_not_covered() -> None:
    rig = Rig()
    pos = _position(rig, liquidation="2950")
    stop = _stop(rig, "2900")  # the venue liquidates at 2950 before 2900 is reached
    report = assess(pos, [stop])
    assert report.coverage is Coverage.AT_RISK and report.at_risk == (stop,)
    assert assess(replace(pos, liquidation_price=D("2800")), [stop]).covered


def test_assess_when_only_a_stop_limit_then_not_cover_for_a_market_stop_policy() -> None:
    rig = Rig()
    pos = _position(rig)
    limit_stop = _stop(rig, "2900", type_=OrderType.STOP)
    assert assess(pos, [limit_stop]).coverage is Coverage.NAKED


@pytest.mark.parametrize(("direction", "stop", "liq", "expected"), [
    (Direction.LONG, "2900", "2950", "2964.75"),
    (Direction.LONG, "2900", "2800", "2900"),
    (Direction.SHORT, "3100", "3050", "3034.75"),
    (Direction.LONG, "2900", None, "2900"),
])
def test_inside_liquidation_when_stop_past_it_then_pulled_inside_by_the_margin(
        direction: Direction, stop: str, liq: str | None, expected: str) -> None:
    got = inside_liquidation(direction, D(stop), D(liq) if liq else None, D("0.005"))
    assert got == D(expected)


def test_monitor_when_stop_rejected_at_the_venue_then_stop_lost_flag_once_and_repaired() -> None:
    rig = Rig()
    rig.ex.open_position("ETHUSDT", Direction.LONG, D("1"))
    stop = _stop(rig, "2900")
    rig.monitor.run_cycle()  # seen and covered
    rig.ex.algo[stop.algo_id] = replace(stop, status=AlgoStatus.REJECTED)
    rig.monitor.run_cycle()
    rig.monitor.run_cycle()
    [lost] = rig.sink.of(EventKind.STOP_LOST)
    assert lost.details["status"] == "REJECTED" and lost.details["algo_id"] == stop.algo_id
    assert assess(rig.ex.positions()[0], rig.ex.open_algos()).covered


def test_check_symbol_when_stop_cancelled_outside_then_repaired_in_two_reads() -> None:
    rig = Rig()
    rig.ex.open_position("ETHUSDT", Direction.LONG, D("1"))
    stop = _stop(rig, "2900")
    rig.monitor.run_cycle()
    rig.ex.algo[stop.algo_id] = replace(stop, status=AlgoStatus.CANCELED)
    rig.ex.calls.clear()
    report = rig.monitor.check_symbol("ETHUSDT")
    assert report.protected == 1
    assert rig.ex.methods()[:2] == ["open_conditional_orders", "positions"]
    assert [e.details["algo_id"] for e in rig.sink.of(EventKind.STOP_CANCELED_WHILE_OPEN)] == [
        stop.algo_id]
    assert assess(rig.ex.positions()[0], rig.ex.open_algos()).covered
    assert not rig.sink.of(EventKind.MONITOR_CYCLE)[1:]  # a targeted check is not a cycle


def test_entry_when_existing_close_position_stop_is_triggering_then_own_stop_placed() -> None:
    from bot.domain import Decision

    rig = Rig()
    rig.ex.open_position("ETHUSDT", Direction.LONG, D("1"))
    stuck = _stop(rig, "2900")
    rig.ex.algo[stuck.algo_id] = replace(stuck, status=AlgoStatus.TRIGGERING, updated_at=T0)
    result = rig.executor.open_position(Decision("ETHUSDT", Direction.LONG, D("0.5"), D("2900")))
    assert result.protection is not None and result.protection.stop is not None
    assert result.protection.stop.algo_id != stuck.algo_id  # a stuck stop is not trusted
    assert result.protection.stop.quantity == D("1.5")  # reduce-only for the whole position
