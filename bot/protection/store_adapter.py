"""The real Store seen through protection's small ports."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.protection.ports import TradeLike, TradeRecord


class StoreTradeBook:
    """``TradeBook`` over ``bot.store.Store`` (trades table)."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def open_trades(self) -> list[TradeLike]:
        return list(self._store.open_trades())

    def record_open(self, trade: TradeRecord) -> None:
        self._store.open_trade(
            symbol=trade.symbol, direction=trade.direction, quantity=trade.quantity,
            entry_price=trade.entry_price, stop_price=trade.stop_price,
            opened_at=trade.opened_at, position_key=trade.position_key,
            take_profit=trade.take_profit, trailing_rate=trade.trailing_rate,
        )

    def record_close(
        self, trade: TradeLike, exit_price: Decimal, reason: str,
        pnl_usdt: Decimal, pnl_pct_equity: Decimal | None, closed_at: datetime,
    ) -> None:
        trade_id = getattr(trade, "id", None)
        if trade_id is None:
            raise ValueError(f"trade for {trade.symbol} has no store id")
        self._store.close_trade(trade_id, exit_price, reason, pnl_usdt, pnl_pct_equity,
                                closed_at)
