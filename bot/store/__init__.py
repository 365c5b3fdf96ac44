"""Persistence: one SQLAlchemy store for events, settings, kill switch, orders, trades, lease."""

from bot.store.records import (
    AuditEntry,
    DecisionRecord,
    KillRecord,
    LeaseRecord,
    OrderRecord,
)
from bot.store.store import Store

__all__ = [
    "AuditEntry",
    "DecisionRecord",
    "KillRecord",
    "LeaseRecord",
    "OrderRecord",
    "Store",
]
