"""The one stop placer: immediate stop, the would-trigger ladder, emergency close.

Used by the executor right after an entry fills and by the monitor and
reconciliation for any uncovered position. The first request of
``protect_fill`` is the stop itself: nothing (no log line, no database write)
happens between the entry's response and it. Events are collected while the
ladder runs and handed to the sink only after the position is safe.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from bot.domain import (
    ConditionalOrder,
    Direction,
    Event,
    EventKind,
    Position,
    Purpose,
    SymbolFilters,
    client_ids,
)
from bot.domain.errors import (
    ClosePositionExistsError,
    DuplicateClientIdError,
    ExchangeError,
    ReduceOnlyRejectedError,
    WouldTriggerError,
)
from bot.protection.config import ProtectionConfig
from bot.protection.coverage import assess
from bot.protection.ports import EventSink, Exchange

log = logging.getLogger(__name__)



class ProtectStatus(StrEnum):
    PLACED = "placed"
    ALREADY_COVERED = "already_covered"
    EMERGENCY_CLOSED = "emergency_closed"
    FAILED = "failed"  # neither a stop nor a close went through: the caller must alarm


@dataclass(frozen=True)
class ProtectOutcome:
    symbol: str
    status: ProtectStatus
    stop: ConditionalOrder | None = None
    trigger_price: Decimal | None = None
    rejections: int = 0
    latency_ms: float | None = None
    events: tuple[Event, ...] = field(default_factory=tuple)
    close_price: Decimal | None = None  # the emergency close's average fill

    @property
    def protected(self) -> bool:
        return self.status in (ProtectStatus.PLACED, ProtectStatus.ALREADY_COVERED)


class _Deferred(list[Event]):
    """Events the caller records itself (the executor logs the entry first)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def stop_beyond(
    direction: Direction, mark: Decimal, fraction: Decimal, f: SymbolFilters,
) -> Decimal:
    """A trigger ``fraction`` of the mark on the losing side, rounded away from the mark."""
    if direction is Direction.LONG:
        return f.round_price(mark * (1 - fraction), "down")
    return f.round_price(mark * (1 + fraction), "up")


def round_stop(direction: Direction, price: Decimal, f: SymbolFilters) -> Decimal:
    """Snap a stop to tick, away from the position (never a tighter stop than asked)."""
    return f.round_price(price, "down" if direction is Direction.LONG else "up")


class Protector:
    """Places the stop for a position, whatever it takes, and says what happened."""

    def __init__(
        self, exchange: Exchange, events: EventSink, config: ProtectionConfig,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._ex = exchange
        self._events = events
        self._cfg = config
        self._now = now
        self._seq: dict[str, int] = {}
        self._seq_guard = threading.Lock()

    @property
    def exchange(self) -> Exchange:
        return self._ex

    @property
    def config(self) -> ProtectionConfig:
        return self._cfg

    def now(self) -> datetime:
        return self._now()

    # --- ids -------------------------------------------------------------------------------
    def next_stop_id(self, symbol: str, key: str, seen: Sequence[ConditionalOrder] = (),
                     taken: Sequence[str] = ()) -> str:
        """A fresh deterministic id for this position: above every id seen or known taken."""
        with self._seq_guard:
            seq = self._seq.get(key, 0)
            for cid in (*(o.client_algo_id for o in seen), *taken):
                parsed = client_ids.parse(cid)
                if parsed and parsed.key == key and parsed.purpose is Purpose.STOP:
                    seq = max(seq, parsed.seq + 1)
            self._seq[key] = seq + 1
        return client_ids.make(Purpose.STOP, symbol, key, seq)

    # --- entry path ----------------------------------------------------------------------
    def protect_fill(
        self, symbol: str, direction: Direction, quantity: Decimal, stop_price: Decimal,
        client_algo_id: str, filters: SymbolFilters, key: str, entry_done_at: float,
        reduce_only_qty: Decimal | None = None,
    ) -> ProtectOutcome:
        """The immediate stop. Its first statement is the request: keep it that way.

        Events are not recorded here but returned, so the caller can log the
        entry before them; it must pass ``outcome.events`` to ``record``.
        """
        try:
            order = self._ex.place_stop(
                symbol, direction.closing_side, stop_price, client_algo_id,
                quantity=reduce_only_qty, working_type=self._cfg.working_type,
            )
        except ExchangeError as exc:
            pending: list[Event] = _Deferred()
            return self._after_failure(
                exc, symbol, direction, quantity, stop_price, filters, key, reduce_only_qty,
                pending, entry_done_at, client_algo_id,
            )
        latency = (time.perf_counter() - entry_done_at) * 1000
        return self._placed(order, direction, 0, latency, _Deferred(), immediate=True)

    # --- monitor / reconcile path ----------------------------------------------------------
    def protect_position(
        self, position: Position, stop_price: Decimal, key: str,
        open_conditionals: Sequence[ConditionalOrder],
    ) -> ProtectOutcome:
        """Cover an existing position: closePosition unless one already exists."""
        filters = self._ex.filters(position.symbol)
        report = assess(position, open_conditionals)
        if report.covered:
            return ProtectOutcome(position.symbol, ProtectStatus.ALREADY_COVERED)
        qty = position.quantity if report.close_position_stop(position.direction) else None
        stop_price = round_stop(position.direction, stop_price, filters)
        cid = self.next_stop_id(position.symbol, key, open_conditionals)
        log.warning(
            "[SHIELD] Placing SL for %s: %s @ %s (%s)", position.symbol,
            position.direction.closing_side.value, stop_price,
            "closePosition" if qty is None else f"reduceOnly {qty}",
        )
        started = time.perf_counter()
        pending: list[Event] = []
        try:
            order = self._ex.place_stop(
                position.symbol, position.direction.closing_side, stop_price, cid,
                quantity=qty, working_type=self._cfg.working_type,
            )
        except ExchangeError as exc:
            return self._after_failure(
                exc, position.symbol, position.direction, position.quantity, stop_price,
                filters, key, qty, pending, started, cid,
            )
        latency = (time.perf_counter() - started) * 1000
        return self._placed(order, position.direction, 0, latency, pending, immediate=False)

    # --- the ladder --------------------------------------------------------------------------
    def _after_failure(
        self, exc: ExchangeError, symbol: str, direction: Direction, quantity: Decimal,
        stop_price: Decimal, filters: SymbolFilters, key: str, qty: Decimal | None,
        pending: list[Event], started: float, cid: str,
    ) -> ProtectOutcome:
        if isinstance(exc, ClosePositionExistsError):
            return self._on_close_position_exists(
                exc, symbol, direction, quantity, stop_price, filters, key, pending, started,
            )
        if isinstance(exc, WouldTriggerError):
            return self._ladder(exc, symbol, direction, quantity, filters, key, qty, pending,
                                started)
        # anything else: maybe it went through (duplicate id, lost answer); ask by client id
        existing = self._lookup(symbol, cid, direction)
        if existing is not None:
            latency = (time.perf_counter() - started) * 1000
            return self._placed(existing, direction, 0, latency, pending, immediate=False)
        if isinstance(exc, DuplicateClientIdError):  # the id is taken by another live order
            fresh = self.next_stop_id(symbol, key, taken=(cid,))
            try:
                order = self._ex.place_stop(symbol, direction.closing_side, stop_price, fresh,
                                            quantity=qty, working_type=self._cfg.working_type)
            except ExchangeError as again:
                if isinstance(again, WouldTriggerError | ClosePositionExistsError):
                    return self._after_failure(again, symbol, direction, quantity, stop_price,
                                               filters, key, qty, pending, started, fresh)
                exc = again
            else:
                latency = (time.perf_counter() - started) * 1000
                return self._placed(order, direction, 0, latency, pending, immediate=False)
        pending.append(self._event(
            EventKind.STOP_REJECTED, symbol, exc.code, f"stop refused: {exc.message}",
            {"trigger": stop_price},
        ))
        log.error("[SHIELD] SL for %s refused (%s) - closing at market", symbol, exc)
        return self._emergency_close(symbol, direction, quantity, key, pending, 1)

    def _on_close_position_exists(
        self, exc: ExchangeError, symbol: str, direction: Direction, quantity: Decimal,
        stop_price: Decimal, filters: SymbolFilters, key: str, pending: list[Event], started: float,
    ) -> ProtectOutcome:
        """A closePosition stop exists already. Re-read; if it covers, done; else reduce-only."""
        try:
            book = self._ex.open_conditional_orders(symbol)
            mark = self._ex.mark_price(symbol)
        except ExchangeError as read_exc:
            pending.append(self._event(EventKind.EXCHANGE_ERROR, symbol, read_exc.code,
                                       f"re-read of the stops failed: {read_exc.message}"))
            return self._emergency_close(symbol, direction, quantity, key, pending, 0)
        probe = Position(symbol, direction, quantity, Decimal(0), mark, Decimal(0), 1)
        report = assess(probe, book)
        if report.covered:
            self._flush(pending)
            log.info("[OK] SL already exists for %s - keeping existing protection", symbol)
            return ProtectOutcome(symbol, ProtectStatus.ALREADY_COVERED, stop=report.covering[0],
                                  events=tuple(pending))
        cid = self.next_stop_id(symbol, key, book)
        try:
            order = self._ex.place_stop(symbol, direction.closing_side, stop_price, cid,
                                        quantity=quantity, working_type=self._cfg.working_type)
        except ExchangeError as again:
            if isinstance(again, WouldTriggerError):
                return self._ladder(again, symbol, direction, quantity, filters, key, quantity,
                                    pending, started)
            if isinstance(again, ClosePositionExistsError):  # not for reduce-only: give up
                pending.append(self._event(EventKind.STOP_REJECTED, symbol, again.code,
                                           f"reduce-only stop refused: {again.message}"))
                return self._emergency_close(symbol, direction, quantity, key, pending, 1)
            return self._after_failure(again, symbol, direction, quantity, stop_price, filters,
                                       key, quantity, pending, started, cid)
        latency = (time.perf_counter() - started) * 1000
        return self._placed(order, direction, 0, latency, pending, immediate=False)

    def _ladder(
        self, first: ExchangeError, symbol: str, direction: Direction, quantity: Decimal,
        filters: SymbolFilters, key: str, qty: Decimal | None, pending: list[Event], started: float,
    ) -> ProtectOutcome:
        rejections = 1
        pending.append(self._event(EventKind.STOP_REJECTED, symbol, first.code,
                                   f"stop would trigger immediately: {first.message}"))
        for rung, buffer in enumerate(self._cfg.retry_buffers, start=1):
            try:
                mark = self._ex.mark_price(symbol)
            except ExchangeError as exc:
                pending.append(self._event(EventKind.EXCHANGE_ERROR, symbol, exc.code,
                                           f"mark price read failed: {exc.message}"))
                continue
            trigger = stop_beyond(direction, mark, buffer, filters)
            cid = self.next_stop_id(symbol, key)
            pending.append(self._event(
                EventKind.STOP_RETRY, symbol, None,
                f"retry {rung}: stop {trigger} ({buffer * 100}% beyond mark {mark})",
                {"rung": rung, "trigger": trigger, "mark": mark, "buffer": buffer},
            ))
            try:
                order = self._ex.place_stop(symbol, direction.closing_side, trigger, cid,
                                            quantity=qty, working_type=self._cfg.working_type)
            except WouldTriggerError as exc:
                rejections += 1
                pending.append(self._event(EventKind.STOP_REJECTED, symbol, exc.code,
                                           f"retry {rung} would trigger: {exc.message}",
                                           {"rung": rung, "trigger": trigger}))
                continue
            except ClosePositionExistsError:
                return self._on_close_position_exists(
                    first, symbol, direction, quantity, trigger, filters, key, pending, started)
            except ExchangeError as exc:
                existing = self._lookup(symbol, cid, direction)
                if existing is None:
                    rejections += 1
                    pending.append(self._event(EventKind.STOP_REJECTED, symbol, exc.code,
                                               f"retry {rung} refused: {exc.message}"))
                    continue
                order = existing
            latency = (time.perf_counter() - started) * 1000
            return self._placed(order, direction, rejections, latency, pending, immediate=False)
        return self._emergency_close(symbol, direction, quantity, key, pending, rejections)

    def _emergency_close(
        self, symbol: str, direction: Direction, quantity: Decimal, key: str,
        pending: list[Event], rejections: int,
    ) -> ProtectOutcome:
        cid = client_ids.make(Purpose.EMERGENCY, symbol, key, rejections)
        try:
            order = self._ex.market_order(symbol, direction.closing_side, quantity, cid,
                                          reduce_only=True)
        except ReduceOnlyRejectedError as exc:
            pending.append(self._event(EventKind.EMERGENCY_CLOSE, symbol, exc.code,
                                       "emergency close found no position to reduce",
                                       {"quantity": quantity, "gone": True}))
            self._flush(pending)
            return ProtectOutcome(symbol, ProtectStatus.EMERGENCY_CLOSED, rejections=rejections,
                                  events=tuple(pending))
        except ExchangeError as exc:
            pending.append(self._event(EventKind.EXCHANGE_ERROR, symbol, exc.code,
                                       f"EMERGENCY CLOSE FAILED: {exc.message}",
                                       {"protect": "failed"}))
            self._flush(pending)
            log.critical("[SHIELD] EMERGENCY CLOSE FAILED for %s: %s - position NAKED", symbol, exc)
            return ProtectOutcome(symbol, ProtectStatus.FAILED, rejections=rejections,
                                  events=tuple(pending))
        pending.append(self._event(
            EventKind.EMERGENCY_CLOSE, symbol, None,
            f"no stop could be placed: closed {order.executed_qty} at market",
            {"quantity": order.executed_qty, "avg_price": order.avg_price,
             "client_order_id": cid, "rejections": rejections},
        ))
        self._flush(pending)
        log.critical("[SHIELD] EMERGENCY CLOSE %s: %s %s at market (avg %s)", symbol,
                     direction.closing_side.value, order.executed_qty, order.avg_price)
        return ProtectOutcome(symbol, ProtectStatus.EMERGENCY_CLOSED, rejections=rejections,
                              events=tuple(pending), close_price=order.avg_price or None)

    # --- helpers -----------------------------------------------------------------------------
    def _placed(
        self, order: ConditionalOrder, direction: Direction, rejections: int, latency: float,
        pending: list[Event], immediate: bool,
    ) -> ProtectOutcome:
        pending.append(self._event(
            EventKind.STOP_PLACED, order.symbol, None,
            f"{'immediate ' if immediate else ''}SL {order.side.value} @ {order.trigger_price}",
            {"trigger": order.trigger_price, "client_algo_id": order.client_algo_id,
             "algo_id": order.algo_id, "close_position": order.close_position,
             "quantity": order.quantity, "rejections": rejections, "immediate": immediate},
            latency_ms=latency,
        ))
        self._flush(pending)
        log.info("[SHIELD] %s SL for %s: %s @ %s (%s, %.1f ms)",
                 "Placed IMMEDIATE" if immediate else "Placed", order.symbol, order.side.value,
                 order.trigger_price, order.client_algo_id, latency)
        return ProtectOutcome(order.symbol, ProtectStatus.PLACED, stop=order,
                              trigger_price=order.trigger_price, rejections=rejections,
                              latency_ms=latency, events=tuple(pending))

    def _lookup(self, symbol: str, cid: str, direction: Direction) -> ConditionalOrder | None:
        """Our stop under this id, if the exchange has it open (a lost answer, a duplicate)."""
        try:
            found = self._ex.get_conditional(symbol, cid)
        except ExchangeError:
            return None
        if found is None or not found.status.is_open or not found.type.is_stop:
            return None
        return found if found.side is direction.closing_side else None

    def _event(
        self, kind: EventKind, symbol: str, code: int | None, message: str,
        details: dict[str, object] | None = None, latency_ms: float | None = None,
    ) -> Event:
        return Event(kind=kind, at=self._now(), symbol=symbol, code=code, message=message,
                     latency_ms=latency_ms, details=dict(details or {}))

    def event(self, kind: EventKind, symbol: str | None, message: str, code: int | None = None,
              details: dict[str, object] | None = None, latency_ms: float | None = None) -> Event:
        """Record one event now (for the modules around the protector)."""
        ev = Event(kind=kind, at=self._now(), symbol=symbol, code=code, message=message,
                   latency_ms=latency_ms, details=dict(details or {}))
        try:
            return self._events.append(ev)
        except Exception:  # a full disk must not keep the next stop from being placed
            log.exception("[SHIELD] could not record %s for %s", kind.value, symbol)
            return ev

    def record(self, events: Sequence[Event]) -> None:
        """Store events a deferred call returned."""
        self._flush(list(events))

    def _flush(self, pending: list[Event]) -> None:
        if isinstance(pending, _Deferred):
            return
        for ev in pending:
            try:
                self._events.append(ev)
            except Exception:  # the event log must never undo a placed stop
                log.exception("[SHIELD] could not record %s for %s", ev.kind.value, ev.symbol)
