"""An entry whose answer is lost (and whose status lookup fails too), and flatten racing an
entry that was already past the kill switch: in both, the position must keep a stop."""

from __future__ import annotations

from decimal import Decimal as D

from bot.domain import EventKind
from bot.execution.executor import OpenStatus
from bot.protection.coverage import assess
from tests.integration.protection.conftest import Stack, build_stack
from tests.integration.protection.test_protection_paper_scenarios import long_decision

ORDER = "/fapi/v1/order"
POSITIONS = "/fapi/v3/positionRisk"


def _naked(stack: Stack) -> list[str]:
    book = stack.adapter.open_conditional_orders()
    return [p.symbol for p in stack.adapter.positions() if not assess(p, book).covered]


def _lose_entry_answer(stack: Stack, reached: bool = True) -> None:
    stack.paper.control.inject_fault("POST", ORDER, kind="http", status=503,
                                     reached_engine=reached)
    stack.paper.control.inject_fault("GET", ORDER, kind="http", status=503)  # lookup fails too


def test_entry_answer_and_lookup_lost_when_filled_then_protected_with_decided_stop(
    paper, tmp_path,
) -> None:
    stack = build_stack(paper, tmp_path / "a.db")
    d = long_decision(stack)
    _lose_entry_answer(stack)
    result = stack.executor.open_position(d)
    assert result.status is OpenStatus.OPENED, result.reason
    assert _naked(stack) == []
    [stop] = stack.adapter.open_conditional_orders("ETHUSDT")
    assert stop.trigger_price == d.stop_price and stop.close_position  # not a fallback stop
    [trade] = stack.store.open_trades()
    assert trade.quantity == d.quantity and trade.entry_price == D("3300")
    assert trade.position_key == result.position_key
    [filled] = stack.store.events(kinds=[EventKind.ENTRY_FILLED])
    assert D(filled.details["quantity"]) == d.quantity
    [lost] = stack.store.events(kinds=[EventKind.EXCHANGE_ERROR])
    assert "treated as filled" in lost.message


def test_entry_answer_and_lookup_lost_when_not_filled_then_entry_failed_nothing_sent(
    paper, tmp_path,
) -> None:
    stack = build_stack(paper, tmp_path / "a.db")
    _lose_entry_answer(stack, reached=False)
    result = stack.executor.open_position(long_decision(stack))
    assert result.status is OpenStatus.ENTRY_FAILED
    assert stack.adapter.positions() == [] and stack.algo_ledger() == []
    assert stack.store.open_trades() == []


def test_entry_answer_lost_and_position_reread_fails_then_entry_failed_says_so(
    paper, tmp_path,
) -> None:
    stack = build_stack(paper, tmp_path / "a.db")
    _lose_entry_answer(stack)
    paper.control.inject_fault("GET", POSITIONS, kind="http", status=503)
    result = stack.executor.open_position(long_decision(stack))
    assert result.status is OpenStatus.ENTRY_FAILED
    [ev] = stack.store.events(kinds=[EventKind.EXCHANGE_ERROR])
    assert "re-read failed" in ev.message and "monitor" in ev.message
    assert stack.monitor.run_cycle().adopted == 1  # as promised: the monitor covers it
    assert _naked(stack) == []


def test_second_entry_answer_lost_when_filled_then_only_the_added_quantity_recorded(
    paper, tmp_path,
) -> None:
    stack = build_stack(paper, tmp_path / "a.db")
    first = long_decision(stack)
    assert stack.executor.open_position(first).status is OpenStatus.OPENED
    second = long_decision(stack)
    _lose_entry_answer(stack)
    result = stack.executor.open_position(second)
    assert result.status is OpenStatus.OPENED, result.reason
    [pos] = stack.adapter.positions()
    assert pos.quantity == first.quantity + second.quantity
    assert _naked(stack) == []
    assert sorted(t.quantity for t in stack.store.open_trades()) == sorted(
        [first.quantity, second.quantity])


def test_flatten_when_an_entry_reopens_after_the_close_then_its_stop_and_trade_stay(
    paper, tmp_path,
) -> None:
    stack = build_stack(paper, tmp_path / "a.db")
    first = stack.executor.open_position(long_decision(stack))
    assert first.status is OpenStatus.OPENED
    in_flight = long_decision(stack)  # decided before FLATTEN was pressed
    real_positions = stack.adapter.positions
    state = {"done": False, "key": ""}

    def positions():
        got = real_positions()
        if not got and not state["done"]:  # flatten saw the symbol gone; it holds no lock now
            state["done"] = True
            # the executor thread, which got the ETHUSDT lock once flatten's close released it
            opened = stack.executor.open_position(in_flight)
            assert opened.status is OpenStatus.OPENED
            state["key"] = opened.position_key
        return got

    stack.adapter.positions = positions
    report = stack.flattener.flatten()
    stack.adapter.positions = real_positions
    assert state["done"]
    assert _naked(stack) == [] and stack.adapter.positions()
    assert report.still_open == ("ETHUSDT",) and report.cancelled == 0
    assert [t.position_key for t in stack.store.open_trades()] == [state["key"]]
    [closed] = stack.store.trades(closed_only=True)
    assert closed.position_key == first.position_key and closed.close_reason == "flatten"
