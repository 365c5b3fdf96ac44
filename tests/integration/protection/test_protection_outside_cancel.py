"""A stop cancelled behind the bot's back is detected, named and repaired; the bot's own
make-before-break cancels are not mistaken for it."""

from __future__ import annotations

from decimal import Decimal

from bot.domain import EventKind
from bot.execution.executor import OpenStatus
from bot.protection.coverage import assess
from bot.protection.moves import move_stop
from tests.integration.protection.conftest import Stack
from tests.integration.protection.test_protection_paper_scenarios import long_decision

D = Decimal


def _flags(stack: Stack) -> list:
    return stack.store.events(kinds=[EventKind.STOP_CANCELED_WHILE_OPEN])


def test_outside_cancel_when_stop_vanishes_then_flagged_and_reprotected(stack: Stack) -> None:
    result = stack.executor.open_position(long_decision(stack))
    assert result.status is OpenStatus.OPENED
    stack.monitor.run_cycle()  # the monitor has seen the stop
    [stop] = stack.adapter.open_conditional_orders("ETHUSDT")
    stack.paper.control.silent_cancel(stop.algo_id)
    report = stack.monitor.run_cycle()
    assert report.protected == 1
    [flag] = _flags(stack)
    assert flag.details["algo_id"] == stop.algo_id and flag.symbol == "ETHUSDT"
    assert any(f.label == "STOP CANCELED" for f in stack.store.red_flags())
    assert assess(stack.adapter.positions()[0],
                  stack.adapter.open_conditional_orders("ETHUSDT")).covered


def test_outside_cancel_when_the_bot_moved_its_own_stop_then_not_flagged(stack: Stack) -> None:
    stack.executor.open_position(long_decision(stack))
    stack.monitor.run_cycle()
    [old] = stack.adapter.open_conditional_orders("ETHUSDT")
    [pos] = stack.adapter.positions()
    book = stack.adapter.open_conditional_orders("ETHUSDT")
    moved = move_stop(stack.protector, pos, book, [old], old.trigger_price + D("1"), "k")
    assert moved.moved and moved.cancelled == (old,)
    # the replacement covers, so nothing is repaired; even a re-check of the old id stays quiet
    stack.monitor.run_cycle()
    assert _flags(stack) == []
    assert stack.protector.cancelled_by_us(old.algo_id)
