"""The one close-trade service: every closer (executor, monitor, flatten, the stream) books here.

A trade's result is what the venue booked, not what the bot hoped: the realized
PnL and the commissions of the fills (GET /fapi/v1/userTrades) since the trade
opened. A stop that triggered at 179.89 and filled at 179.97 is booked at 179.97,
a gap through a stop at the gapped price, and every close pays its fees. Only when
the venue's fills cannot be read is the result estimated from a price, and the
event says so. The loss red flag follows the booked result, whoever closed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from bot.domain import Direction, EventKind, ExitReason, Fill, Purpose, Trade, client_ids
from bot.domain.errors import ExchangeError
from bot.protection.ports import Exchange, TradeBook
from bot.protection.recorder import EventRecorder

log = logging.getLogger(__name__)

QUOTE = "USDT"
_FILL_WINDOW_SLACK = timedelta(seconds=2)  # venue clock against the one stamping opened_at
_BY_PURPOSE = {
    Purpose.STOP: ExitReason.STOP,
    Purpose.TRAILING: ExitReason.TRAILING,
    Purpose.TAKE_PROFIT: ExitReason.TAKE_PROFIT,
    Purpose.EMERGENCY: ExitReason.EMERGENCY,
    Purpose.CLOSE: ExitReason.FLATTEN,
}
_LIQUIDATION_PREFIXES = ("autoclose-", "adl_autoclose")


@dataclass(frozen=True)
class ClosedTrade:
    trade: Trade
    reason: ExitReason
    exit_price: Decimal
    gross_pnl: Decimal
    fees: Decimal
    net_pnl: Decimal
    pct_of_equity: Decimal | None
    from_fills: bool  # False: estimated from a price, the venue's fills were unreadable


@dataclass(frozen=True)
class _Result:
    exit_price: Decimal
    realized: Decimal
    fees: Decimal
    exit_order: int | None


def pnl_usdt(direction: Direction, entry: Decimal, exit_price: Decimal, qty: Decimal) -> Decimal:
    sign = Decimal(1) if direction is Direction.LONG else Decimal(-1)
    return (exit_price - entry) * qty * sign


def pct_of_equity(pnl: Decimal, equity: Decimal | None) -> Decimal | None:
    if equity is None or equity <= 0:
        return None
    return (pnl / equity * 100).quantize(Decimal("0.0001"))


def loss_over_limit(pct: Decimal | None, limit_pct: Decimal) -> bool:
    return pct is not None and pct < 0 and -pct > limit_pct


def reason_from_client_id(client_order_id: str) -> ExitReason:
    """Who sent the closing order, told by its client id: ours, the liquidation engine, a person."""
    if client_order_id.startswith(_LIQUIDATION_PREFIXES):
        return ExitReason.LIQUIDATION
    parsed = client_ids.parse(client_order_id)
    if parsed is None:
        return ExitReason.MANUAL
    return _BY_PURPOSE.get(parsed.purpose, ExitReason.UNKNOWN)


class TradeCloser:
    def __init__(self, exchange: Exchange, book: TradeBook, recorder: EventRecorder,
                 loss_flag_pct: Decimal) -> None:
        self._ex = exchange
        self._book = book
        self._rec = recorder
        self._loss_flag_pct = loss_flag_pct

    def close(self, symbol: str, trades: Sequence[Trade], reason: ExitReason | None = None,
              fallback_price: Decimal | None = None) -> list[ClosedTrade]:
        """Book ``trades`` (the open trades of one closed position) once, from the venue's fills.

        ``reason`` is what the caller knows (it sent the emergency close or the flatten,
        or saw the stop trigger); without it the closing order's client id tells.
        ``fallback_price`` prices the close when the fills cannot be read. A trade another
        closer booked first is skipped, so the stream, the executor and the monitor may
        all report the same close.
        """
        if not trades:
            return []
        result = self._from_fills(symbol, trades)
        if reason is None or reason is ExitReason.UNKNOWN:
            reason = self._reason_of(symbol, result)
        total_qty = sum((t.quantity for t in trades), Decimal(0))
        priced = [self._price(t, result, t.quantity / total_qty if total_qty > 0 else Decimal(1),
                              fallback_price) for t in trades]
        equity = self._equity()
        # the loss is measured against the equity the trade risked, before this close took it
        before = None if equity is None else equity - sum((g - f for _, g, f in priced),
                                                          Decimal(0))
        closed = []
        for trade, (exit_price, gross, fees) in zip(trades, priced, strict=True):
            booked = self._book_one(trade, reason, exit_price, gross, fees, before,
                                    from_fills=result is not None)
            if booked is not None:
                closed.append(booked)
        return closed

    @staticmethod
    def _price(trade: Trade, result: _Result | None, share: Decimal,
               fallback_price: Decimal | None) -> tuple[Decimal, Decimal, Decimal]:
        """(exit price, trade, gross PnL, fees) from the fills, else estimated from a price."""
        if result is not None:
            return result.exit_price, result.realized * share, result.fees * share
        exit_price = fallback_price if fallback_price is not None else trade.entry_price
        gross = pnl_usdt(trade.direction, trade.entry_price, exit_price, trade.quantity)
        return exit_price, gross, Decimal(0)

    def _from_fills(self, symbol: str, trades: Sequence[Trade]) -> _Result | None:
        direction = trades[0].direction
        since = min(t.opened_at for t in trades) - _FILL_WINDOW_SLACK
        try:
            fills = self._ex.user_trades(symbol, start=since, limit=1000)
        except ExchangeError as exc:
            log.warning("[CLOSED] Fills of %s unreadable (%s) - PnL estimated from price",
                        symbol, exc)
            return None
        fills = [f for f in fills if f.time >= since]
        exits = [f for f in fills if f.side is direction.closing_side]
        qty = sum((f.quantity for f in exits), Decimal(0))
        if qty <= 0:
            return None
        vwap = sum((f.price * f.quantity for f in exits), Decimal(0)) / qty
        return _Result(exit_price=vwap, realized=sum((f.realized_pnl for f in exits), Decimal(0)),
                       fees=_fees(fills), exit_order=exits[-1].order_id)

    def _reason_of(self, symbol: str, result: _Result | None) -> ExitReason:
        if result is None or result.exit_order is None:
            return ExitReason.UNKNOWN
        try:
            order = self._ex.order_by_id(symbol, result.exit_order)
        except ExchangeError:
            return ExitReason.UNKNOWN
        return reason_from_client_id(order.client_order_id) if order else ExitReason.UNKNOWN

    def _equity(self) -> Decimal | None:
        try:
            return self._ex.account().equity
        except ExchangeError:
            return None

    def _book_one(self, trade: Trade, reason: ExitReason, exit_price: Decimal, gross: Decimal,
                  fees: Decimal, equity: Decimal | None, from_fills: bool) -> ClosedTrade | None:
        net = gross - fees
        pct = pct_of_equity(net, equity)
        try:
            self._book.record_close(trade, exit_price, reason.value, net, pct, self._rec.now(),
                                    fees_usdt=fees)
        except ValueError:  # booked already by another closer
            log.debug("[CLOSED] %s %s already booked", trade.symbol, trade.position_key)
            return None
        closed = ClosedTrade(trade, reason, exit_price, gross, fees, net, pct, from_fills)
        self._announce(closed)
        return closed

    def _announce(self, c: ClosedTrade) -> None:
        t = c.trade
        self._rec.record(
            EventKind.POSITION_CLOSED, t.symbol,
            f"closed ({c.reason.value}) @ {c.exit_price:.8g}, PnL {c.net_pnl:.4f} USDT "
            f"after {c.fees:.4f} fees" + ("" if c.from_fills else " (estimated)"),
            details={"reason": c.reason.value, "pnl_usdt": c.net_pnl,
                     "gross_pnl_usdt": c.gross_pnl, "fees_usdt": c.fees,
                     "pnl_pct_equity": c.pct_of_equity,
                     "exit_price": c.exit_price, "entry_price": t.entry_price,
                     "quantity": t.quantity, "direction": t.direction,
                     "position_key": t.position_key, "from_fills": c.from_fills})
        log.info("[CLOSED] %s %s @ %s PnL %s USDT net of %s fees (%s%% of equity)", t.symbol,
                 c.reason.value, c.exit_price, c.net_pnl.quantize(Decimal("0.0001")),
                 c.fees.quantize(Decimal("0.0001")), c.pct_of_equity)
        if loss_over_limit(c.pct_of_equity, self._loss_flag_pct):
            self._rec.record(
                EventKind.LOSS_OVER_LIMIT, t.symbol,
                f"loss {c.pct_of_equity}% of equity over {self._loss_flag_pct}% "
                f"({c.reason.value})",
                details={"pnl_usdt": c.net_pnl, "pnl_pct_equity": c.pct_of_equity,
                         "reason": c.reason.value})


def _fees(fills: Sequence[Fill]) -> Decimal:
    """Commissions in the quote asset; BNB-paid fees are not in the USDT books."""
    return sum((f.commission for f in fills if f.commission_asset == QUOTE), Decimal(0))
