"""Signals, filter decisions, orders and trades."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row

from bot.domain import Direction, Signal, Trade
from bot.domain.ports import Clock
from bot.store.engine import read_tx, write_tx
from bot.store.records import DecisionRecord, OrderRecord
from bot.store.schema import decisions, orders, signals, trades
from bot.store.types import require_aware, require_decimal

_TRADE_UPDATABLE = frozenset(
    {"quantity", "entry_price", "stop_price", "take_profit", "trailing_rate", "position_key"}
)


class AlreadyClosedError(ValueError):
    """The trade was booked closed by another closer first (stream, executor or monitor)."""


class TradingMixin:
    _engine: Engine
    _clock: Clock

    # signals and decisions -----------------------------------------------
    def save_signal(self, signal: Signal) -> str:
        require_aware("signal.created_at", signal.created_at)
        require_decimal("signal.stop_price", signal.stop_price, optional=True)
        require_decimal("signal.target_price", signal.target_price, optional=True)
        signal_id = signal.id or uuid.uuid4().hex
        with write_tx(self._engine) as conn:
            conn.execute(
                insert(signals).values(
                    id=signal_id,
                    symbol=signal.symbol,
                    direction=Direction(signal.direction).value,
                    confidence=float(signal.confidence),
                    source=signal.source,
                    created_at=signal.created_at,
                    stop_price=signal.stop_price,
                    target_price=signal.target_price,
                )
            )
        return signal_id

    def save_decision(
        self,
        signal_id: str,
        allowed: bool,
        rule: str | None,
        reason: str,
        quantity: Decimal | None,
    ) -> int:
        require_decimal("quantity", quantity, optional=True)
        with write_tx(self._engine) as conn:
            result = conn.execute(
                insert(decisions).values(
                    signal_id=signal_id, allowed=bool(allowed), rule=rule, reason=reason or "",
                    quantity=quantity, at=self._clock(),
                )
            )
            return int(result.inserted_primary_key[0])

    def recent_decisions(self, limit: int = 50) -> list[DecisionRecord]:
        """Newest first, with the signal's symbol, direction and confidence when known."""
        stmt = (
            select(
                decisions,
                signals.c.symbol,
                signals.c.direction,
                signals.c.confidence,
                signals.c.source,
            )
            .outerjoin(signals, signals.c.id == decisions.c.signal_id)
            .order_by(decisions.c.id.desc())
            .limit(limit)
        )
        with read_tx(self._engine) as conn:
            rows = conn.execute(stmt).all()
        return [
            DecisionRecord(
                id=r.id, signal_id=r.signal_id, allowed=r.allowed, rule=r.rule, reason=r.reason,
                quantity=r.quantity, at=r.at, symbol=r.symbol,
                direction=Direction(r.direction) if r.direction else None,
                confidence=r.confidence, source=r.source,
            )
            for r in rows
        ]

    # orders --------------------------------------------------------------
    def record_order(
        self,
        symbol: str,
        client_id: str,
        purpose: str,
        side: str,
        type: str,  # noqa: A002 - the exchange's own word
        quantity: Decimal | None,
        price: Decimal | None,
        exchange_id: str | None,
        status: str,
        at: datetime,
    ) -> None:
        """Upsert by client id: our intent is written once, the exchange's report kept fresh."""
        if not client_id:
            raise ValueError("record_order needs a client id")
        require_decimal("quantity", quantity, optional=True)
        require_decimal("price", price, optional=True)
        require_aware("at", at)
        values = {
            "client_id": client_id,
            "symbol": symbol,
            "purpose": str(purpose),
            "side": str(side),
            "type": str(type),
            "quantity": quantity,
            "price": price,
            "created_at": at,
            "exchange_id": None if exchange_id is None else str(exchange_id),
            "exchange_status": str(status),
            "updated_at": at,
        }
        dialect = self._engine.dialect.name
        ins_mod: Any = postgresql if dialect == "postgresql" else sqlite
        stmt = ins_mod.insert(orders).values(**values)
        excluded = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=[orders.c.client_id],
            set_={
                "exchange_status": excluded.exchange_status,
                "updated_at": excluded.updated_at,
                "exchange_id": _coalesce(excluded.exchange_id, orders.c.exchange_id),
                "quantity": _coalesce(orders.c.quantity, excluded.quantity),
                "price": _coalesce(orders.c.price, excluded.price),
            },
        )
        with write_tx(self._engine) as conn:
            conn.execute(stmt)

    def order_by_client_id(self, client_id: str) -> OrderRecord | None:
        with read_tx(self._engine) as conn:
            row = conn.execute(select(orders).where(orders.c.client_id == client_id)).first()
        if row is None:
            return None
        return OrderRecord(
            client_id=row.client_id, symbol=row.symbol, purpose=row.purpose, side=row.side,
            type=row.type, quantity=row.quantity, price=row.price, created_at=row.created_at,
            exchange_id=row.exchange_id, status=row.exchange_status, updated_at=row.updated_at,
        )

    # trades --------------------------------------------------------------
    def open_trade(
        self,
        symbol: str,
        direction: Direction,
        quantity: Decimal,
        entry_price: Decimal,
        stop_price: Decimal | None,
        opened_at: datetime,
        position_key: str,
        take_profit: Decimal | None = None,
        trailing_rate: Decimal | None = None,
        adopted: bool = False,
    ) -> int:
        require_decimal("quantity", quantity)
        require_decimal("entry_price", entry_price)
        require_decimal("stop_price", stop_price, optional=True)
        require_decimal("take_profit", take_profit, optional=True)
        require_decimal("trailing_rate", trailing_rate, optional=True)
        require_aware("opened_at", opened_at)
        if quantity <= 0:
            raise ValueError(f"trade quantity must be > 0, got {quantity}")
        with write_tx(self._engine) as conn:
            result = conn.execute(
                insert(trades).values(
                    symbol=symbol, direction=Direction(direction).value, quantity=quantity,
                    entry_price=entry_price, stop_price=stop_price, take_profit=take_profit,
                    trailing_rate=trailing_rate, position_key=position_key, opened_at=opened_at,
                    adopted=bool(adopted),
                )
            )
            return int(result.inserted_primary_key[0])

    def record_open(self, trade: Trade) -> Trade:
        trade_id = self.open_trade(
            symbol=trade.symbol, direction=trade.direction, quantity=trade.quantity,
            entry_price=trade.entry_price, stop_price=trade.stop_price,
            opened_at=trade.opened_at, position_key=trade.position_key,
            take_profit=trade.take_profit, trailing_rate=trade.trailing_rate,
            adopted=trade.adopted,
        )
        return replace(trade, id=trade_id)

    def record_close(
        self, trade: Trade, exit_price: Decimal, reason: str, pnl_usdt: Decimal,
        pnl_pct_equity: Decimal | None, closed_at: datetime, fees_usdt: Decimal | None = None,
    ) -> None:
        if trade.id is None:
            raise ValueError(f"trade for {trade.symbol} has no store id")
        self.close_trade(trade.id, exit_price, reason, pnl_usdt, pnl_pct_equity, closed_at,
                         fees_usdt)

    def update_trade(self, trade_id: int, **fields: Any) -> None:
        """Change bot-owned fields of an open trade (stop moved, quantity added)."""
        unknown = set(fields) - _TRADE_UPDATABLE
        if unknown:
            raise ValueError(
                f"update_trade: unknown or read-only field(s) {sorted(unknown)}; "
                f"allowed: {sorted(_TRADE_UPDATABLE)}"
            )
        for name, value in fields.items():
            if name == "position_key":
                if not isinstance(value, str) or not value:
                    raise ValueError("position_key must be a non-empty string")
            else:
                require_decimal(name, value, optional=name != "quantity")
        if not fields:
            return
        with write_tx(self._engine) as conn:
            result = conn.execute(update(trades).where(trades.c.id == trade_id).values(**fields))
            if result.rowcount == 0:
                raise KeyError(f"no trade with id {trade_id}")

    def close_trade(
        self,
        trade_id: int,
        exit_price: Decimal,
        reason: str,
        pnl_usdt: Decimal,
        pnl_pct_equity: Decimal | None,
        closed_at: datetime,
        fees_usdt: Decimal | None = None,
    ) -> None:
        """Book the close once: a second closer of the same trade gets AlreadyClosedError."""
        require_decimal("exit_price", exit_price)
        require_decimal("fees_usdt", fees_usdt, optional=True)
        require_decimal("pnl_usdt", pnl_usdt)
        require_decimal("pnl_pct_equity", pnl_pct_equity, optional=True)  # equity unknown
        require_aware("closed_at", closed_at)
        with write_tx(self._engine) as conn:
            row = conn.execute(
                select(trades.c.closed_at).where(trades.c.id == trade_id).with_for_update()
            ).first()
            if row is None:
                raise KeyError(f"no trade with id {trade_id}")
            if row.closed_at is not None:
                raise AlreadyClosedError(f"trade {trade_id} is already closed")
            conn.execute(
                update(trades)
                .where(trades.c.id == trade_id)
                .values(
                    exit_price=exit_price, close_reason=reason, pnl_usdt=pnl_usdt,
                    pnl_pct_equity=pnl_pct_equity, closed_at=closed_at, fees_usdt=fees_usdt,
                )
            )

    def open_trades(self) -> list[Trade]:
        """Oldest first. Read by every monitor cycle."""
        with read_tx(self._engine) as conn:
            return [_trade(r) for r in conn.execute(_OPEN_TRADES)]

    def open_trade_for(self, symbol: str) -> Trade | None:
        """The newest open trade on ``symbol``."""
        stmt = (
            _TRADE_ROWS
            .where(trades.c.closed_at.is_(None), trades.c.symbol == symbol)
            .order_by(trades.c.id.desc())
            .limit(1)
        )
        with read_tx(self._engine) as conn:
            row = conn.execute(stmt).first()
        return None if row is None else _trade(row)

    def trade(self, trade_id: int) -> Trade | None:
        with read_tx(self._engine) as conn:
            row = conn.execute(_TRADE_ROWS.where(trades.c.id == trade_id)).first()
        return None if row is None else _trade(row)

    def closed_trades_since(self, since: datetime) -> list[Trade]:
        """Trades closed at or after ``since``, newest first (by id, as ``trades``): the day's
        realized PnL, read on the close-time index, whatever the length of the books."""
        with read_tx(self._engine) as conn:  # no ORDER BY: SQLite would scan by id for it
            found = [_trade(r) for r in conn.execute(_CLOSED_SINCE, {"since": since})]
        return sorted(found, key=lambda t: t.id or 0, reverse=True)

    def trades(self, limit: int = 100, closed_only: bool = False) -> list[Trade]:
        """Newest first."""
        stmt = _TRADE_ROWS.order_by(trades.c.id.desc()).limit(limit)
        if closed_only:
            stmt = stmt.where(trades.c.closed_at.is_not(None))
        with read_tx(self._engine) as conn:
            return [_trade(r) for r in conn.execute(stmt)]


def _coalesce(first: Any, second: Any) -> Any:
    return func.coalesce(first, second)


# The columns ``_trade`` reads, in the order it unpacks them: by position, a row costs a third
# of what 17 attribute look-ups on a Row did (the monitor reads the open trades every cycle).
_TRADE_ROWS = select(
    trades.c.id, trades.c.symbol, trades.c.direction, trades.c.quantity, trades.c.entry_price,
    trades.c.stop_price, trades.c.take_profit, trades.c.trailing_rate, trades.c.position_key,
    trades.c.opened_at, trades.c.exit_price, trades.c.close_reason, trades.c.pnl_usdt,
    trades.c.pnl_pct_equity, trades.c.closed_at, trades.c.fees_usdt, trades.c.adopted,
)
_OPEN_TRADES = _TRADE_ROWS.where(trades.c.closed_at.is_(None)).order_by(trades.c.id)
_CLOSED_SINCE = _TRADE_ROWS.where(trades.c.closed_at >= bindparam("since"))


def _trade(r: Row) -> Trade:
    (id_, symbol, direction, quantity, entry_price, stop_price, take_profit, trailing_rate,
     position_key, opened_at, exit_price, close_reason, pnl_usdt, pnl_pct_equity, closed_at,
     fees_usdt, adopted) = r
    return Trade(
        id=id_, symbol=symbol, direction=Direction(direction), quantity=quantity,
        entry_price=entry_price, stop_price=stop_price, take_profit=take_profit,
        trailing_rate=trailing_rate, position_key=position_key, opened_at=opened_at,
        exit_price=exit_price, close_reason=close_reason, pnl_usdt=pnl_usdt,
        pnl_pct_equity=pnl_pct_equity, closed_at=closed_at, fees_usdt=fees_usdt,
        adopted=bool(adopted),
    )
