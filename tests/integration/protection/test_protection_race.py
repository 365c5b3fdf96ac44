"""Executor and monitor racing on one symbol, with an independent observer inside the venue.

The observer holds the paper engine's lock for each look, so it sees the
venue's real state between any two operations. A position without a covering
stop is allowed only in the one window the design permits: right after a
market fill (entry, or a close in progress), before the next order event.
"""

from __future__ import annotations

import threading
from decimal import Decimal

from bot.domain import Decision, Direction, EventKind
from bot.execution.executor import OpenStatus
from tests.integration.protection.conftest import Stack

D = Decimal
SYMBOL = "ETHUSDT"
LIFETIMES = 12
STOP_TYPES = {"STOP_MARKET", "STOP", "TRAILING_STOP_MARKET"}


def _covered(amount: Decimal, armed: list, mark: Decimal) -> bool:
    closing = "SELL" if amount > 0 else "BUY"
    total = D(0)
    for algo in armed:
        if algo.type.value not in STOP_TYPES or algo.side.value != closing:
            continue
        losing = algo.trigger_price < mark if amount > 0 else algo.trigger_price > mark
        if not losing:
            continue
        if algo.close_position:
            return True
        total += algo.quantity
    return total >= abs(amount)


def _in_fill_window(engine) -> bool:
    entries = engine.ledger._entries
    if not entries:
        return False
    last = entries[-1]
    return last.book == "order" and last.action in ("PLACED", "FILLED") and (
        last.type == "MARKET")


def test_executor_and_monitor_racing_never_leave_a_window_or_double_place(stack: Stack) -> None:
    engine = stack.paper.engine
    stop_event = threading.Event()
    violations: list[str] = []
    looks = {"n": 0, "open": 0}
    errors: list[BaseException] = []

    def observer() -> None:
        while not stop_event.is_set():
            with engine.lock:
                amount = engine.account.amount(SYMBOL)
                if amount != 0:
                    looks["open"] += 1
                    armed = list(engine._armed[SYMBOL].values())
                    mark = engine.mark[SYMBOL]
                    if not _covered(amount, armed, mark) and not _in_fill_window(engine):
                        violations.append(f"naked {amount} after {engine.ledger._entries[-1]}")
                looks["n"] += 1

    def monitor() -> None:
        try:
            while not stop_event.is_set():
                stack.monitor.run_cycle()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    watchers = [threading.Thread(target=observer, daemon=True),
                threading.Thread(target=monitor, daemon=True)]
    for t in watchers:
        t.start()
    try:
        mark = stack.adapter.mark_price(SYMBOL)
        qty = stack.adapter.filters(SYMBOL).round_qty(D("300") / mark)
        stop = (mark * D("0.97")).quantize(D("0.01"))
        for _ in range(LIFETIMES):
            for _entry in range(2):  # the second entry on the same symbol grows the position
                result = stack.executor.open_position(Decision(SYMBOL, Direction.LONG, qty, stop))
                assert result.status is OpenStatus.OPENED, result
            report = stack.flattener.flatten()
            assert report.closed == (SYMBOL,), report
    finally:
        stop_event.set()
        for t in watchers:
            t.join(timeout=10)
    assert not errors, errors
    assert looks["open"] > 50, looks  # the observer really watched open positions
    assert violations == []
    placed = [e for e in stack.paper.control.ledger() if e.book == "algo"
              and e.action == "PLACED" and e.type == "STOP_MARKET"]
    assert len(placed) == LIFETIMES  # one stop per position life: never double-placed
    assert stack.store.events(kinds=[EventKind.STOP_CANCELED_WHILE_OPEN]) == []
    assert stack.store.events(kinds=[EventKind.STOP_REJECTED]) == []
    assert stack.store.events(kinds=[EventKind.MONITOR_CYCLE])
