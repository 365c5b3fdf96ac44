"""Positions the bot finds but did not record: adopt them, and pick a stop for them.

Adoption happens after a crash between entry and record, or when someone
traded by hand on the bot's account. Either way the position is ours to
protect now, and the operator must hear about it (POSITION_ADOPTED is a red flag).
"""

from __future__ import annotations

import logging
from decimal import Decimal

from bot.domain import EventKind, Position, client_ids
from bot.domain.errors import ExchangeError
from bot.protection.config import StopMode
from bot.protection.ports import TradeBook, TradeLike, TradeRecord, trades_for
from bot.protection.stops import Protector, stop_beyond

log = logging.getLogger(__name__)


def trade_for(book: TradeBook, symbol: str) -> TradeLike | None:
    """The newest open trade of the symbol: its key names the position's orders."""
    trades = trades_for(book, symbol)
    return max(trades, key=lambda t: t.opened_at) if trades else None


def adopt(protector: Protector, book: TradeBook, position: Position) -> TradeRecord:
    opened_at = position.updated_at or protector.now()
    key = client_ids.position_key(position.symbol, int(opened_at.timestamp() * 1000))
    record = TradeRecord(
        symbol=position.symbol, direction=position.direction, quantity=position.quantity,
        entry_price=position.entry_price, stop_price=None, position_key=key,
        opened_at=opened_at, adopted=True,
    )
    try:
        book.record_open(record)
    except Exception:  # protect it anyway; the next cycle adopts it again and retries
        log.exception("[ADOPT] could not record the %s position - protecting it anyway",
                      position.symbol)
    protector.event(EventKind.POSITION_ADOPTED, position.symbol,
                    f"adopted unknown {position.direction.value} {position.quantity} "
                    f"@ {position.entry_price}",
                    details={"quantity": position.quantity, "entry_price": position.entry_price,
                             "direction": position.direction, "position_key": key})
    log.warning("[ADOPT] Unknown %s position %s %s @ %s - adopting and protecting",
                position.symbol, position.direction.value, position.quantity,
                position.entry_price)
    return record


def fallback_stop(protector: Protector, position: Position) -> Decimal:
    """The settings' stop distance from the mark, for positions without a recorded stop."""
    cfg = protector.config
    filters = protector.exchange.filters(position.symbol)
    mark = position.mark_price
    if cfg.stop_mode is StopMode.ATR:
        atr = _atr(protector, position.symbol)
        if atr is not None and atr > 0:
            fraction = min(atr * cfg.stop_atr_mult / mark, Decimal("0.25"))
            return stop_beyond(position.direction, mark, fraction, filters)
    return stop_beyond(position.direction, mark, cfg.stop_pct, filters)


def _atr(protector: Protector, symbol: str) -> Decimal | None:
    cfg = protector.config
    try:
        bars = protector.exchange.klines(symbol, cfg.atr_interval, cfg.atr_period + 1)
    except ExchangeError:
        return None
    if len(bars) < 2:
        return None
    ranges = [
        max(b.high - b.low, abs(b.high - prev.close), abs(b.low - prev.close))
        for prev, b in zip(bars, bars[1:], strict=False)
    ]
    return sum(ranges, Decimal(0)) / len(ranges)
