"""What happens when the venue refuses a stop: re-read, retry farther away, close at market.

One frozen ``StopRequest`` travels through every rung, so each step knows the
position, the trigger first asked for and the deadline's start without a dozen
loose arguments. Events are collected while the ladder runs and stored only once
the position is safe (or for the executor: handed back, to follow the entry's).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from bot.domain import (
    ConditionalOrder,
    Direction,
    Event,
    EventKind,
    Position,
    Purpose,
    SymbolFilters,
)
from bot.domain.errors import (
    ClosePositionExistsError,
    DuplicateClientIdError,
    ExchangeError,
    WouldTriggerError,
)
from bot.protection.config import ProtectionConfig
from bot.protection.coverage import TriggerGrace, assess
from bot.protection.market_close import close_at_market
from bot.protection.ports import Exchange
from bot.protection.recorder import EventRecorder
from bot.protection.stop_policy import farther_stop, stop_beyond

log = logging.getLogger(__name__)

StopIds = Callable[..., str]


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


@dataclass(frozen=True)
class StopRequest:
    """One stop to place for one position, as first asked."""

    symbol: str
    direction: Direction
    position_qty: Decimal  # what an emergency close must close
    trigger: Decimal  # the stop first asked for, snapped
    client_algo_id: str
    filters: SymbolFilters
    key: str  # the position's key: names every order of it
    reduce_only_qty: Decimal | None = None  # None: closePosition
    started: float = 0.0  # perf_counter at the entry's answer, or at the first attempt

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000


class Deferred(list[Event]):
    """Events the caller records itself (the executor logs the entry first)."""


class StopLadder:
    def __init__(self, exchange: Exchange, recorder: EventRecorder, config: ProtectionConfig,
                 ids: StopIds) -> None:
        self._ex = exchange
        self._rec = recorder
        self._cfg = config
        self._ids = ids

    def after_failure(self, req: StopRequest, exc: ExchangeError,
                      pending: list[Event]) -> ProtectOutcome:
        if isinstance(exc, ClosePositionExistsError):
            return self._close_position_exists(req, pending)
        if isinstance(exc, WouldTriggerError):
            return self._climb(req, exc, pending)
        existing = self._lookup(req, req.client_algo_id)  # a lost answer, a duplicate id
        if existing is not None:
            return self.placed(req, existing, 0, req.elapsed_ms(), pending)
        if isinstance(exc, DuplicateClientIdError):  # the id is another live order's: new id
            fresh = replace(req, client_algo_id=self._ids(req.symbol, req.key,
                                                          taken=(req.client_algo_id,)))
            try:
                order = self._place(fresh, fresh.trigger)
            except (WouldTriggerError, ClosePositionExistsError) as again:
                return self.after_failure(fresh, again, pending)
            except ExchangeError as again:
                exc = again
            else:
                return self.placed(fresh, order, 0, fresh.elapsed_ms(), pending)
        pending.append(self._event(EventKind.STOP_REJECTED, req, exc.code,
                                   f"stop refused: {exc.message}", {"trigger": req.trigger}))
        log.error("[SHIELD] SL for %s refused (%s) - closing at market", req.symbol, exc)
        return self._emergency_close(req, pending, 1)

    def _close_position_exists(self, req: StopRequest, pending: list[Event]) -> ProtectOutcome:
        """A closePosition stop exists. Re-read; if it covers, done; else go reduce-only."""
        try:
            book = self._ex.open_conditional_orders(req.symbol)
            mark = self._ex.mark_price(req.symbol)
        except ExchangeError as read_exc:
            pending.append(self._event(EventKind.EXCHANGE_ERROR, req, read_exc.code,
                                       f"re-read of the stops failed: {read_exc.message}"))
            return self._emergency_close(req, pending, 0)
        probe = Position(req.symbol, req.direction, req.position_qty, Decimal(0), mark,
                         Decimal(0), 1)
        report = assess(probe, book, grace=TriggerGrace(self._rec.now(),
                                                        self._cfg.triggering_grace_s))
        if report.covered:
            self._flush(pending)
            log.info("[OK] SL already exists for %s - keeping existing protection", req.symbol)
            return ProtectOutcome(req.symbol, ProtectStatus.ALREADY_COVERED,
                                  stop=report.covering[0], events=tuple(pending))
        reduce = replace(req, reduce_only_qty=req.position_qty,
                         client_algo_id=self._ids(req.symbol, req.key, book))
        try:
            order = self._place(reduce, reduce.trigger)
        except WouldTriggerError as again:
            return self._climb(reduce, again, pending)
        except ClosePositionExistsError as again:  # not for reduce-only: give up
            pending.append(self._event(EventKind.STOP_REJECTED, req, again.code,
                                       f"reduce-only stop refused: {again.message}"))
            return self._emergency_close(req, pending, 1)
        except ExchangeError as again:
            return self.after_failure(reduce, again, pending)
        return self.placed(reduce, order, 0, reduce.elapsed_ms(), pending)

    def _climb(self, req: StopRequest, first: ExchangeError,
               pending: list[Event]) -> ProtectOutcome:
        """Each rung keeps the stop asked for while it is still valid against the new mark,
        else moves it a buffer beyond the mark: a stale mark must not shrink a good stop."""
        rejections = 1
        pending.append(self._event(EventKind.STOP_REJECTED, req, first.code,
                                   f"stop would trigger immediately: {first.message}"))
        for rung, buffer in enumerate(self._cfg.retry_buffers, start=1):
            try:
                mark = self._ex.mark_price(req.symbol)
            except ExchangeError as exc:
                pending.append(self._event(EventKind.EXCHANGE_ERROR, req, exc.code,
                                           f"mark price read failed: {exc.message}"))
                continue
            trigger = farther_stop(req.direction, req.trigger,
                                   stop_beyond(req.direction, mark, buffer, req.filters))
            cid = self._ids(req.symbol, req.key)
            kept = " (the stop asked for, still valid)" if trigger == req.trigger else ""
            pending.append(self._event(
                EventKind.STOP_RETRY, req, None,
                f"retry {rung}: stop {trigger} ({buffer * 100}% beyond mark {mark}){kept}",
                {"rung": rung, "trigger": trigger, "mark": mark, "buffer": buffer},
            ))
            rung_req = replace(req, client_algo_id=cid)
            try:
                order = self._place(rung_req, trigger)
            except WouldTriggerError as exc:
                rejections += 1
                pending.append(self._event(EventKind.STOP_REJECTED, req, exc.code,
                                           f"retry {rung} would trigger: {exc.message}",
                                           {"rung": rung, "trigger": trigger}))
                continue
            except ClosePositionExistsError:
                return self._close_position_exists(replace(req, trigger=trigger), pending)
            except ExchangeError as exc:
                existing = self._lookup(req, cid)
                if existing is None:
                    rejections += 1
                    pending.append(self._event(EventKind.STOP_REJECTED, req, exc.code,
                                               f"retry {rung} refused: {exc.message}"))
                    continue
                order = existing
            return self.placed(req, order, rejections, req.elapsed_ms(), pending)
        return self._emergency_close(req, pending, rejections)

    def _emergency_close(self, req: StopRequest, pending: list[Event],
                         rejections: int) -> ProtectOutcome:
        result = close_at_market(self._ex, req.symbol, req.direction, req.position_qty,
                                 Purpose.EMERGENCY, req.key, rejections)
        if result.gone is not None and result.pieces == 0:
            pending.append(self._event(EventKind.EMERGENCY_CLOSE, req, result.gone.code,
                                       "emergency close found no position to reduce",
                                       {"quantity": req.position_qty, "gone": True}))
            self._flush(pending)
            return ProtectOutcome(req.symbol, ProtectStatus.EMERGENCY_CLOSED,
                                  rejections=rejections, events=tuple(pending))
        if result.error is not None:
            exc = result.error
            partly = (f" after closing {result.executed_qty} of {req.position_qty}"
                      if result.pieces else "")
            pending.append(self._event(EventKind.EXCHANGE_ERROR, req, exc.code,
                                       f"EMERGENCY CLOSE FAILED{partly}: {exc.message}",
                                       {"protect": "failed", "closed": result.executed_qty}))
            self._flush(pending)
            log.critical("[SHIELD] EMERGENCY CLOSE FAILED for %s%s: %s - position NAKED",
                         req.symbol, partly, exc)
            return ProtectOutcome(req.symbol, ProtectStatus.FAILED, rejections=rejections,
                                  events=tuple(pending))
        in_pieces = f" in {result.pieces} orders" if result.pieces > 1 else ""
        pending.append(self._event(
            EventKind.EMERGENCY_CLOSE, req, None,
            f"no stop could be placed: closed {result.executed_qty} at market{in_pieces}",
            {"quantity": result.executed_qty, "avg_price": result.avg_price,
             "client_order_id": result.client_order_id, "rejections": rejections,
             "orders": result.pieces},
        ))
        self._flush(pending)
        log.critical("[SHIELD] EMERGENCY CLOSE %s: %s %s at market%s (avg %s)", req.symbol,
                     req.direction.closing_side.value, result.executed_qty, in_pieces,
                     result.avg_price)
        return ProtectOutcome(req.symbol, ProtectStatus.EMERGENCY_CLOSED, rejections=rejections,
                              events=tuple(pending), close_price=result.avg_price or None)

    def placed(self, req: StopRequest, order: ConditionalOrder, rejections: int,
               latency: float, pending: list[Event], immediate: bool = False) -> ProtectOutcome:
        pending.append(self._rec.make(
            EventKind.STOP_PLACED, order.symbol,
            f"{'immediate ' if immediate else ''}SL {order.side.value} @ {order.trigger_price}",
            details={"trigger": order.trigger_price, "client_algo_id": order.client_algo_id,
                     "algo_id": order.algo_id, "close_position": order.close_position,
                     "quantity": order.quantity, "rejections": rejections,
                     "immediate": immediate},
            latency_ms=latency,
        ))
        self._flush(pending)
        log.info("[SHIELD] %s SL for %s: %s @ %s (%s, %.1f ms)",
                 "Placed IMMEDIATE" if immediate else "Placed", order.symbol, order.side.value,
                 order.trigger_price, order.client_algo_id, latency)
        return ProtectOutcome(order.symbol, ProtectStatus.PLACED, stop=order,
                              trigger_price=order.trigger_price, rejections=rejections,
                              latency_ms=latency, events=tuple(pending))

    def _place(self, req: StopRequest, trigger: Decimal) -> ConditionalOrder:
        return self._ex.place_stop(req.symbol, req.direction.closing_side, trigger,
                                   req.client_algo_id, quantity=req.reduce_only_qty,
                                   working_type=self._cfg.working_type)

    def _lookup(self, req: StopRequest, cid: str) -> ConditionalOrder | None:
        """Our stop under this id, if the exchange has it open (a lost answer, a duplicate)."""
        try:
            found = self._ex.get_conditional(req.symbol, cid)
        except ExchangeError:
            return None
        if found is None or not found.status.is_open or not found.type.is_stop:
            return None
        return found if found.side is req.direction.closing_side else None

    def _event(self, kind: EventKind, req: StopRequest, code: int | None, message: str,
               details: dict[str, Any] | None = None) -> Event:
        return self._rec.make(kind, req.symbol, message, code=code, details=details)

    def _flush(self, pending: Sequence[Event]) -> None:
        if not isinstance(pending, Deferred):
            self._rec.store_all(pending)
