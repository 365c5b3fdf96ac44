"""The account's fills as Binance reports them in ``GET /fapi/v1/userTrades``.

One row per fill, written by the engine at the moment it books the fill, with
the realized PnL and commission the account actually booked: summing
``realizedPnl - commission`` over the rows gives the wallet's change (less
what the insurance fund absorbed after a liquidation). The selection rules
(fromId, time window, the 7-day default) follow Binance's Account Trade List.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.paper.model import Side

WEEK_MS = 7 * 24 * 3_600_000
FIRST_TRADE_ID = 200_000_000  # apart from algo ids (1e6...) and order ids (4e9...)


@dataclass(frozen=True)
class Trade:
    trade_id: int
    order_id: int
    symbol: str
    side: Side
    price: Decimal
    qty: Decimal
    realized_pnl: Decimal
    commission: Decimal
    maker: bool
    time_ms: int

    @property
    def quote_qty(self) -> Decimal:
        return self.price * self.qty


@dataclass(frozen=True)
class TradeQuery:
    """A validated userTrades request (see ``parsing.trade_query`` for the errors)."""

    symbol: str
    order_id: int | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    from_id: int | None = None
    limit: int = 500


class TradeBook:
    """Append-only, in id order (ids grow with time). Ids survive a reset, like order ids."""

    def __init__(self, next_id: int = FIRST_TRADE_ID) -> None:
        self._trades: list[Trade] = []
        self._next_id = next_id

    @property
    def next_id(self) -> int:
        return self._next_id

    def record(self, order_id: int, symbol: str, side: Side, price: Decimal, qty: Decimal,
               realized_pnl: Decimal, commission: Decimal, maker: bool, time_ms: int) -> Trade:
        self._next_id += 1
        trade = Trade(self._next_id, order_id, symbol, side, price, qty, realized_pnl,
                      commission, maker, time_ms)
        self._trades.append(trade)
        return trade

    def all(self) -> list[Trade]:
        return list(self._trades)

    def select(self, query: TradeQuery, now_ms: int) -> list[Trade]:
        """Binance's rules: fromId → ids from there on; a time window of at most 7 days
        (startTime alone → 7 days from it, endTime alone → 7 days up to it, neither → the
        last 7 days, unless fromId or orderId names the trades); oldest first."""
        start, end = query.start_ms, query.end_ms
        if start is None and end is None and query.from_id is None and query.order_id is None:
            start, end = now_ms - WEEK_MS, now_ms
        elif start is not None and end is None:
            end = start + WEEK_MS
        elif end is not None and start is None:
            start = end - WEEK_MS
        kept = [t for t in self._trades if t.symbol == query.symbol
                and (query.order_id is None or t.order_id == query.order_id)
                and (query.from_id is None or t.trade_id >= query.from_id)
                and (start is None or t.time_ms >= start)
                and (end is None or t.time_ms <= end)]
        if query.from_id is not None or query.start_ms is not None:
            return kept[:query.limit]
        return kept[-query.limit:]  # "default gets most recent trades"
