"""Account-wide reads and rules: margin totals, leverage changes, liquidation.

A mixin of ``MatchingEngine``; the per-fill arithmetic lives in ``account``.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from bot.paper import errors
from bot.paper.model import ZERO, Order, OrderStatus, OrderType, Side, TimeInForce

log = logging.getLogger(__name__)


class AccountingMixin:
    def open_order_margin(self) -> Decimal:
        total = ZERO
        for book in self._resting.values():
            for order in book.values():
                if not order.reduce_only:
                    remaining = order.orig_qty - order.executed_qty
                    total += remaining * order.price / self.account.leverage_of(order.symbol)
        return total

    def totals(self) -> dict[str, Decimal]:
        return self.account.totals(self.mark, self.open_order_margin())

    def set_leverage(self, symbol: str, leverage: int) -> int:
        with self.lock:
            self.sync()
            spec = self.spec(symbol)
            if not 1 <= leverage <= spec.max_leverage:
                raise errors.invalid_leverage(leverage)
            previous = self.account.leverage_of(symbol)
            self.account.leverage[symbol] = leverage
            if self.account.amount(symbol) != 0 and self.totals()["available"] <= 0:
                self.account.leverage[symbol] = previous
                raise errors.margin_insufficient()
            self.ledger.account("LEVERAGE", "client", symbol, {"leverage": leverage})
            return leverage

    def _check_liquidation(self) -> None:
        """Cross margin: when margin balance falls to maintenance, every position is closed."""
        if not self.account.open_symbols():
            return
        totals = self.account.totals(self.mark, ZERO)
        if totals["margin_balance"] > totals["maint"]:
            return
        log.warning("[PAPER] LIQUIDATION: margin balance %s <= maintenance %s",
                    totals["margin_balance"], totals["maint"])
        self.ledger.account("LIQUIDATED", "engine", "*",
                            {"marginBalance": str(totals["margin_balance"]),
                             "maintMargin": str(totals["maint"])})
        now = self.now_ms()
        for symbol in list(self.account.open_symbols()):
            amount = self.account.amount(symbol)
            order = Order(
                order_id=self._new_order_id(), client_order_id=f"autoclose-{now}",
                symbol=symbol, side=Side.SELL if amount > 0 else Side.BUY,
                type=OrderType.MARKET, orig_qty=abs(amount), price=ZERO,
                time_in_force=TimeInForce.IOC, reduce_only=True, close_position=False,
                time_ms=now, update_ms=now, orig_type=OrderType.MARKET,
                status=OrderStatus.NEW,
            )
            self._book_order(order)
            self.ledger.order(order, "PLACED", "engine", details={"liquidation": True})
            self._fill(order, self.mark[symbol], self.taker_fee)
