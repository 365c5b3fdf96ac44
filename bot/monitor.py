"""The position monitor: preserve protection, add only what is missing.

One cycle reads the whole account in two requests (algo book, positions; weight
45), whatever the number of positions: the ordinary book holds no stop, so it is
not read. For each position, under its
symbol lock: covered -> nothing is touched; uncovered -> re-read that symbol
(the executor may have just placed a stop) and protect it with the same
Protector the executor uses. Orphaned reduce-only orders are cancelled,
closed trades get their PnL. It never cancels a stop that covers a position:
every cancel goes through ``Protector.cancel_if_safe``'s coverage guard.

The algo book is read before the positions: a stop we see then belongs to a
position that already existed, so "stop without position" really means gone.

A TRIGGERING stop covers only for its grace, and the venue tells nothing when one stays
stuck: whichever check sees it asks, through the injected ``recheck`` port, for a targeted
check of its symbol when the grace ends, instead of leaving it to the next poll.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from bot.domain import (
    AlgoStatus,
    ConditionalOrder,
    EventKind,
    ExitReason,
    OrderType,
    Position,
    Trade,
)
from bot.domain.errors import ExchangeError
from bot.locks import SymbolLocks
from bot.protection.adoption import adopt, fallback_stop, trade_for
from bot.protection.closing import TradeCloser
from bot.protection.config import ProtectionConfig
from bot.protection.coverage import TriggerGrace, assess
from bot.protection.lost_stops import LostStops
from bot.protection.moves import drop_superseded, move_stop
from bot.protection.ports import Exchange, TradeBook, trades_for
from bot.protection.recorder import EventRecorder
from bot.protection.stop_policy import inside_liquidation
from bot.protection.stops import Protector, ProtectStatus
from bot.protection.trailing import ratchet_target

log = logging.getLogger(__name__)

_EXIT_BY_TYPE = {
    OrderType.TAKE_PROFIT: ExitReason.TAKE_PROFIT,
    OrderType.TAKE_PROFIT_MARKET: ExitReason.TAKE_PROFIT,
    OrderType.TRAILING_STOP_MARKET: ExitReason.TRAILING,
}


Seen = tuple[tuple[Position, ...], tuple[ConditionalOrder, ...], datetime | None]
Recheck = Callable[[str, datetime], None]
"""Check this symbol again once the bot's clock reaches this moment (the runtime keeps it)."""


def _no_recheck(symbol: str, at: datetime) -> None:
    """Without a runtime to keep it (a replay steps the poll itself), the poll is the net."""


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
    def __init__(self, exchange: Exchange, protector: Protector, recorder: EventRecorder,
                 closer: TradeCloser, book: TradeBook, locks: SymbolLocks,
                 config: ProtectionConfig, recheck: Recheck = _no_recheck) -> None:
        self._ex = exchange
        self._recheck = recheck
        self._triggering: dict[str, frozenset[int]] = {}  # symbol -> TRIGGERING algo ids seen
        self._p = protector
        self._rec = recorder
        self._closer = closer
        self._book = book
        self._locks = locks
        self._cfg = config
        self._lost = LostStops(exchange, recorder, protector.cancelled_by_us)
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
        now = self._rec.now()
        req0, weight0 = self._ex.thread_request_count, self._ex.used_weight
        counts = {"covered": 0, "protected": 0, "naked": 0, "orphans": 0, "closed": 0,
                  "adopted": 0}
        try:
            algo = self._ex.open_conditional_orders()
            positions = self._ex.positions()
        except ExchangeError as exc:
            self._rec.record(EventKind.EXCHANGE_ERROR, None, f"monitor read failed: {exc.message}",
                             code=exc.code)
            return self._report(now, 0, counts, req0, weight0, started, str(exc))
        by_symbol: dict[str, list[ConditionalOrder]] = {}
        for order in algo:
            by_symbol.setdefault(order.symbol, []).append(order)
        live = {p.symbol: p for p in positions}
        trades: dict[str, Trade] = {}  # one read of the book per cycle, newest per symbol
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
                    self._rec.record(EventKind.EXCHANGE_ERROR, pos.symbol,
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
        report = self._report(now, len(positions), counts, req0, weight0, started, "")
        return report

    def check_symbol(self, symbol: str) -> CycleReport:
        """A targeted cycle for one symbol, when the stream says something changed there.

        The same rules as the full cycle (and the same lock), in two requests: a stop
        cancelled, expired or rejected at the venue is repaired within a round trip of
        the event instead of at the next poll; a position that vanished is booked.
        """
        started = time.perf_counter()
        now = self._rec.now()
        req0, weight0 = self._ex.thread_request_count, self._ex.used_weight
        counts = {"covered": 0, "protected": 0, "naked": 0, "orphans": 0, "closed": 0,
                  "adopted": 0}
        try:
            book = self._ex.open_conditional_orders(symbol)
            pos = {p.symbol: p for p in self._ex.positions()}.get(symbol)
        except ExchangeError as exc:
            self._rec.record(EventKind.EXCHANGE_ERROR, symbol,
                             f"targeted check failed: {exc.message}", code=exc.code)
            return self._report(now, 0, counts, req0, weight0, started, str(exc), quiet=True)
        if pos is not None:
            with self._locks.hold(symbol):
                self._check(pos, book, trade_for(self._book, symbol), now, counts)
        else:
            orphans = [symbol] if book else []
            gone = [symbol] if trades_for(self._book, symbol) else []
            if orphans or gone:
                self._tidy(orphans, gone, {symbol: list(book)}, now, counts)
        self._merge_seen(symbol, pos, book, now)
        return self._report(now, int(pos is not None), counts, req0, weight0, started, "",
                            quiet=True)

    def _merge_seen(self, symbol: str, pos: Position | None,
                    book: Sequence[ConditionalOrder], now: datetime) -> None:
        """Update the dashboard's picture for one symbol, leaving the others as last read."""
        positions, algo, _ = self._seen
        self._seen = (
            (*(p for p in positions if p.symbol != symbol), *((pos,) if pos else ())),
            (*(o for o in algo if o.symbol != symbol), *book),
            now,
        )
        if pos is not None:
            self._last_pos[symbol] = pos
        else:
            self._last_pos.pop(symbol, None)

    # --- one position ----------------------------------------------------------------------
    def _check(self, pos: Position, book: list[ConditionalOrder], trade: Trade | None,
               now: datetime, counts: dict[str, int]) -> None:
        if trade is None:  # the snapshot may predate the executor's record: look again
            trade = trade_for(self._book, pos.symbol)
        if trade is None:
            trade = adopt(self._rec, self._book, pos)
            counts["adopted"] += 1
        grace = self._p.grace()
        self._recheck_when_stuck(pos.symbol, book, grace)
        report = assess(pos, book, grace=grace)
        if report.covered:
            self._on_covered(pos, book, report.covering, trade.position_key, now)
            counts["covered"] += 1
            return
        try:  # the snapshot may be stale: the executor held this lock until just now
            fresh = {p.symbol: p for p in self._ex.positions()}.get(pos.symbol)
            book = self._ex.open_conditional_orders(pos.symbol)
        except ExchangeError as exc:
            self._rec.record(EventKind.EXCHANGE_ERROR, pos.symbol, f"re-read failed: {exc.message}",
                             code=exc.code)
            counts["naked"] += 1
            self._grace(pos.symbol, now)
            return
        if fresh is None:
            return
        pos = fresh
        grace = self._p.grace()
        self._recheck_when_stuck(pos.symbol, book, grace)
        report = assess(pos, book, grace=grace)
        if report.covered:
            self._on_covered(pos, book, report.covering, trade.position_key, now)
            counts["covered"] += 1
            return
        self._naked_since.setdefault(pos.symbol, now)
        self._rec.record(EventKind.NAKED_DETECTED, pos.symbol,
                         f"{report.coverage.value}: {report.missing_qty} of {pos.quantity} "
                         "uncovered",
                         details={"coverage": report.coverage, "missing_qty": report.missing_qty,
                                  "partial": [o.client_algo_id for o in report.partial],
                                  "ineffective": [o.client_algo_id for o in report.ineffective]})
        log.warning("[SHIELD] %s is %s (%s of %s uncovered) - protecting now", pos.symbol,
                    report.coverage.value, report.missing_qty, pos.quantity)
        self._lost.explain(pos, self._last_book.get(pos.symbol, ()), book, report)
        recorded = trade.stop_price if trade.direction is pos.direction else None  # flipped
        stop = recorded if recorded is not None else fallback_stop(self._ex, self._cfg.stop, pos)
        stop = inside_liquidation(pos.direction, stop, pos.liquidation_price,
                                  self._cfg.liquidation_margin)
        outcome = self._p.protect_position(pos, stop, trade.position_key, book)
        if outcome.status is ProtectStatus.EMERGENCY_CLOSED:
            self._emergency[pos.symbol] = outcome.close_price
        if outcome.protected:
            counts["protected"] += 1
            self._naked_since.pop(pos.symbol, None)
            self._flagged.discard(pos.symbol)
            if outcome.stop is not None:
                drop_superseded(self._p, pos, [*book, outcome.stop],
                                (*report.partial, *report.ineffective))
            self._last_book[pos.symbol] = (*book, *(o for o in (outcome.stop,) if o))
            return
        if outcome.status is ProtectStatus.FAILED:
            counts["naked"] += 1
            self._grace(pos.symbol, now)

    def _recheck_when_stuck(self, symbol: str, book: Sequence[ConditionalOrder],
                            grace: TriggerGrace) -> None:
        ends = {o.algo_id: at for o in book
                if o.symbol == symbol and (at := grace.stuck_at(o)) is not None and at > grace.now}
        before, seen = self._triggering.pop(symbol, frozenset()), frozenset(ends)
        if seen:
            self._triggering[symbol] = seen
        if seen - before:  # said once per stop, not at every check within its grace
            log.info("[SHIELD] %s stop TRIGGERING (algo %s) - checking again when its %.0f s "
                     "grace ends", symbol, ", ".join(map(str, sorted(seen))), grace.seconds)
        for at in sorted(set(ends.values())):
            self._recheck(symbol, at)

    def _on_covered(self, pos: Position, book: list[ConditionalOrder],
                    covering: Sequence[ConditionalOrder], key: str, now: datetime) -> None:
        self._naked_since.pop(pos.symbol, None)
        self._flagged.discard(pos.symbol)
        self._last_book[pos.symbol] = tuple(book)
        last = self._kept_at.get(pos.symbol)
        every = timedelta(seconds=self._cfg.stop_kept_every_s)
        if last is not None and now - last < every:
            log.debug("[OK] SL already exists for %s - keeping existing protection", pos.symbol)
        else:  # said once, then at most every stop_kept_every_s: no flood every 10 s
            log.info("[OK] SL already exists for %s - keeping existing protection", pos.symbol)
            self._kept_at[pos.symbol] = now
            self._rec.record(EventKind.STOP_KEPT, pos.symbol, "covering stop found and kept",
                             details={"stops": [o.client_algo_id for o in covering]})
        distance = self._cfg.ratchet_distance
        if distance is None:
            return
        filters = self._ex.filters(pos.symbol)
        step = self._cfg.ratchet_min_step
        if ratchet_target(pos, covering, distance, step, filters) is None:
            return
        try:  # the snapshot predates our lock: an entry may have grown the position since
            fresh = {p.symbol: p for p in self._ex.positions()}.get(pos.symbol)
            book = self._ex.open_conditional_orders(pos.symbol)
        except ExchangeError:
            return  # the ratchet can wait a cycle
        if fresh is None:
            return
        report = assess(fresh, book, grace=self._p.grace())
        target = ratchet_target(fresh, report.covering, distance, step, filters) if (
            report.covered) else None
        if target is not None:
            move_stop(self._p, fresh, book, target[1], target[0], key)

    def _grace(self, symbol: str, now: datetime) -> None:
        since = self._naked_since.setdefault(symbol, now)
        if symbol in self._flagged:
            return
        if (now - since).total_seconds() >= self._cfg.naked_grace_s:
            self._flagged.add(symbol)
            self._rec.record(EventKind.NAKED_PAST_GRACE, symbol,
                             f"no covering stop for {(now - since).total_seconds():.0f} s",
                             details={"since": since})
            log.critical("[SHIELD] %s NAKED past grace (%s s)", symbol,
                         self._cfg.naked_grace_s)

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
                self._rec.record(EventKind.EXCHANGE_ERROR, None, f"re-read failed: {exc.message}",
                                 code=exc.code)
                return
            for symbol in orphan_symbols:
                if symbol in live:
                    continue
                for order in by_symbol[symbol]:
                    if order.reduce_only and not order.close_position and self._p.cancel_if_safe(
                        None, by_symbol[symbol], order, "orphan"
                    ):
                        counts["orphans"] += 1
            for symbol in gone:
                if symbol in live:
                    continue
                trades = trades_for(self._book, symbol)
                reason, price = self._why_closed(symbol)
                counts["closed"] += len(self._closer.close(symbol, trades, reason, price))
                self._naked_since.pop(symbol, None)
                self._last_book.pop(symbol, None)
                self._triggering.pop(symbol, None)

    def _why_closed(self, symbol: str) -> tuple[ExitReason | None, Decimal | None]:
        """What the bot knows of a close: its own emergency close, or a stop or target of the
        position's last book that triggered (with its price, should the fills be unreadable).
        None lets the closer ask the closing order itself."""
        if symbol in self._emergency:
            return ExitReason.EMERGENCY, self._emergency.pop(symbol)
        for order in self._last_book.get(symbol, ()):
            try:
                now = self._ex.get_conditional(symbol, order.client_algo_id)
            except ExchangeError:
                continue
            if now is None or now.status not in (AlgoStatus.TRIGGERED, AlgoStatus.FINISHED):
                continue
            return _EXIT_BY_TYPE.get(order.type, ExitReason.STOP), now.trigger_price
        last = self._last_pos.get(symbol)
        return None, last.mark_price if last is not None else None

    def _report(self, now: datetime, n: int, counts: dict[str, int], req0: int, weight0: int,
                started: float, error: str, quiet: bool = False) -> CycleReport:
        ms = (time.perf_counter() - started) * 1000
        report = CycleReport(
            at=now, positions=n, covered=counts["covered"], protected=counts["protected"],
            naked=counts["naked"], orphans_cancelled=counts["orphans"], closed=counts["closed"],
            adopted=counts["adopted"], requests=self._ex.thread_request_count - req0,
            weight=self._ex.used_weight, ms=ms, error=error,
        )
        if quiet:  # a targeted check is not a cycle: the cycle metrics stay the poll's
            return report
        self._rec.record(EventKind.MONITOR_CYCLE, None,
                         f"{n} positions, {report.covered} covered, {report.requests} requests, "
                         f"{ms:.1f} ms",
                         details={"positions": n, "covered": report.covered,
                                  "protected": report.protected, "naked": report.naked,
                                  "orphans_cancelled": report.orphans_cancelled,
                                  "closed": report.closed, "adopted": report.adopted,
                                  "requests": report.requests, "used_weight": report.weight,
                                  "ms": round(ms, 3), "error": error})
        return report
