"""What the store hands back: frozen records, Decimal money, UTC-aware times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.domain import Direction, KillState


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
    state: KillState
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
class LeaseRecord:
    account: str
    owner: str
    acquired_at: datetime
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at
