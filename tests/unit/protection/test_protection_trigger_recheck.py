"""A TRIGGERING stop covers only for its grace and no event marks the grace's end: whichever
check sees one asks for a targeted check then, and a stuck one is protected at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from bot.domain import AlgoStatus, Direction, Side
from bot.locks import SymbolLocks
from bot.protection.config import ProtectionConfig
from bot.protection.coverage import TriggerGrace
from bot.runtime.protection_stack import ProtectionStack, build_protection
from tests.unit.protection.fakes import T0, FakeClock, FakeExchange, ListSink, MemoryBook

D = Decimal
GRACE_END = T0 + timedelta(seconds=5, milliseconds=1)


def _stack(ex: FakeExchange, clock: FakeClock) -> ProtectionStack:
    return build_protection(ex, ListSink(), MemoryBook(), SymbolLocks(),
                            ProtectionConfig(triggering_grace_s=5.0), clock)


def _triggering_long(ex: FakeExchange):
    ex.open_position("ETHUSDT", Direction.LONG, D("1"))
    stop = ex.add_algo("ETHUSDT", Side.SELL, D("2900"), None)
    ex.algo[stop.algo_id] = replace(stop, status=AlgoStatus.TRIGGERING, updated_at=T0)
    return ex.algo[stop.algo_id]


def test_stuck_at_when_triggering_then_first_moment_the_grace_calls_it_stuck() -> None:
    stop = _triggering_long(FakeExchange())
    at = TriggerGrace(T0, 5.0).stuck_at(stop)
    assert at == GRACE_END
    assert TriggerGrace(at, 5.0).stuck(stop)
    assert not TriggerGrace(at - timedelta(milliseconds=1), 5.0).stuck(stop)
    assert TriggerGrace(T0, 5.0).stuck_at(replace(stop, status=AlgoStatus.NEW)) is None


def test_check_symbol_when_stop_triggering_in_its_grace_then_recheck_asked_at_its_end() -> None:
    ex, clock = FakeExchange(), FakeClock()
    stack = _stack(ex, clock)
    _triggering_long(ex)
    clock.advance(2)
    stack.monitor.check_symbol("ETHUSDT")
    assert stack.checks.scheduled() == ((GRACE_END, "ETHUSDT"),)
    stack.monitor.run_cycle()  # the poll sees it too: still one re-check
    assert stack.checks.scheduled() == ((GRACE_END, "ETHUSDT"),)
    assert [o.algo_id for o in ex.open_conditional_orders("ETHUSDT")] == list(ex.algo)


def test_run_cycle_when_stop_already_stuck_then_protected_and_no_recheck() -> None:
    ex, clock = FakeExchange(), FakeClock()
    stack = _stack(ex, clock)
    stuck = _triggering_long(ex)
    clock.advance(6)
    report = stack.monitor.run_cycle()
    assert report.protected == 1
    assert stack.checks.scheduled() == ()
    assert any(o.algo_id != stuck.algo_id and o.status is AlgoStatus.NEW
               for o in ex.open_conditional_orders("ETHUSDT"))
