"""Positions the bot finds but did not record: adopt them, and pick a stop for them.

Adoption happens after a crash between entry and record, or when someone
traded by hand on the bot's account. Either way the position is ours to
protect now, and the operator must hear about it (POSITION_ADOPTED is a red flag).
"""

from __future__ import annotations

import logging
from decimal import Decimal

from bot.domain import EventKind, Position, Trade, client_ids
from bot.domain.errors import ExchangeError
from bot.protection.ports import Exchange, TradeBook, trades_for
from bot.protection.recorder import EventRecorder
from bot.protection.stop_policy import StopPolicy, atr_of, round_stop

log = logging.getLogger(__name__)


def trade_for(book: TradeBook, symbol: str) -> Trade | None:
    """The newest open trade of the symbol: its key names the position's orders."""
    trades = trades_for(book, symbol)
    return max(trades, key=lambda t: t.opened_at) if trades else None


def adopt(recorder: EventRecorder, book: TradeBook, position: Position) -> Trade:
    opened_at = position.updated_at or recorder.now()
    key = client_ids.position_key(position.symbol, int(opened_at.timestamp() * 1000))
    record = Trade(
        symbol=position.symbol, direction=position.direction, quantity=position.quantity,
        entry_price=position.entry_price, stop_price=None, position_key=key,
        opened_at=opened_at, adopted=True,
    )
    try:
        book.record_open(record)
    except Exception:  # protect it anyway; the next cycle adopts it again and retries
        log.exception("[ADOPT] could not record the %s position - protecting it anyway",
                      position.symbol)
    recorder.record(EventKind.POSITION_ADOPTED, position.symbol,
                    f"adopted unknown {position.direction.value} {position.quantity} "
                    f"@ {position.entry_price}",
                    details={"quantity": position.quantity, "entry_price": position.entry_price,
                             "direction": position.direction, "position_key": key})
    log.warning("[ADOPT] Unknown %s position %s %s @ %s - adopting and protecting",
                position.symbol, position.direction.value, position.quantity,
                position.entry_price)
    return record


def fallback_stop(exchange: Exchange, policy: StopPolicy, position: Position) -> Decimal:
    """The policy's stop from the mark, for positions without a recorded stop."""
    filters = exchange.filters(position.symbol)
    atr = None
    if policy.mode == "atr":
        try:
            bars = exchange.klines(position.symbol, policy.atr_interval, policy.atr_period * 3)
        except ExchangeError:
            bars = []
        atr = atr_of(bars, policy.atr_period)
    return round_stop(position.direction,
                      policy.stop_for(position.direction, position.mark_price, atr), filters)
