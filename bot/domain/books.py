"""Read models of the books for the dashboard: closed trades, performance, decisions, audit.

Built by the store from the database on request (never from the exchange); every field
has a default so a view can grow without breaking its readers. Money is ``Decimal``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from bot.domain.model import Direction, Trade
from bot.domain.views import EquityPoint

ZERO = Decimal(0)
MAX_PAGE_SIZE = 100_000  # the CSV export asks for everything that matches, up to this


@dataclass(frozen=True)
class TradeQuery:
    """Which closed trades, newest close first; ``page`` counts from 0."""

    symbol: str | None = None
    reason: str | None = None  # trades.close_reason: stop, take_profit, trailing, ...
    direction: Direction | None = None
    page: int = 0
    page_size: int = 50


@dataclass(frozen=True)
class TradePage:
    trades: tuple[Trade, ...] = ()
    total: int = 0  # every closed trade the filter matches, not only this page
    page: int = 0
    page_size: int = 50
    symbols: tuple[str, ...] = ()  # every symbol with a closed trade: the filter's choices

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // max(1, self.page_size)))


@dataclass(frozen=True)
class PnlGroup:
    """Closed trades of one symbol or one exit reason."""

    key: str
    trades: int = 0
    wins: int = 0
    pnl_usdt: Decimal = ZERO  # net of fees
    fees_usdt: Decimal = ZERO

    @property
    def win_rate(self) -> float | None:
        return self.wins / self.trades if self.trades else None


@dataclass(frozen=True)
class DailyPnl:
    day: date  # UTC
    pnl_usdt: Decimal = ZERO
    trades: int = 0


@dataclass(frozen=True)
class PerformanceView:
    """Realized results of the closed trades, net of fees; a loss is a negative PnL."""

    trades: int = 0
    wins: int = 0
    losses: int = 0
    realized_today: Decimal = ZERO  # since 00:00 UTC of the bot's clock
    realized_7d: Decimal = ZERO
    realized_total: Decimal = ZERO
    fees_total: Decimal = ZERO
    gross_profit: Decimal = ZERO  # sum of the winning trades
    gross_loss: Decimal = ZERO  # sum of the losing trades, as a positive number
    max_drawdown: Decimal = ZERO  # deepest fall of the cumulative realized PnL from its peak
    by_symbol: tuple[PnlGroup, ...] = ()
    by_reason: tuple[PnlGroup, ...] = ()
    daily: tuple[DailyPnl, ...] = ()  # oldest first, days with closes only
    as_of: datetime | None = None

    @property
    def win_rate(self) -> float | None:
        return self.wins / self.trades if self.trades else None

    @property
    def profit_factor(self) -> float | None:
        """Gross profit over gross loss; None without a losing trade (nothing to divide by)."""
        return float(self.gross_profit / self.gross_loss) if self.gross_loss else None


@dataclass(frozen=True)
class EquityHistory:
    """Equity points of a range and what splits them into realized and unrealized.

    ``closes`` are the realized PnLs booked from ``since`` to now; with the unrealized
    PnL of the open positions now, the wallet balance (realized) at any earlier point is
    the wallet now minus the PnL booked after it, and the rest of the equity is unrealized.
    """

    points: tuple[EquityPoint, ...] = ()
    closes: tuple[tuple[datetime, Decimal], ...] = ()
    unrealized_now: Decimal = ZERO
    since: datetime | None = None


@dataclass(frozen=True)
class DecisionQuery:
    symbol: str | None = None
    allowed: bool | None = None
    rule: str | None = None
    page: int = 0
    page_size: int = 50


@dataclass(frozen=True)
class DecisionView:
    """A signal and the one decision the filter took on it: which rule, and why."""

    id: int
    at: datetime
    signal_id: str
    allowed: bool
    rule: str | None
    reason: str
    quantity: Decimal | None = None
    symbol: str | None = None
    direction: Direction | None = None
    confidence: float | None = None
    source: str | None = None
    signal_at: datetime | None = None
    stop_price: Decimal | None = None
    target_price: Decimal | None = None


@dataclass(frozen=True)
class DecisionPage:
    decisions: tuple[DecisionView, ...] = ()
    total: int = 0
    page: int = 0
    page_size: int = 50
    rules: tuple[str, ...] = ()  # every rule that has decided something: the filter's choices
    symbols: tuple[str, ...] = ()  # every symbol a signal came for

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // max(1, self.page_size)))


@dataclass(frozen=True)
class AuditView:
    """One audited change: a rule setting or the kill switch, who made it and why."""

    id: int
    at: datetime
    key: str
    old: str | None
    new: str | None
    actor: str
    note: str = ""
