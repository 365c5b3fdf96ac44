"""The position monitor: preserve protection, add only what is missing.

One cycle reads the whole account in three requests (algo book, positions,
ordinary book) whatever the number of positions. For each position, under its
symbol lock: covered -> nothing is touched; uncovered -> re-read that symbol
(the executor may have just placed a stop) and protect it with the same
Protector the executor uses. Orphaned reduce-only orders are cancelled,
closed trades get their PnL. It never cancels a stop that covers a position:
every cancel goes through ``safe_cancel``'s coverage guard.

The algo book is read before the positions: a stop we see then belongs to a
position that already existed, so "stop without position" really means gone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from bot.domain import AlgoStatus, ConditionalOrder, EventKind, OrderType, Position
from bot.domain.errors import ExchangeError
from bot.locks import SymbolLocks
from bot.protection.adoption import adopt, fallback_stop, trade_for
from bot.protection.coverage import assess
from bot.protection.moves import move_stop, safe_cancel
from bot.protection.pnl import loss_over_limit, pct_of_equity, pnl_usdt
from bot.protection.ports import TradeBook, TradeLike, trades_for
from bot.protection.stops import Protector, ProtectStatus
from bot.protection.trailing import ratchet_target

log = logging.getLogger(__name__)


Seen = tuple[tuple[Position, ...], tuple[ConditionalOrder, ...], datetime | None]


@dataclass(frozen=True)
class CycleReport:
    at: datetime
    positions: int
    covered: int
    protected: int  # positions this cycle had to protect
    naked: int  # positions still uncovered at the end of the cycle
    orphans_cancelled: int
    closed: int
    adopted: int
    requests: int
    weight: int
    ms: float
    error: str = ""


class PositionMonitor:
    def __init__(self, protector: Protector, book: TradeBook, locks: SymbolLocks) -> None:
        self._p = protector
        self._ex = protector.exchange
        self._book = book
        self._locks = locks
        self._naked_since: dict[str, datetime] = {}
        self._flagged: set[str] = set()
        self._kept_at: dict[str, datetime] = {}
        self._last_pos: dict[str, Position] = {}
        self._last_book: dict[str, tuple[ConditionalOrder, ...]] = {}
        self._emergency: dict[str, Decimal | None] = {}  # symbol -> close price
        self._seen: Seen = ((), (), None)  # until a cycle's reads succeed

    def last_seen(self) -> Seen:
        """Positions and algo book as the last complete cycle read them (for the dashboard)."""
        return self._seen

    def run_cycle(self) -> CycleReport:
        started = time.perf_counter()
        now = self._p.now()
        req0, weight0 = self._ex.thread_request_count, self._ex.used_weight
        counts = {"covered": 0, "protected": 0, "naked": 0, "orphans": 0, "closed": 0,
                  "adopted": 0}
        try:
            algo = self._ex.open_conditional_orders()
            positions = self._ex.positions()
            ordinary = self._ex.open_orders()
        except ExchangeError as exc:
            self._p.event(EventKind.EXCHANGE_ERROR, None, f"monitor read failed: {exc.message}",
                          code=exc.code)
            return self._report(now, 0, counts, req0, weight0, started, str(exc))
        by_symbol: dict[str, list[ConditionalOrder]] = {}
        for order in algo:
            by_symbol.setdefault(order.symbol, []).append(order)
        live = {p.symbol: p for p in positions}
        trades: dict[str, TradeLike] = {}  # one read of the book per cycle, newest per symbol
        for trade in self._book.open_trades():
            known = trades.get(trade.symbol)
            if known is None or trade.opened_at >= known.opened_at:
                trades[trade.symbol] = trade
        for pos in positions:
            with self._locks.hold(pos.symbol):
                try:
                    self._check(pos, by_symbol.get(pos.symbol, []), trades.get(pos.symbol), now,
                                counts)
                except ExchangeError as exc:  # one symbol's trouble must not skip the others
                    counts["naked"] += 1
                    self._p.event(EventKind.EXCHANGE_ERROR, pos.symbol,
                                  f"monitor could not check: {exc.message}", code=exc.code)
                except Exception:  # nor may a bug or a failing store: the next symbol goes on
                    counts["naked"] += 1
                    log.exception("[SHIELD] Check of %s failed - going on with the others",
                                  pos.symbol)
        orphan_symbols = sorted(s for s in by_symbol if s not in live)
        gone = sorted(set(trades) - set(live))
        if orphan_symbols or gone:
            self._tidy(orphan_symbols, gone, by_symbol, now, counts)
        self._last_pos = live
        self._seen = (tuple(positions), tuple(algo), now)
        report = self._report(now, len(positions), counts, req0, weight0, started, "",
                              ordinary=len(ordinary))
        return report

    # --- one position ----------------------------------------------------------------------
    def _check(self, pos: Position, book: list[ConditionalOrder], trade: TradeLike | None,
               now: datetime, counts: dict[str, int]) -> None:
        if trade is None:  # the snapshot may predate the executor's record: look again
            trade = trade_for(self._book, pos.symbol)
        if trade is None:
            trade = adopt(self._p, self._book, pos)
            counts["adopted"] += 1
        report = assess(pos, book)
        if report.covered:
            self._on_covered(pos, book, report.covering, trade.position_key, now)
            counts["covered"] += 1
            return
        try:  # the snapshot may be stale: the executor held this lock until just now
            fresh = {p.symbol: p for p in self._ex.positions()}.get(pos.symbol)
            book = self._ex.open_conditional_orders(pos.symbol)
        except ExchangeError as exc:
            self._p.event(EventKind.EXCHANGE_ERROR, pos.symbol, f"re-read failed: {exc.message}",
                          code=exc.code)
            counts["naked"] += 1
            self._grace(pos.symbol, now)
            return
        if fresh is None:
            return
        pos = fresh
        report = assess(pos, book)
        if report.covered:
            self._on_covered(pos, book, report.covering, trade.position_key, now)
            counts["covered"] += 1
            return
        self._naked_since.setdefault(pos.symbol, now)
        self._p.event(EventKind.NAKED_DETECTED, pos.symbol,
                      f"{report.coverage.value}: {report.missing_qty} of {pos.quantity} uncovered",
                      details={"coverage": report.coverage, "missing_qty": report.missing_qty,
                               "partial": [o.client_algo_id for o in report.partial],
                               "ineffective": [o.client_algo_id for o in report.ineffective]})
        log.warning("[SHIELD] %s is %s (%s of %s uncovered) - protecting now", pos.symbol,
                    report.coverage.value, report.missing_qty, pos.quantity)
        recorded = trade.stop_price if trade.direction is pos.direction else None  # flipped
        stop = recorded if recorded is not None else fallback_stop(self._p, pos)
        outcome = self._p.protect_position(pos, stop, trade.position_key, book)
        if outcome.status is ProtectStatus.EMERGENCY_CLOSED:
            self._emergency[pos.symbol] = outcome.close_price
        if outcome.protected:
            counts["protected"] += 1
            self._naked_since.pop(pos.symbol, None)
            self._flagged.discard(pos.symbol)
            if outcome.stop is not None:
                self._replace_stale(pos, [*book, outcome.stop], report.partial,
                                    report.ineffective)
            self._last_book[pos.symbol] = (*book, *(o for o in (outcome.stop,) if o))
            return
        if outcome.status is ProtectStatus.FAILED:
            counts["naked"] += 1
            self._grace(pos.symbol, now)

    def _on_covered(self, pos: Position, book: list[ConditionalOrder],
                    covering: Sequence[ConditionalOrder], key: str, now: datetime) -> None:
        self._naked_since.pop(pos.symbol, None)
        self._flagged.discard(pos.symbol)
        self._last_book[pos.symbol] = tuple(book)
        last = self._kept_at.get(pos.symbol)
        every = timedelta(seconds=self._p.config.stop_kept_every_s)
        if last is not None and now - last < every:
            log.debug("[OK] SL already exists for %s - keeping existing protection", pos.symbol)
        else:  # said once, then at most every stop_kept_every_s: no flood every 10 s
            log.info("[OK] SL already exists for %s - keeping existing protection", pos.symbol)
            self._kept_at[pos.symbol] = now
            self._p.event(EventKind.STOP_KEPT, pos.symbol, "covering stop found and kept",
                          details={"stops": [o.client_algo_id for o in covering]})
        distance = self._p.config.ratchet_distance
        if distance is None:
            return
        filters = self._ex.filters(pos.symbol)
        step = self._p.config.ratchet_min_step
        if ratchet_target(pos, covering, distance, step, filters) is None:
            return
        try:  # the snapshot predates our lock: an entry may have grown the position since
            fresh = {p.symbol: p for p in self._ex.positions()}.get(pos.symbol)
            book = self._ex.open_conditional_orders(pos.symbol)
        except ExchangeError:
            return  # the ratchet can wait a cycle
        if fresh is None:
            return
        report = assess(fresh, book)
        target = ratchet_target(fresh, report.covering, distance, step, filters) if (
            report.covered) else None
        if target is not None:
            move_stop(self._p, fresh, book, target[1], target[0], key)

    def _replace_stale(self, pos: Position, book: list[ConditionalOrder],
                       partial: Sequence[ConditionalOrder],
                       ineffective: Sequence[ConditionalOrder]) -> None:
        """Once the new stop is acknowledged, drop the ones that did not protect."""
        current = list(book)
        for old in (*partial, *ineffective):
            if not (old.reduce_only or old.close_position):
                continue  # not a protective order of ours: leave it alone
            if safe_cancel(self._p, pos, current, old, "replaced"):
                current = [o for o in current if o.algo_id != old.algo_id]

    def _grace(self, symbol: str, now: datetime) -> None:
        since = self._naked_since.setdefault(symbol, now)
        if symbol in self._flagged:
            return
        if (now - since).total_seconds() >= self._p.config.naked_grace_s:
            self._flagged.add(symbol)
            self._p.event(EventKind.NAKED_PAST_GRACE, symbol,
                          f"no covering stop for {(now - since).total_seconds():.0f} s",
                          details={"since": since})
            log.critical("[SHIELD] %s NAKED past grace (%s s)", symbol,
                         self._p.config.naked_grace_s)

    # --- orphans and closed positions -------------------------------------------------------
    def _tidy(self, orphan_symbols: list[str], gone: list[str],
              by_symbol: dict[str, list[ConditionalOrder]], now: datetime,
              counts: dict[str, int]) -> None:
        symbols = sorted(set(orphan_symbols) | set(gone))
        with ExitStack() as stack:  # sorted order: no deadlock with one-lock holders
            for symbol in symbols:
                stack.enter_context(self._locks.hold(symbol))
            try:  # read under the locks: nobody can open or protect these symbols meanwhile
                live = {p.symbol: p for p in self._ex.positions()}
            except ExchangeError as exc:
                self._p.event(EventKind.EXCHANGE_ERROR, None, f"re-read failed: {exc.message}",
                              code=exc.code)
                return
            for symbol in orphan_symbols:
                if symbol in live:
                    continue
                for order in by_symbol[symbol]:
                    if order.reduce_only and not order.close_position and safe_cancel(
                        self._p, None, by_symbol[symbol], order, "orphan"
                    ):
                        counts["orphans"] += 1
            equity: list[Decimal | None] = []
            for symbol in gone:
                if symbol in live:
                    continue
                for trade in trades_for(self._book, symbol):
                    self._closed(trade, equity)
                    counts["closed"] += 1
                self._naked_since.pop(symbol, None)
                self._last_book.pop(symbol, None)

    def _closed(self, trade: TradeLike, equity_cache: list[Decimal | None]) -> None:
        symbol = trade.symbol
        reason, exit_price = self._why_closed(symbol)
        if exit_price is None:
            last = self._last_pos.get(symbol)
            exit_price = last.mark_price if last is not None else self._safe_mark(symbol)
        if exit_price is None:
            exit_price = trade.entry_price
        if not equity_cache:
            try:
                equity_cache.append(self._ex.account().equity)
            except ExchangeError:
                equity_cache.append(None)
        pnl = pnl_usdt(trade.direction, trade.entry_price, exit_price, trade.quantity)
        pct = pct_of_equity(pnl, equity_cache[0])
        self._book.record_close(trade, exit_price, reason, pnl, pct, self._p.now())
        self._p.event(EventKind.POSITION_CLOSED, symbol,
                      f"closed ({reason}) @ {exit_price}, PnL {pnl:.4f} USDT",
                      details={"reason": reason, "pnl_usdt": pnl, "pnl_pct_equity": pct,
                               "exit_price": exit_price, "entry_price": trade.entry_price,
                               "quantity": trade.quantity})
        log.info("[CLOSED] %s %s @ %s PnL %s USDT (%s%% of equity)", symbol, reason, exit_price,
                 pnl, pct)
        if loss_over_limit(pct, self._p.config.loss_flag_pct):
            self._p.event(EventKind.LOSS_OVER_LIMIT, symbol,
                          f"loss {pct}% of equity over {self._p.config.loss_flag_pct}%",
                          details={"pnl_usdt": pnl, "pnl_pct_equity": pct})

    def _why_closed(self, symbol: str) -> tuple[str, Decimal | None]:
        if symbol in self._emergency:
            return "emergency", self._emergency.pop(symbol)
        for order in self._last_book.get(symbol, ()):
            try:
                now = self._ex.get_conditional(symbol, order.client_algo_id)
            except ExchangeError:
                continue
            if now is None or now.status not in (AlgoStatus.TRIGGERED, AlgoStatus.FINISHED):
                continue
            kind = "take_profit" if order.type in (
                OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_MARKET) else "stop"
            return kind, now.trigger_price
        return "unknown", None

    def _safe_mark(self, symbol: str) -> Decimal | None:
        try:
            return self._ex.mark_price(symbol)
        except ExchangeError:
            return None

    def _report(self, now: datetime, n: int, counts: dict[str, int], req0: int, weight0: int,
                started: float, error: str, ordinary: int = 0) -> CycleReport:
        ms = (time.perf_counter() - started) * 1000
        report = CycleReport(
            at=now, positions=n, covered=counts["covered"], protected=counts["protected"],
            naked=counts["naked"], orphans_cancelled=counts["orphans"], closed=counts["closed"],
            adopted=counts["adopted"], requests=self._ex.thread_request_count - req0,
            weight=self._ex.used_weight, ms=ms, error=error,
        )
        self._p.event(EventKind.MONITOR_CYCLE, None,
                      f"{n} positions, {report.covered} covered, {report.requests} requests, "
                      f"{ms:.1f} ms",
                      details={"positions": n, "covered": report.covered,
                               "protected": report.protected, "naked": report.naked,
                               "orphans_cancelled": report.orphans_cancelled,
                               "closed": report.closed, "adopted": report.adopted,
                               "requests": report.requests, "used_weight": report.weight,
                               "open_orders": ordinary, "ms": round(ms, 3), "error": error})
        return report
