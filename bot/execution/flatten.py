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

from bot.domain import EventKind, ExitReason, Position, Purpose, Trade, client_ids
from bot.domain.errors import ExchangeError
from bot.locks import SymbolLocks
from bot.protection.closing import TradeCloser
from bot.protection.market_close import close_at_market
from bot.protection.ports import Exchange, TradeBook, trades_for
from bot.protection.recorder import EventRecorder
from bot.protection.stops import Protector

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FlattenReport:
    closed: tuple[str, ...]
    still_open: tuple[str, ...]
    cancelled: int
    errors: tuple[str, ...]


class Flattener:
    def __init__(self, exchange: Exchange, protector: Protector, recorder: EventRecorder,
                 closer: TradeCloser, book: TradeBook, locks: SymbolLocks) -> None:
        self._ex = exchange
        self._p = protector
        self._rec = recorder
        self._closer = closer
        self._book = book
        self._locks = locks

    def flatten(self, attempts: int = 20,
                pause: Callable[[], None] = lambda: None) -> FlattenReport:
        """``pause`` runs between position re-reads (inject a short wait in production)."""
        errors: list[str] = []
        try:
            positions = self._ex.positions()
        except ExchangeError as exc:
            return FlattenReport((), (), 0, (f"positions read failed: {exc}",))
        closing: dict[str, Position] = {}
        flattened: dict[str, set[str]] = {}  # position keys of the trades our closes end
        for pos in positions:
            with self._locks.hold(pos.symbol):
                trades = trades_for(self._book, pos.symbol)
                flattened[pos.symbol] = {t.position_key for t in trades}
                error = self._close(pos, trades)
                if error:
                    errors.append(error)
                closing[pos.symbol] = pos
        gone = self._wait_gone(set(closing), attempts, pause)
        cancelled, reopened = self._tidy(gone, closing, flattened, errors)
        still = tuple(sorted(set(closing) - gone | reopened))
        for symbol in sorted(set(closing) - gone):
            log.error("[FLATTEN] %s still open after close - its stops stay", symbol)
        return FlattenReport(tuple(sorted(gone - reopened)), still, cancelled, tuple(errors))

    def _close(self, pos: Position, trades: list[Trade]) -> str:
        key = trades[-1].position_key if trades else client_ids.position_key(
            pos.symbol, int(self._rec.now().timestamp() * 1000))
        result = close_at_market(self._ex, pos.symbol, pos.direction, pos.quantity,
                                 Purpose.CLOSE, key)
        if result.error is not None:
            exc = result.error
            self._rec.record(EventKind.EXCHANGE_ERROR, pos.symbol,
                             f"flatten close refused: {exc.message}", code=exc.code)
            return f"{pos.symbol}: close refused: {exc}"
        if result.pieces:  # none: nothing left to reduce, the re-read will confirm
            log.warning("[FLATTEN] Closing %s: %s %s at market", pos.symbol,
                        pos.direction.closing_side.value, result.executed_qty)
        return ""

    def _tidy(self, gone: set[str], closing: dict[str, Position],
              flattened: dict[str, set[str]], errors: list[str]) -> tuple[int, set[str]]:
        cancelled = 0
        reopened: set[str] = set()
        with ExitStack() as held:  # sorted order: no deadlock with one-lock holders
            for symbol in sorted(gone):
                held.enter_context(self._locks.hold(symbol))
            try:  # under the locks: an entry already past the kill switch can't slip in now
                live: set[str] | None = {p.symbol for p in self._ex.positions()}
            except ExchangeError as exc:
                errors.append(f"positions re-read failed: {exc}")
                live = None  # unknown: every stop stays
            for symbol in sorted(gone):
                mark = closing[symbol].mark_price
                if live is None or symbol in live:
                    if live is not None:
                        reopened.add(symbol)
                        log.warning("[FLATTEN] %s open again after its close - its stops and "
                                    "trade stay", symbol)
                    self._book_closes(symbol, mark, flattened[symbol])
                    continue
                try:
                    stops = self._ex.open_conditional_orders(symbol)
                except ExchangeError as exc:
                    errors.append(f"{symbol}: conditional read failed: {exc}")
                    stops = []
                for order in stops:
                    if self._p.cancel_if_safe(None, stops, order, "flatten"):
                        cancelled += 1
                self._book_closes(symbol, mark)
        return cancelled, reopened

    def _wait_gone(self, symbols: set[str], attempts: int,
                   pause: Callable[[], None]) -> set[str]:
        gone: set[str] = set()
        for _ in range(max(1, attempts)):
            try:
                open_now = {p.symbol for p in self._ex.positions()}
            except ExchangeError:
                open_now = symbols - gone
            gone = symbols - open_now
            if gone == symbols:
                break
            pause()
        return gone

    def _book_closes(self, symbol: str, mark: Decimal, keys: set[str] | None = None) -> None:
        """``keys``: only these trades (a position opened after the close keeps its own)."""
        trades = [t for t in trades_for(self._book, symbol)
                  if keys is None or t.position_key in keys]
        self._closer.close(symbol, trades, ExitReason.FLATTEN, fallback_price=mark)
