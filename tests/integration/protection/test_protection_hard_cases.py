"""Cases a review found: a dead stop's id reused after a restart, a failing event store,
and the ratchet acting on a position that grew after the monitor's snapshot."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy.exc import OperationalError

from bot.domain import Direction, EventKind
from bot.execution.executor import OpenStatus
from bot.protection.config import ProtectionConfig
from bot.protection.coverage import assess
from tests.integration.protection.conftest import Stack, build_stack
from tests.integration.protection.test_protection_paper_scenarios import long_decision

ALGO = "/fapi/v1/algoOrder"


def _naked(stack: Stack) -> list[str]:
    book = stack.adapter.open_conditional_orders()
    return [p.symbol for p in stack.adapter.positions() if not assess(p, book).covered]


def test_restart_when_lost_stop_answer_meets_a_dead_stop_of_the_same_id_then_resent(
    paper, tmp_path,
) -> None:
    first = build_stack(paper, tmp_path / "a.db")
    first.executor.open_position(long_decision(first))
    [stop] = first.adapter.open_conditional_orders("ETHUSDT")
    paper.control.silent_cancel(stop.algo_id)  # gone, by hand or by the exchange
    second = build_stack(paper, tmp_path / "a.db")  # a new process: its id counter restarts
    paper.control.inject_fault("POST", ALGO, kind="http", status=503, count=1)
    report = second.monitor.run_cycle()
    assert report.protected == 1
    assert _naked(second) == []
    [live] = second.adapter.open_conditional_orders("ETHUSDT")
    assert live.algo_id != stop.algo_id


def test_event_store_failing_when_positions_naked_then_each_still_gets_its_stop(
    stack: Stack, caplog: pytest.LogCaptureFixture,
) -> None:
    for symbol in ("ETHUSDT", "BTCUSDT"):
        stack.executor.open_position(long_decision(stack, symbol))
    for stop in stack.adapter.open_conditional_orders():
        stack.paper.control.silent_cancel(stop.algo_id)
    assert sorted(_naked(stack)) == ["BTCUSDT", "ETHUSDT"]

    def disk_full(*_args, **_kwargs):
        raise OperationalError("INSERT INTO events", {}, Exception("database or disk is full"))

    stack.store.append = disk_full  # reads work, writes fail
    stack.store.append_many = disk_full
    report = stack.monitor.run_cycle()
    assert report.protected == 2
    assert _naked(stack) == []
    assert "could not record NAKED_DETECTED" in caplog.text


def test_adoption_record_failing_when_unknown_position_then_still_protected(
    stack: Stack,
) -> None:
    stack.paper.control.set_price("ETHUSDT", D("3000"))
    stack.adapter.market_order("ETHUSDT", long_decision(stack).direction.entry_side, D("0.1"),
                               "manual-entry-1")  # traded by hand: the bot has no record

    def broken(_record):
        raise OperationalError("INSERT INTO trades", {}, Exception("database is locked"))

    stack.book.record_open = broken
    report = stack.monitor.run_cycle()
    assert (report.adopted, report.protected) == (1, 1)
    assert _naked(stack) == []
    assert stack.store.events(kinds=[EventKind.POSITION_ADOPTED])  # the flag still raised


def test_ratchet_when_position_grew_after_the_snapshot_then_whole_position_stays_covered(
    paper, tmp_path,
) -> None:
    stack = build_stack(paper, tmp_path / "r.db", ProtectionConfig(ratchet_distance=D("0.01")))
    first = long_decision(stack)
    assert stack.executor.open_position(first).status is OpenStatus.OPENED
    paper.control.set_price("ETHUSDT", D("3400"))  # in profit: the ratchet wants to tighten
    second = long_decision(stack)
    snapshot = stack.adapter.positions
    grown = {"done": False}

    def positions():
        got = snapshot()
        if not grown["done"]:  # the cycle has its snapshot; an entry slips in before the lock
            grown["done"] = True
            assert stack.executor.open_position(second).status is OpenStatus.OPENED
        return got

    stack.adapter.positions = positions
    stack.monitor.run_cycle()
    stack.adapter.positions = snapshot
    [pos] = snapshot()
    assert pos.quantity == first.quantity + second.quantity
    assert _naked(stack) == []
    moved = [o for o in stack.adapter.open_conditional_orders("ETHUSDT")
             if o.reduce_only and o.quantity == pos.quantity]
    assert moved and moved[0].trigger_price > D("3000")  # the ratchet did move, for the whole


def test_second_entry_when_first_has_a_trailing_stop_then_that_trailing_stop_stays(
    paper, tmp_path,
) -> None:
    stack = build_stack(paper, tmp_path / "t.db", ProtectionConfig(trailing_enabled=True))
    first = stack.executor.open_position(long_decision(stack, trailing=True,
                                                       callback_rate=D("1.0")))
    assert first.status is OpenStatus.OPENED and first.trailing is not None
    second = stack.executor.open_position(long_decision(stack, trailing=True,
                                                        callback_rate=D("1.0")))
    assert second.status is OpenStatus.OPENED and second.trailing is not None
    trailing = {o.algo_id for o in stack.adapter.open_conditional_orders("ETHUSDT")
                if o.type.value == "TRAILING_STOP_MARKET"}
    assert trailing == {first.trailing.algo_id, second.trailing.algo_id}
    assert _naked(stack) == []


def test_position_flipped_by_hand_when_naked_then_stop_at_the_settings_distance(
    stack: Stack,
) -> None:
    result = stack.executor.open_position(long_decision(stack))
    qty = result.entry.executed_qty
    for stop in stack.adapter.open_conditional_orders("ETHUSDT"):
        stack.paper.control.silent_cancel(stop.algo_id)
    stack.adapter.market_order("ETHUSDT", Direction.SHORT.entry_side, qty * 2, "by-hand-flip")
    [pos] = stack.adapter.positions()
    assert pos.direction is Direction.SHORT  # the LONG's trade row still says LONG
    report = stack.monitor.run_cycle()
    assert report.protected == 1 and _naked(stack) == []
    [stop] = stack.adapter.open_conditional_orders("ETHUSDT")
    distance = (stop.trigger_price - pos.mark_price) / pos.mark_price
    assert D("0.015") < distance < D("0.025")  # the 2 % fallback, not the -2021 ladder's 0.1 %
    assert not stack.store.events(kinds=[EventKind.STOP_RETRY])


def test_stop_and_close_both_refused_when_entry_filled_then_recorded_and_next_cycle_protects(
    stack: Stack,
) -> None:
    from bot.domain.errors import RateLimitedError

    decision = long_decision(stack, pct="0.03")  # not the 2 % fallback: which stop is used shows
    place_stop, market_order = stack.adapter.place_stop, stack.adapter.market_order

    def limited(*_args, **_kwargs):
        raise RateLimitedError(-1003, "Too many requests.", 429)

    def close_limited(*args, **kwargs):
        if kwargs.get("reduce_only"):
            limited()
        return market_order(*args, **kwargs)

    stack.adapter.place_stop, stack.adapter.market_order = limited, close_limited
    result = stack.executor.open_position(decision)
    stack.adapter.place_stop, stack.adapter.market_order = place_stop, market_order
    assert result.status is OpenStatus.UNPROTECTED
    [trade] = stack.store.open_trades()
    assert (trade.symbol, trade.stop_price) == ("ETHUSDT", decision.stop_price)
    report = stack.monitor.run_cycle()
    assert (report.protected, report.adopted) == (1, 0)
    [stop] = stack.adapter.open_conditional_orders("ETHUSDT")
    assert stop.trigger_price == decision.stop_price and _naked(stack) == []
