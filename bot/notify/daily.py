"""The daily summary: the last 24 hours in a few lines, read from the store through a port."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from bot.domain import RED_FLAG_KINDS, EventKind, Trade

DAY = timedelta(hours=24)


class SummaryStore(Protocol):
    def trades(self, limit: int = 100, closed_only: bool = False) -> list[Trade]: ...

    def open_trades(self) -> list[Trade]: ...

    def count(self, kind: EventKind, since: datetime | None = None, code: int | None = None,
              detail: tuple[str, str] | None = None, until: datetime | None = None) -> int: ...


def summary_lines(store: SummaryStore, now: datetime) -> list[str]:
    since = now - DAY
    closed = [t for t in store.trades(limit=2000, closed_only=True)
              if t.closed_at is not None and _aware(t.closed_at) >= since]
    pnl = sum((t.pnl_usdt or Decimal(0) for t in closed), Decimal(0))
    wins = sum(1 for t in closed if (t.pnl_usdt or 0) > 0)
    flags = _flag_counts(store, RED_FLAG_KINDS, since, now)
    flag_text = ", ".join(f"{n} {k.value}" for k, n in flags.items() if n) or "none"
    return [
        f"Trades closed: {len(closed)} ({wins} won, {len(closed) - wins} lost or flat), "
        f"realized PnL {pnl:+.2f} USDT",
        f"Open positions: {len(store.open_trades())}",
        f"Red flags: {flag_text}",
    ]


def _flag_counts(store: SummaryStore, kinds: Iterable[EventKind], since: datetime,
                 until: datetime) -> dict[EventKind, int]:
    return {k: store.count(k, since=since, until=until) for k in kinds}


def _aware(at: datetime) -> datetime:
    """The store keeps UTC; SQLite hands it back naive."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
