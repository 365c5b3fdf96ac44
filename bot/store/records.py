"""What the store hands back: frozen records, Decimal money, UTC-aware times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.domain import Direction


@dataclass(frozen=True)
class AuditEntry:
    id: int
    key: str
    old: str | None
    new: str | None
    actor: str
    at: datetime
    note: str = ""


@dataclass(frozen=True)
class KillRecord:
    state: str  # bot.control.views.KillState: RUNNING | HALTED | FLATTENING
    reason: str
    actor: str
    at: datetime | None


@dataclass(frozen=True)
class DecisionRecord:
    id: int
    signal_id: str
    allowed: bool
    rule: str | None
    reason: str
    quantity: Decimal | None
    at: datetime
    symbol: str | None = None
    direction: Direction | None = None
    confidence: float | None = None
    source: str | None = None


@dataclass(frozen=True)
class OrderRecord:
    client_id: str
    symbol: str
    purpose: str
    side: str
    type: str
    quantity: Decimal | None
    price: Decimal | None
    created_at: datetime
    exchange_id: str | None
    status: str
    updated_at: datetime


@dataclass(frozen=True)
class TradeRecord:
    id: int
    symbol: str
    direction: Direction
    quantity: Decimal
    entry_price: Decimal
    stop_price: Decimal | None
    take_profit: Decimal | None
    trailing_rate: Decimal | None
    position_key: str
    opened_at: datetime
    exit_price: Decimal | None = None
    close_reason: str | None = None
    pnl_usdt: Decimal | None = None
    pnl_pct_equity: Decimal | None = None
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class LeaseRecord:
    account: str
    owner: str
    acquired_at: datetime
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at
