"""The one close-trade service, per closer, against the paper venue's own books.

Each test closes a trade one way (stop, take-profit, emergency, flatten, manual,
liquidation), then checks that the bot booked exactly what the venue booked: the
realized PnL of the fills minus every commission (entry and exit), within 0.01
USDT, which is also the wallet's change. The venue slips market fills, so a
trigger price is never the fill price here.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain import Decision, Direction, EventKind, ExitReason, Side, Trade
from bot.execution.executor import OpenStatus
from bot.paper.clock import ManualClock
from bot.paper.server import PaperExchange
from bot.protection.config import ProtectionConfig
from tests.integration.protection.conftest import KEY, SECRET, Stack, build_stack

D = Decimal
CENT = D("0.01")
LOSS_FLAG = ProtectionConfig(loss_flag_pct=D("0.01"))  # 0.01 % of equity: any loss flags


@pytest.fixture()
def slipping() -> Iterator[PaperExchange]:
    """A venue with its default slippage model: fills are worse than triggers."""
    exchange = PaperExchange(KEY, SECRET, seed=5, clock=ManualClock(), balance=D("10000"),
                             weight_limit=None, order_limits=False, tick_interval_s=None)
    exchange.start()
    try:
        yield exchange
    finally:
        exchange.stop()


@pytest.fixture()
def stack(slipping: PaperExchange, tmp_path: Path) -> Stack:
    return build_stack(slipping, tmp_path / "books.db", LOSS_FLAG)


def _open(stack: Stack, symbol: str = "ETHUSDT", direction: Direction = Direction.LONG,
          target: Decimal | None = None) -> Trade:
    mark = stack.adapter.mark_price(symbol)
    f = stack.adapter.filters(symbol)
    qty = f.round_qty(D("2000") / mark, market=True)
    sign = 1 if direction is Direction.LONG else -1
    stop = f.round_price(mark * (1 - sign * D("0.02")), "down" if sign > 0 else "up")
    result = stack.executor.open_position(Decision(symbol, direction, qty, stop,
                                                   target_price=target))
    assert result.status is OpenStatus.OPENED
    [trade] = [t for t in stack.store.open_trades() if t.symbol == symbol]
    return trade


def _venue_net(stack: Stack, trade: Trade) -> Decimal:
    """What the venue booked for the trade's fills: realized PnL minus commissions."""
    start = int(trade.opened_at.timestamp() * 1000) - 2000
    rows = stack.adapter._client.futures_account_trades(symbol=trade.symbol, startTime=start)
    assert rows, "the venue lists the trade's fills"
    return sum((D(r["realizedPnl"]) - D(r["commission"]) for r in rows), D(0))


def _closed(stack: Stack, trade: Trade) -> Trade:
    closed = stack.store.trade(trade.id)
    assert closed is not None and closed.closed_at is not None
    return closed


def _assert_books_match(stack: Stack, trade: Trade, reason: ExitReason,
                        wallet_before: Decimal) -> Trade:
    closed = _closed(stack, trade)
    assert closed.close_reason == reason.value
    venue = _venue_net(stack, trade)
    assert abs(closed.pnl_usdt - venue) <= CENT, (closed.pnl_usdt, venue)
    assert closed.fees_usdt is not None and closed.fees_usdt > 0  # entry and exit commissions
    wallet = stack.adapter.account().wallet_balance
    assert abs((wallet - wallet_before) - closed.pnl_usdt) <= CENT
    return closed


def _event_for(stack: Stack, kind: EventKind, symbol: str) -> list:
    return [e for e in stack.store.events(kinds=[kind]) if e.symbol == symbol]


def _loss_flagged(stack: Stack, closed: Trade) -> None:
    if closed.pnl_usdt < 0:
        [flag] = _event_for(stack, EventKind.LOSS_OVER_LIMIT, closed.symbol)
        assert flag.details["reason"] == closed.close_reason


@pytest.mark.parametrize("direction", list(Direction))
def test_close_when_stop_triggers_then_booked_at_the_fill_net_of_fees(
        stack: Stack, direction: Direction) -> None:
    wallet = stack.adapter.account().wallet_balance
    trade = _open(stack, direction=direction)
    [stop] = stack.adapter.open_conditional_orders("ETHUSDT")
    sign = 1 if direction is Direction.LONG else -1
    stack.paper.control.set_price("ETHUSDT", stop.trigger_price * (1 - sign * D("0.001")))
    stack.paper.control.advance(2000)  # past the venue's trigger delay
    stack.monitor.run_cycle()
    closed = _assert_books_match(stack, trade, ExitReason.STOP, wallet)
    assert closed.exit_price != stop.trigger_price  # the gap and the slippage, not the trigger
    _loss_flagged(stack, closed)


def test_close_when_take_profit_fills_then_booked_from_the_venue(stack: Stack) -> None:
    wallet = stack.adapter.account().wallet_balance
    mark = stack.adapter.mark_price("SOLUSDT")
    target = stack.adapter.filters("SOLUSDT").round_price(mark * D("1.01"), "up")
    trade = _open(stack, "SOLUSDT", target=target)
    stack.paper.control.set_price("SOLUSDT", target * D("1.002"))
    stack.paper.control.advance(2000)
    stack.monitor.run_cycle()
    closed = _assert_books_match(stack, trade, ExitReason.TAKE_PROFIT, wallet)
    assert closed.pnl_usdt > 0 and not _event_for(stack, EventKind.LOSS_OVER_LIMIT, "SOLUSDT")


def test_close_when_every_stop_refused_then_emergency_booked_and_loss_flagged(
        stack: Stack) -> None:
    wallet = stack.adapter.account().wallet_balance
    stack.paper.control.inject_fault("POST", "/fapi/v1/algoOrder", code=-2021, count=3)
    mark = stack.adapter.mark_price("ETHUSDT")
    f = stack.adapter.filters("ETHUSDT")
    qty = f.round_qty(D("2000") / mark, market=True)
    result = stack.executor.open_position(Decision("ETHUSDT", Direction.LONG, qty,
                                                   f.round_price(mark * D("0.98"), "down")))
    assert result.status is OpenStatus.EMERGENCY_CLOSED
    [trade] = stack.store.trades(closed_only=True)
    closed = _assert_books_match(stack, trade, ExitReason.EMERGENCY, wallet)
    assert closed.pnl_usdt < 0  # two commissions and the spread of a round trip
    _loss_flagged(stack, closed)


def test_close_when_flattened_then_booked_and_loss_flagged(stack: Stack) -> None:
    wallet = stack.adapter.account().wallet_balance
    trade = _open(stack, "BTCUSDT")
    stack.paper.control.set_price("BTCUSDT", trade.entry_price * D("0.995"))
    report = stack.flattener.flatten()
    assert report.closed == ("BTCUSDT",)
    closed = _assert_books_match(stack, trade, ExitReason.FLATTEN, wallet)
    assert closed.pnl_usdt < 0
    _loss_flagged(stack, closed)


def test_close_when_closed_by_hand_then_booked_as_manual(stack: Stack) -> None:
    wallet = stack.adapter.account().wallet_balance
    trade = _open(stack, "XRPUSDT")
    stack.adapter.market_order("XRPUSDT", Side.SELL, trade.quantity, "phone-app-close-1",
                               reduce_only=True)
    stack.monitor.run_cycle()
    closed = _assert_books_match(stack, trade, ExitReason.MANUAL, wallet)
    _loss_flagged(stack, closed)


def test_close_when_liquidated_then_booked_as_liquidation_and_flagged(
        slipping: PaperExchange, tmp_path: Path) -> None:
    stack = build_stack(slipping, tmp_path / "liq.db", LOSS_FLAG)
    stack.adapter.set_leverage("ETHUSDT", 50)
    wallet = stack.adapter.account().wallet_balance
    mark = stack.adapter.mark_price("ETHUSDT")
    f = stack.adapter.filters("ETHUSDT")
    qty = f.round_qty(D("9000") * 40 / mark, market=True)  # most of the margin, 40x
    result = stack.executor.open_position(Decision("ETHUSDT", Direction.LONG, qty,
                                                   f.round_price(mark * D("0.9"), "down")))
    assert result.status is OpenStatus.OPENED
    [trade] = stack.store.open_trades()
    stack.paper.control.set_price("ETHUSDT", mark * D("0.95"))  # through liquidation first
    assert stack.adapter.positions() == []
    stack.monitor.run_cycle()
    closed = _closed(stack, trade)
    assert closed.close_reason == ExitReason.LIQUIDATION.value
    assert closed.pnl_usdt < 0
    wallet_now = stack.adapter.account().wallet_balance
    assert abs((wallet_now - wallet) - closed.pnl_usdt) <= CENT or wallet_now == 0
    _loss_flagged(stack, closed)


def test_close_when_two_closers_report_one_close_then_booked_once(stack: Stack) -> None:
    trade = _open(stack)
    stack.adapter.market_order("ETHUSDT", Side.SELL, trade.quantity, "by-hand-2",
                               reduce_only=True)
    first = stack.closer.close("ETHUSDT", [trade], ExitReason.MANUAL)
    second = stack.closer.close("ETHUSDT", [trade], ExitReason.MANUAL)
    stack.monitor.run_cycle()
    assert len(first) == 1 and second == []
    assert len(_event_for(stack, EventKind.POSITION_CLOSED, "ETHUSDT")) == 1


def test_close_when_fills_unreadable_then_estimated_from_price_and_said_so(
        stack: Stack) -> None:
    trade = _open(stack)
    stack.adapter.market_order("ETHUSDT", Side.SELL, trade.quantity, "by-hand-3",
                               reduce_only=True)
    stack.paper.control.inject_fault("GET", "/fapi/v1/userTrades", code=-1003, count=1)
    [closed] = stack.closer.close("ETHUSDT", [trade], ExitReason.MANUAL,
                                  fallback_price=trade.entry_price * D("1.01"))
    assert not closed.from_fills and closed.fees == 0
    [event] = _event_for(stack, EventKind.POSITION_CLOSED, "ETHUSDT")
    assert "estimated" in event.message and event.details["from_fills"] is False


def test_close_when_trailing_stop_fires_then_booked_as_trailing(
        slipping: PaperExchange, tmp_path: Path) -> None:
    stack = build_stack(slipping, tmp_path / "trail.db",
                        ProtectionConfig(trailing_enabled=True, loss_flag_pct=D("0.01")))
    wallet = stack.adapter.account().wallet_balance
    mark = stack.adapter.mark_price("ETHUSDT")
    f = stack.adapter.filters("ETHUSDT")
    qty = f.round_qty(D("2000") / mark, market=True)
    result = stack.executor.open_position(Decision(
        "ETHUSDT", Direction.LONG, qty, f.round_price(mark * D("0.98"), "down"),
        trailing=True, callback_rate=D("1.0")))
    assert result.status is OpenStatus.OPENED and result.trailing is not None
    [trade] = stack.store.open_trades()
    stack.monitor.run_cycle()  # the monitor has seen the trailing stop
    for step in (D("1.01"), D("1.02"), D("1.03")):  # up 3 %: the trail follows
        stack.paper.control.set_price("ETHUSDT", mark * step)
    stack.paper.control.set_price("ETHUSDT", mark * D("1.015"))  # a 1.5 % pull-back
    stack.paper.control.advance(2000)
    assert stack.adapter.positions() == []
    stack.monitor.run_cycle()
    closed = _assert_books_match(stack, trade, ExitReason.TRAILING, wallet)
    assert closed.pnl_usdt > 0
