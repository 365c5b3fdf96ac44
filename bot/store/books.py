"""Closed trades for the dashboard's books: paged and filtered in SQL, newest close first."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.sql import Select

from bot.domain import Direction, Trade
from bot.domain.books import MAX_PAGE_SIZE, TradePage, TradeQuery
from bot.store.engine import read_tx
from bot.store.schema import trades
from bot.store.trading import _TRADE_ROWS, _trade


class BooksMixin:
    _engine: Engine

    def closed_trades(self, query: TradeQuery = TradeQuery()) -> TradePage:  # noqa: B008
        """One page of closed trades, the count of all that match, and the symbols to filter by.

        Three indexed reads (the page, the count, the distinct symbols); a page past the
        end is clamped to the last one.
        """
        size = max(1, min(int(query.page_size), MAX_PAGE_SIZE))
        where = _filtered(select(func.count()).select_from(trades), query)
        with read_tx(self._engine) as conn:
            total = int(conn.execute(where).scalar_one())
            last = max(0, -(-total // size) - 1)
            page = max(0, min(int(query.page), last))
            stmt = (
                _filtered(_TRADE_ROWS, query)
                .order_by(trades.c.closed_at.desc(), trades.c.id.desc())
                .offset(page * size)
                .limit(size)
            )
            rows = [_trade(r) for r in conn.execute(stmt)]
            symbols = tuple(
                s for (s,) in conn.execute(
                    select(trades.c.symbol).where(trades.c.closed_at.is_not(None))
                    .distinct().order_by(trades.c.symbol)
                )
            )
        return TradePage(trades=tuple(rows), total=total, page=page, page_size=size,
                         symbols=symbols)

    def recent_closed_trades(self, limit: int = 50) -> list[Trade]:
        """The newest closes first (by close time, not by opening)."""
        stmt = (
            _TRADE_ROWS.where(trades.c.closed_at.is_not(None))
            .order_by(trades.c.closed_at.desc(), trades.c.id.desc()).limit(limit)
        )
        with read_tx(self._engine) as conn:
            return [_trade(r) for r in conn.execute(stmt)]


def _filtered(stmt: Select, query: TradeQuery) -> Select:
    stmt = stmt.where(trades.c.closed_at.is_not(None))
    if query.symbol:
        stmt = stmt.where(trades.c.symbol == query.symbol)
    if query.reason:
        stmt = stmt.where(trades.c.close_reason == query.reason)
    if query.direction is not None:
        stmt = stmt.where(trades.c.direction == Direction(query.direction).value)
    return stmt
