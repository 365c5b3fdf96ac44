"""The issue's "Done when" list, over HTTP against the paper exchange with a real SQLite store."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain import Decision, Direction, EventKind, Purpose, Side, client_ids
from bot.execution.executor import OpenStatus
from bot.paper.server import PaperExchange
from bot.protection.config import ProtectionConfig
from bot.protection.coverage import assess
from bot.protection.trailing import ExitOrders
from bot.reconcile import LeaseHeldError
from tests.integration.protection.conftest import Stack, build_stack

D = Decimal
ALGO = "/fapi/v1/algoOrder"


def long_decision(stack: Stack, symbol: str = "ETHUSDT", pct: str = "0.02", **kw) -> Decision:
    mark = stack.adapter.mark_price(symbol)
    f = stack.adapter.filters(symbol)
    qty = f.round_qty(D("400") / mark, market=True)
    stop = f.round_price(mark * (1 - D(pct)), "down")
    return Decision(symbol, Direction.LONG, qty, stop, **kw)


def kinds(stack: Stack) -> list[EventKind]:
    return [e.kind for e in stack.store.events()]


def events_of(stack: Stack, kind: EventKind) -> list:
    return stack.store.events(kinds=[kind])


def test_seed_v2_scenario_stop_kept_by_monitor_zero_cancellations(stack: Stack) -> None:
    result = stack.executor.open_position(long_decision(stack))
    assert result.status is OpenStatus.OPENED
    stack.paper.control.advance(10_000)  # the monitor runs 10 s later
    report = stack.monitor.run_cycle()
    assert report.covered == 1 and report.protected == 0
    assert stack.algo_ledger("CANCELED") == []
    assert len(stack.algo_ledger("PLACED")) == 1
    placed = events_of(stack, EventKind.STOP_PLACED)
    assert len(placed) == 1 and placed[0].latency_ms is not None
    assert [t.symbol for t in stack.store.open_trades()] == ["ETHUSDT"]


def test_algo_book_trap_open_orders_empty_yet_covered(stack: Stack) -> None:
    stack.executor.open_position(long_decision(stack))
    assert stack.adapter.open_orders() == []  # a monitor reading openOrders sees no stop
    report = stack.monitor.run_cycle()
    assert report.covered == 1 and report.naked == 0
    assert EventKind.NAKED_DETECTED not in kinds(stack)


def test_first_stop_2021_when_stop_still_valid_then_retried_at_the_asked_stop(
        stack: Stack) -> None:
    stack.paper.control.inject_fault("POST", ALGO, code=-2021, count=1)
    decision = long_decision(stack)
    result = stack.executor.open_position(decision)
    assert result.status is OpenStatus.OPENED
    mark = stack.adapter.mark_price("ETHUSDT")
    [stop] = stack.adapter.open_conditional_orders("ETHUSDT")
    # the farther of the asked stop and mark - 0.1 %: a stale -2021 must not tighten the stop
    assert stop.trigger_price == decision.stop_price < mark * D("0.999")
    assert [e.code for e in events_of(stack, EventKind.STOP_REJECTED)] == [-2021]
    assert len(events_of(stack, EventKind.STOP_RETRY)) == 1
    assert len(events_of(stack, EventKind.STOP_PLACED)) == 1


def test_stop_2021_on_every_rung_then_emergency_close(stack: Stack) -> None:
    stack.paper.control.inject_fault("POST", ALGO, code=-2021, count=3)
    result = stack.executor.open_position(long_decision(stack))
    assert result.status is OpenStatus.EMERGENCY_CLOSED
    assert stack.adapter.positions() == []
    assert len(events_of(stack, EventKind.STOP_REJECTED)) == 3
    assert len(events_of(stack, EventKind.EMERGENCY_CLOSE)) == 1
    flags = {f.label for f in stack.store.red_flags()}
    assert {"-2021", "EMERGENCY CLOSE"} <= flags
    assert stack.store.open_trades() == []


def test_trailing_2007_then_trailing_off_fixed_stop_present(stack: Stack) -> None:
    result = stack.executor.open_position(long_decision(stack))
    stack.paper.control.inject_fault("POST", ALGO, code=-2007, count=1)
    key = result.position_key
    exits = ExitOrders(stack.adapter, stack.recorder, stack.config.working_type)
    order = exits.trailing("ETHUSDT", Direction.LONG, result.entry.executed_qty, D("1.0"), key)
    assert order is None
    [ev] = events_of(stack, EventKind.TRAILING_DISABLED)
    assert ev.code == -2007
    [stop] = stack.adapter.open_conditional_orders("ETHUSDT")
    assert stop.close_position and stop.type.is_stop


def test_trailing_invalid_setting_then_never_sent_fixed_stop_present(paper, tmp_path) -> None:
    stack = build_stack(paper, tmp_path / "t.db", ProtectionConfig(trailing_enabled=True))
    result = stack.executor.open_position(long_decision(stack, trailing=True,
                                                        callback_rate=D("50")))
    assert result.status is OpenStatus.OPENED and result.trailing is None
    assert len(stack.algo_ledger("PLACED")) == 1
    assert events_of(stack, EventKind.TRAILING_DISABLED)


def test_trailing_valid_rate_sent_as_percent(paper, tmp_path) -> None:
    stack = build_stack(paper, tmp_path / "t.db", ProtectionConfig(trailing_enabled=True))
    result = stack.executor.open_position(long_decision(stack, trailing=True,
                                                        callback_rate=D("1.2")))
    assert result.trailing is not None
    trailing = [o for o in stack.adapter.open_conditional_orders("ETHUSDT")
                if o.type.value == "TRAILING_STOP_MARKET"]
    assert len(trailing) == 1 and trailing[0].callback_rate == D("1.2")


def _naked_long(stack: Stack, qty: Decimal) -> None:
    cid = client_ids.make(Purpose.ENTRY, "ETHUSDT", "manual0001", 0)
    stack.adapter.market_order("ETHUSDT", Side.BUY, qty, cid)


def test_partial_reduce_only_half_then_fixed_make_before_break_partial(stack: Stack) -> None:
    _naked_long(stack, D("0.2"))
    mark = stack.adapter.mark_price("ETHUSDT")
    stop = (mark * D("0.97")).quantize(D("0.01"))
    half = stack.adapter.place_stop("ETHUSDT", Side.SELL, stop, "manual-half", quantity=D("0.1"))
    stack.store.open_trade("ETHUSDT", Direction.LONG, D("0.2"), mark, stop,
                           stack.recorder.now(), "manual0001")
    report = stack.monitor.run_cycle()
    assert report.protected == 1
    book = stack.adapter.open_conditional_orders("ETHUSDT")
    assert half.algo_id not in {o.algo_id for o in book}
    assert assess(stack.adapter.positions()[0], book).covered
    ledger = stack.algo_ledger()
    new_placed = next(e for e in ledger if e.action == "PLACED" and e.algo_id != half.algo_id)
    half_cancel = next(e for e in ledger if e.action == "CANCELED" and e.algo_id == half.algo_id)
    assert new_placed.id < half_cancel.id
    assert EventKind.NAKED_DETECTED in kinds(stack)


def test_partial_wrong_side_stop_then_detected_and_replaced(stack: Stack) -> None:
    _naked_long(stack, D("0.2"))
    mark = stack.adapter.mark_price("ETHUSDT")
    wrong = stack.adapter.place_stop("ETHUSDT", Side.BUY, (mark * D("1.05")).quantize(D("0.01")),
                                     "manual-wrong", quantity=D("0.2"))
    report = stack.monitor.run_cycle()
    assert report.protected == 1 and report.adopted == 1
    book = stack.adapter.open_conditional_orders("ETHUSDT")
    assert wrong.algo_id not in {o.algo_id for o in book}
    assert assess(stack.adapter.positions()[0], book).covered


def test_restart_between_entry_and_stop_then_adopted_protected_no_duplicates(
    paper: PaperExchange, tmp_path: Path,
) -> None:
    first = build_stack(paper, tmp_path / "a.db")
    _naked_long(first, D("0.3"))  # the process "dies" here: no stop, no record
    second = build_stack(paper, tmp_path / "a.db")
    rec = second.reconciler("bot-2")
    report = rec.start()
    assert report.cycle.adopted == 1 and report.cycle.protected == 1
    assert assess(second.adapter.positions()[0],
                  second.adapter.open_conditional_orders()).covered
    rec.reconcile()
    rec.release()
    third = build_stack(paper, tmp_path / "a.db")
    third.reconciler("bot-3").start()
    assert len(second.adapter.open_conditional_orders()) == 1
    assert len(third.algo_ledger("PLACED")) == 1
    assert len(third.store.open_trades()) == 1
    assert any(f.label == "ADOPTED" for f in third.store.red_flags())


def test_second_process_same_account_and_db_refuses(paper: PaperExchange, tmp_path: Path) -> None:
    a = build_stack(paper, tmp_path / "same.db")
    b = build_stack(paper, tmp_path / "same.db")
    a.reconciler("proc-a").start()
    with pytest.raises(LeaseHeldError, match="another QuantShield process"):
        b.reconciler("proc-b").start()


def test_flatten_closes_all_and_cancels_stops_only_after_position_gone(stack: Stack) -> None:
    for symbol in ("ETHUSDT", "BTCUSDT", "SOLUSDT"):
        d = long_decision(stack, symbol)
        target = stack.adapter.filters(symbol).round_price(d.stop_price * D("1.1"), "up")
        res = stack.executor.open_position(Decision(d.symbol, d.direction, d.quantity,
                                                    d.stop_price, target_price=target))
        assert res.status is OpenStatus.OPENED
    report = stack.flattener.flatten()
    assert set(report.closed) == {"ETHUSDT", "BTCUSDT", "SOLUSDT"} and not report.still_open
    assert stack.adapter.positions() == []
    assert stack.adapter.open_conditional_orders() == []
    ledger = stack.paper.control.ledger()
    for symbol in ("ETHUSDT", "BTCUSDT", "SOLUSDT"):
        close_fill = max(e.id for e in ledger if e.symbol == symbol and e.book == "order"
                         and e.action == "FILLED")
        gone = [e for e in ledger if e.symbol == symbol and e.book == "algo"
                and e.action in ("CANCELED", "EXPIRED")]
        assert gone and all(e.id > close_fill for e in gone)
    assert {e.details["reason"] for e in events_of(stack, EventKind.STOP_CANCELED)} == {"flatten"}
    assert stack.store.open_trades() == []


def test_silent_cancel_then_next_cycle_reprotects(stack: Stack) -> None:
    stack.executor.open_position(long_decision(stack))
    [stop] = stack.adapter.open_conditional_orders("ETHUSDT")
    stack.paper.control.silent_cancel(stop.algo_id)
    assert stack.adapter.open_conditional_orders("ETHUSDT") == []
    report = stack.monitor.run_cycle()
    assert report.protected == 1
    [new] = stack.adapter.open_conditional_orders("ETHUSDT")
    assert new.trigger_price == stop.trigger_price and new.client_algo_id != stop.client_algo_id
    assert EventKind.NAKED_DETECTED in kinds(stack)


def test_stop_hit_then_position_closed_with_pnl(stack: Stack) -> None:
    stack.executor.open_position(long_decision(stack))
    stack.monitor.run_cycle()
    [stop] = stack.adapter.open_conditional_orders("ETHUSDT")
    stack.paper.control.set_price("ETHUSDT", stop.trigger_price * D("0.99"))
    assert stack.adapter.positions() == []
    report = stack.monitor.run_cycle()
    assert report.closed == 1
    [ev] = events_of(stack, EventKind.POSITION_CLOSED)
    assert ev.details["reason"] == "stop" and D(str(ev.details["pnl_usdt"])) < 0
    assert stack.store.open_trades() == []
