"""Performance of the closed trades and the equity history, for the dashboard.

The aggregates are one pass over the closed trades' five columns (symbol, reason, PnL,
fees, close time) in close order: sums stay exact in ``Decimal`` (SQLite would sum the
text columns as floats), and the drawdown needs that order anyway. ``books_version``
says cheaply whether anything closed since, so a caller can keep the last result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, String, func, select, type_coerce

from bot.domain import EquityPoint
from bot.domain.books import ZERO, DailyPnl, EquityHistory, PerformanceView, PnlGroup
from bot.store.engine import read_tx
from bot.store.schema import equity, trades


class PerformanceMixin:
    _engine: Engine

    def books_version(self) -> tuple[int, int]:
        """(closed trades, highest closed id): changes whenever a trade is booked closed."""
        stmt = select(func.count(), func.max(trades.c.id)).where(trades.c.closed_at.is_not(None))
        with read_tx(self._engine) as conn:
            count, top = conn.execute(stmt).one()
        return int(count), int(top or 0)

    def performance(self, now: datetime) -> PerformanceView:
        """One read of the closed trades; the day and the windows are computed by the
        database (parsing 10 000 timestamps in Python cost more than the sums)."""
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        closed = trades.c.closed_at
        stmt = (
            select(trades.c.symbol, trades.c.close_reason,
                   type_coerce(trades.c.pnl_usdt, String), type_coerce(trades.c.fees_usdt, String),
                   func.date(closed), closed >= midnight, closed >= now - timedelta(days=7))
            .where(closed.is_not(None))
            .order_by(closed, trades.c.symbol, trades.c.id)  # the index's order: no sort
        )
        with read_tx(self._engine) as conn:
            rows = conn.execute(stmt).all()
        return summarise(rows, now)

    def equity_history(self, since: datetime | None, now: datetime,
                       max_points: int = 600) -> EquityHistory:
        """Equity points from ``since`` and the realized PnL booked from ``since`` to now."""
        closes = tuple(c for c in self.realized_closes()
                       if (since is None or c[0] >= since) and c[0] <= now)
        return EquityHistory(points=self.equity_points(since, max_points), closes=closes,
                             since=since)

    def equity_points(self, since: datetime | None,
                      max_points: int = 600) -> tuple[EquityPoint, ...]:
        """Equity from ``since``: every n-th point when there are more than ``max_points``
        (the ids of the table are its insertion order), the newest always kept."""
        count_stmt = select(func.count(), func.min(equity.c.id), func.max(equity.c.id))
        points_stmt = select(equity.c.at, equity.c.equity).order_by(equity.c.id)
        if since is not None:
            count_stmt = count_stmt.where(equity.c.at >= since)
            points_stmt = points_stmt.where(equity.c.at >= since)
        with read_tx(self._engine) as conn:
            n, first, last = conn.execute(count_stmt).one()
            step = max(1, -(-int(n) // max(1, max_points)))
            if step > 1:
                points_stmt = points_stmt.where(
                    ((equity.c.id - first) % step == 0) | (equity.c.id == last))
            return tuple(EquityPoint(r.at, r.equity) for r in conn.execute(points_stmt))

    def realized_closes(self) -> tuple[tuple[datetime, Decimal], ...]:
        """(close time, net PnL) of every closed trade, in close order: what moved the
        wallet. Changes only with ``books_version``, so a caller may keep it."""
        stmt = (
            select(trades.c.closed_at, trades.c.pnl_usdt)
            .where(trades.c.closed_at.is_not(None), trades.c.pnl_usdt.is_not(None))
            .order_by(trades.c.closed_at, trades.c.symbol, trades.c.id)
        )
        with read_tx(self._engine) as conn:
            return tuple((r.closed_at, r.pnl_usdt) for r in conn.execute(stmt))


def summarise(rows: Iterable[Sequence], now: datetime) -> PerformanceView:
    """Rows of (symbol, reason, pnl, fees, day, today?, in the last 7 d?) in close order,
    money as text or Decimal, the day as a date or its ISO text -> the performance view."""
    total = today = last7 = fees_total = profit = loss = ZERO
    peak = drawdown = ZERO
    count = wins = losses = 0
    symbols: dict[str, list] = {}
    reasons: dict[str, list] = {}
    days: dict[object, list] = {}
    for symbol, reason, pnl_raw, fees_raw, day, is_today, in_week in rows:
        pnl = ZERO if pnl_raw is None else Decimal(pnl_raw)
        fees = ZERO if fees_raw is None else Decimal(fees_raw)
        count += 1
        total += pnl
        fees_total += fees
        won = pnl > 0
        if won:
            wins += 1
            profit += pnl
        elif pnl < 0:
            losses += 1
            loss -= pnl
        if is_today:
            today += pnl
        if in_week:
            last7 += pnl
        if total > peak:
            peak = total
        elif peak - total > drawdown:
            drawdown = peak - total
        g = symbols.get(symbol)
        if g is None:
            g = symbols[symbol] = [0, 0, ZERO, ZERO]
        g[0] += 1
        g[1] += won
        g[2] += pnl
        g[3] += fees
        g = reasons.get(reason)
        if g is None:
            g = reasons[reason] = [0, 0, ZERO, ZERO]
        g[0] += 1
        g[1] += won
        g[2] += pnl
        g[3] += fees
        d = days.get(day)
        if d is None:
            d = days[day] = [ZERO, 0]
        d[0] += pnl
        d[1] += 1
    daily = sorted((_as_date(k), v) for k, v in days.items())
    return PerformanceView(
        trades=count, wins=wins, losses=losses, realized_today=today, realized_7d=last7,
        realized_total=total, fees_total=fees_total, gross_profit=profit, gross_loss=loss,
        max_drawdown=drawdown, by_symbol=_groups(symbols),
        by_reason=_groups(_unknown_merged(reasons)),
        daily=tuple(DailyPnl(d, v[0], v[1]) for d, v in daily), as_of=now,
    )


def _unknown_merged(reasons: dict) -> dict[str, list]:
    """A trade closed without a reason counts as "unknown", with those booked so."""
    merged: dict[str, list] = {}
    for key, g in reasons.items():
        into = merged.setdefault(key or "unknown", [0, 0, ZERO, ZERO])
        for i, value in enumerate(g):
            into[i] += value
    return merged


def _as_date(day: object) -> date:
    """SQLite's date() gives text, PostgreSQL's a date."""
    return day if isinstance(day, date) else date.fromisoformat(str(day))


def _groups(groups: dict[str, list]) -> tuple[PnlGroup, ...]:
    """Largest |PnL| first: where the money was made or lost."""
    out = [PnlGroup(k, v[0], v[1], v[2], v[3]) for k, v in groups.items()]
    return tuple(sorted(out, key=lambda g: (-abs(g.pnl_usdt), g.key)))
