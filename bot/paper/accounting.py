"""Account-wide reads and rules: margin totals, leverage changes, liquidation.

A mixin of ``MatchingEngine``; the per-fill arithmetic lives in ``account``.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from bot.paper import errors, position_mode
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
            self.spec(symbol)
            if not 1 <= leverage <= self.brackets[symbol][0].initial_leverage:
                raise errors.invalid_leverage(leverage)
            previous = self.account.leverage_of(symbol)
            self.account.leverage[symbol] = leverage
            if self.account.amount(symbol) != 0 and self.totals()["available"] <= 0:
                self.account.leverage[symbol] = previous
                raise errors.margin_insufficient()
            self.ledger.account("LEVERAGE", "client", symbol, {"leverage": leverage})
            return leverage

    def set_position_mode(self, dual_side: bool) -> None:
        """Hedge (True) or one-way (False); refused with a position or an open order."""
        with self.lock:
            self.sync()
            if dual_side == self.account.dual_side:
                raise errors.no_need_to_change_position_side()
            position_mode.check_mode_switch(bool(self.account.open_symbols()),
                                            self._has_open_orders())
            self.account.dual_side = dual_side
            self.ledger.account("POSITION_MODE", "client", "*", {"dualSidePosition": dual_side})

    def set_multi_assets(self, enabled: bool) -> None:
        """Multi-Assets margin mode: a flag here (USDT is the only margin asset modelled)."""
        with self.lock:
            self.sync()
            if enabled == self.account.multi_assets:
                raise errors.no_need_to_change_multi_assets()
            if self._has_open_orders():
                raise errors.multi_assets_open_orders()
            self.account.multi_assets = enabled
            self.ledger.account("ASSET_MODE", "client", "*", {"multiAssetsMargin": enabled})

    def _has_open_orders(self) -> bool:
        return any(self._resting[s] or self._armed[s] for s in self.specs)

    def _check_liquidation(self) -> None:
        """Cross margin: when margin balance falls to maintenance, every position is closed
        at the mark; the clearance fee (the symbol's ``liquidationFee`` rate of the closed
        notional) is booked as the close's commission, unless ``liquidation_fee`` is off."""
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
            fee = self.specs[symbol].liquidation_fee if self.liquidation_fee else None
            self._fill(order, self.mark[symbol], fee_rate=fee)  # at the mark: no slippage
