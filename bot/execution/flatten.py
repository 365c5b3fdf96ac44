"""Flatten: close every position at market, then remove its stops once it is gone.

The order matters: a stop is cancelled only after a re-read shows its
position closed, so a close that fails or fills partly never leaves a naked
remainder. Positions still open after the re-reads keep their stops. The last
re-read, and the stops' read, happen under the symbol locks: an entry already
past the kill switch may have opened a new position, with its stop, meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal

from bot.domain import EventKind, Position, Purpose, client_ids
from bot.domain.errors import ExchangeError, ReduceOnlyRejectedError
from bot.locks import SymbolLocks
from bot.protection.moves import safe_cancel
from bot.protection.pnl import pct_of_equity, pnl_usdt
from bot.protection.ports import TradeBook, TradeLike, trades_for
from bot.protection.stops import Protector

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FlattenReport:
    closed: tuple[str, ...]
    still_open: tuple[str, ...]
    cancelled: int
    errors: tuple[str, ...]


def flatten(
    protector: Protector, book: TradeBook, locks: SymbolLocks, attempts: int = 20,
    pause: Callable[[], None] = lambda: None,
) -> FlattenReport:
    """``pause`` runs between position re-reads (inject a short wait in production)."""
    ex = protector.exchange
    errors: list[str] = []
    try:
        positions = ex.positions()
    except ExchangeError as exc:
        return FlattenReport((), (), 0, (f"positions read failed: {exc}",))
    closing: dict[str, Position] = {}
    fills: dict[str, Decimal] = {}
    flattened: dict[str, set[str]] = {}  # position keys of the trades our closes end
    for pos in positions:
        with locks.hold(pos.symbol):
            trades = trades_for(book, pos.symbol)
            flattened[pos.symbol] = {t.position_key for t in trades}
            key = _key_for(trades, pos, protector)
            cid = client_ids.make(Purpose.CLOSE, pos.symbol, key, 0)
            try:
                order = ex.market_order(pos.symbol, pos.direction.closing_side, pos.quantity,
                                        cid, reduce_only=True)
                if order.avg_price > 0:
                    fills[pos.symbol] = order.avg_price
                log.warning("[FLATTEN] Closing %s: %s %s at market", pos.symbol,
                            pos.direction.closing_side.value, pos.quantity)
            except ReduceOnlyRejectedError:
                pass  # nothing left to reduce: the re-read will confirm
            except ExchangeError as exc:
                errors.append(f"{pos.symbol}: close refused: {exc}")
                protector.event(EventKind.EXCHANGE_ERROR, pos.symbol,
                                f"flatten close refused: {exc.message}", code=exc.code)
            closing[pos.symbol] = pos
    gone = _wait_gone(protector, set(closing), attempts, pause)
    cancelled = 0
    reopened: set[str] = set()
    with ExitStack() as held:  # sorted order: no deadlock with one-lock holders
        for symbol in sorted(gone):
            held.enter_context(locks.hold(symbol))
        try:  # under the locks: an entry already past the kill switch can't slip in now
            live: set[str] | None = {p.symbol for p in ex.positions()}
        except ExchangeError as exc:
            errors.append(f"positions re-read failed: {exc}")
            live = None  # unknown: every stop stays
        for symbol in sorted(gone):
            pos, fill = closing[symbol], fills.get(symbol)
            if live is None or symbol in live:
                if live is not None:
                    reopened.add(symbol)
                    log.warning("[FLATTEN] %s open again after its close - its stops and "
                                "trade stay", symbol)
                _close_trades(protector, book, pos, fill, flattened[symbol])
                continue
            try:
                stops = ex.open_conditional_orders(symbol)
            except ExchangeError as exc:
                errors.append(f"{symbol}: conditional read failed: {exc}")
                stops = []
            for order in stops:
                if safe_cancel(protector, None, stops, order, "flatten"):
                    cancelled += 1
            _close_trades(protector, book, pos, fill)
    still = tuple(sorted(set(closing) - gone | reopened))
    for symbol in sorted(set(closing) - gone):
        log.error("[FLATTEN] %s still open after close - its stops stay", symbol)
    return FlattenReport(tuple(sorted(gone - reopened)), still, cancelled, tuple(errors))


def _wait_gone(protector: Protector, symbols: set[str], attempts: int,
               pause: Callable[[], None]) -> set[str]:
    gone: set[str] = set()
    for _ in range(max(1, attempts)):
        try:
            open_now = {p.symbol for p in protector.exchange.positions()}
        except ExchangeError:
            open_now = symbols - gone
        gone = symbols - open_now
        if gone == symbols:
            break
        pause()
    return gone


def _close_trades(protector: Protector, book: TradeBook, pos: Position,
                  fill_price: Decimal | None, keys: set[str] | None = None) -> None:
    """``keys``: only these trades (a position opened after the close keeps its own)."""
    trades = [t for t in trades_for(book, pos.symbol) if keys is None or t.position_key in keys]
    if not trades:
        return
    try:
        equity: Decimal | None = protector.exchange.account().equity
    except ExchangeError:
        equity = None
    for trade in trades:
        exit_price = fill_price or pos.mark_price  # the close's own average when known
        pnl = pnl_usdt(trade.direction, trade.entry_price, exit_price, trade.quantity)
        pct = pct_of_equity(pnl, equity)
        book.record_close(trade, exit_price, "flatten", pnl, pct, protector.now())
        protector.event(EventKind.POSITION_CLOSED, pos.symbol, f"flattened, PnL {pnl:.4f} USDT",
                        details={"reason": "flatten", "pnl_usdt": pnl, "pnl_pct_equity": pct,
                                 "exit_price": exit_price})


def _key_for(trades: list[TradeLike], pos: Position, protector: Protector) -> str:
    if trades:
        return trades[-1].position_key
    return client_ids.position_key(pos.symbol, int(protector.now().timestamp() * 1000))
