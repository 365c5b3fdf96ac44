"""The tables. Bot-owned columns (what we asked for) are kept apart from exchange-reported ones."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    text,
)

from bot.store.types import DecimalText, UtcDateTime

metadata = MetaData()

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(40), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("symbol", String(32)),
    Column("code", Integer),
    Column("message", Text, nullable=False, default=""),
    Column("latency_ms", Float),
    Column("details", JSON, nullable=False),
    Index("ix_events_kind_at", "kind", "at"),
    Index("ix_events_symbol_at", "symbol", "at"),
    sqlite_autoincrement=True,
)

# Events stay append-only: an acknowledgement is a row of its own.
red_flag_acks = Table(
    "red_flag_acks",
    metadata,
    Column("event_id", Integer, ForeignKey("events.id"), primary_key=True),
    Column("actor", String(100), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

settings_kv = Table(
    "settings",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
)

audit = Table(
    "audit_trail",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False),
    Column("old", Text),
    Column("new", Text),
    Column("actor", String(100), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_audit_key", "key"),
    sqlite_autoincrement=True,
)

kill_switch = Table(
    "kill_switch",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("state", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

signals = Table(
    "signals",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("symbol", String(32), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("source", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("stop_price", DecimalText),
    Column("target_price", DecimalText),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("signal_id", String(64), nullable=False, index=True),
    Column("allowed", Boolean, nullable=False),
    Column("rule", String(100)),
    Column("reason", Text, nullable=False),
    Column("quantity", DecimalText),
    Column("at", UtcDateTime, nullable=False),
    sqlite_autoincrement=True,
)

orders = Table(
    "orders",
    metadata,
    Column("client_id", String(64), primary_key=True),
    # what the bot asked for: written once
    Column("symbol", String(32), nullable=False),
    Column("purpose", String(20), nullable=False),
    Column("side", String(8), nullable=False),
    Column("type", String(32), nullable=False),
    Column("quantity", DecimalText),
    Column("price", DecimalText),
    Column("created_at", UtcDateTime, nullable=False),
    # what the exchange reported: updated on every record
    Column("exchange_id", String(64)),
    Column("exchange_status", String(32), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_orders_symbol", "symbol"),
)

trades = Table(
    "trades",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("symbol", String(32), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("quantity", DecimalText, nullable=False),
    Column("entry_price", DecimalText, nullable=False),
    Column("stop_price", DecimalText),
    Column("take_profit", DecimalText),
    Column("trailing_rate", DecimalText),
    Column("position_key", String(100), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("exit_price", DecimalText),
    Column("close_reason", String(100)),
    Column("pnl_usdt", DecimalText),
    Column("pnl_pct_equity", DecimalText),
    Column("closed_at", UtcDateTime),
    Column("fees_usdt", DecimalText),
    Column("adopted", Boolean, nullable=False, server_default="0"),
    Index("ix_trades_open", "closed_at", "symbol"),
    sqlite_autoincrement=True,
)

leases = Table(
    "leases",
    metadata,
    Column("account", String(200), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("acquired_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

equity = Table(
    "equity",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("equity", DecimalText, nullable=False),
)

regimes = Table(
    "regimes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("regime", String(16), nullable=False),
    Column("computed_at", UtcDateTime, nullable=False),
    Column("inputs", JSON, nullable=False),
)


_ADDED_COLUMNS = {"trades": (("fees_usdt", "TEXT"), ("adopted", "BOOLEAN NOT NULL DEFAULT FALSE"))}


def create_schema(engine: Engine) -> None:
    """Create what is missing, and add the columns later versions brought to an older file:
    an operator's existing database keeps its history across an upgrade."""
    metadata.create_all(engine)
    with engine.begin() as conn:
        for table, columns in _ADDED_COLUMNS.items():
            have = {c["name"] for c in inspect(conn).get_columns(table)}
            for name, ddl in columns:
                if name not in have:
                    conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}"))
