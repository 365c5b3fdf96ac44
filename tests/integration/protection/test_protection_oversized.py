"""A position larger than one market order may carry (MARKET_LOT_SIZE maxQty lowered under
it, or grown by another client): the ladder's emergency close and the flatten close it in
pieces, where a single order would come back -4005 and leave it naked. Paper venue over
HTTP, python-binance, SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain import Decision, Direction, EventKind
from bot.paper.clock import ManualClock
from bot.paper.server import PaperExchange
from bot.protection.config import ProtectionConfig
from tests.fixtures.paper import StaticMarket
from tests.integration.protection.conftest import KEY, SECRET, Stack, build_stack

D = Decimal
SYMBOL = "ETHUSDT"
GRACE_S = 5.0


@pytest.fixture()
def rig(tmp_path: Path) -> Iterator[Stack]:
    paper = PaperExchange(KEY, SECRET, seed=11, clock=ManualClock(), market=StaticMarket(),
                          balance=D("10000"), weight_limit=None, order_limits=False,
                          tick_interval_s=None, slippage_bps=0, trigger_delay_ms=0)
    paper.start()
    try:
        yield build_stack(paper, tmp_path / "qs.db", ProtectionConfig(triggering_grace_s=GRACE_S))
    finally:
        paper.stop()


def _open_long(stack: Stack, qty: str) -> Decimal:
    f = stack.adapter.filters(SYMBOL)
    stop = f.round_price(stack.adapter.mark_price(SYMBOL) * D("0.98"), "down")
    stack.executor.open_position(Decision(SYMBOL, Direction.LONG, D(qty), stop))
    return stop


def _closes(stack: Stack) -> list:
    return [e for e in stack.paper.control.ledger() if e.book == "order"
            and e.action == "FILLED" and e.symbol == SYMBOL and e.side == "SELL"]


def test_stop_refused_for_an_oversized_position_then_emergency_close_in_pieces(rig):
    stop = _open_long(rig, "0.125")
    # its closePosition stop fires and sticks, past the grace: the slot is taken, so the
    # repair is a reduce-only stop for 0.125, more than the lowered maxQty allows
    rig.paper.control.set_filters(SYMBOL, market_max_qty="0.05")
    rig.paper.control.trigger_fault("stuck", symbol=SYMBOL)
    rig.paper.control.set_price(SYMBOL, stop * D("0.995"))
    rig.paper.control.advance(int(GRACE_S * 1000) + 100)

    rig.monitor.run_cycle()

    assert rig.adapter.positions() == []
    assert [D(e.quantity) for e in _closes(rig)] == [D("0.05"), D("0.05"), D("0.025")]
    [close] = rig.store.events(kinds=[EventKind.EMERGENCY_CLOSE])
    assert close.details["orders"] == 3 and D(str(close.details["quantity"])) == D("0.125")
    assert "in 3 orders" in close.message


def test_flatten_when_position_oversized_then_closed_in_pieces(rig):
    _open_long(rig, "0.125")
    rig.paper.control.set_filters(SYMBOL, market_max_qty="0.1")
    report = rig.flattener.flatten()
    assert report.closed == (SYMBOL,) and not report.errors
    assert [D(e.quantity) for e in _closes(rig)] == [D("0.1"), D("0.025")]
    assert rig.adapter.positions() == [] and rig.adapter.open_conditional_orders() == []
