"""The small surfaces protection needs from the rest of the bot.

Protection depends on these Protocols, not on ``bot.store`` directly, so it can
be tested with in-memory fakes and wired to the real Store by a thin adapter
(``bot.protection.store_adapter``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from bot.domain import Direction, Event


class EventSink(Protocol):
    def append(self, event: Event) -> Event: ...


class TradeLike(Protocol):
    """The fields of a trade record protection reads (the store's record has them all)."""

    @property
    def symbol(self) -> str: ...
    @property
    def direction(self) -> Direction: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def entry_price(self) -> Decimal: ...
    @property
    def stop_price(self) -> Decimal | None: ...
    @property
    def position_key(self) -> str: ...
    @property
    def opened_at(self) -> datetime: ...


@dataclass(frozen=True)
class TradeRecord:
    """An open trade as protection records it (and as the in-memory book keeps it)."""

    symbol: str
    direction: Direction
    quantity: Decimal
    entry_price: Decimal
    stop_price: Decimal | None
    position_key: str
    opened_at: datetime
    take_profit: Decimal | None = None
    trailing_rate: Decimal | None = None
    adopted: bool = False


class TradeBook(Protocol):
    def open_trades(self) -> list[TradeLike]: ...

    def record_open(self, trade: TradeRecord) -> None: ...

    def record_close(
        self, trade: TradeLike, exit_price: Decimal, reason: str,
        pnl_usdt: Decimal, pnl_pct_equity: Decimal | None, closed_at: datetime,
    ) -> None: ...


class LeaseStore(Protocol):
    def acquire_lease(self, account: str, owner: str, ttl_s: float, now: datetime) -> bool: ...

    def renew_lease(self, account: str, owner: str, ttl_s: float, now: datetime) -> bool: ...

    def release_lease(self, account: str, owner: str) -> None: ...


def trades_for(book: TradeBook, symbol: str) -> list[TradeLike]:
    return [t for t in book.open_trades() if t.symbol == symbol]
