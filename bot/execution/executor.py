"""Open a position: market entry, the stop as the very next request, then the records.

Everything that needs I/O or thought (filters, rounding, the current stop
book, client ids) is done before the entry is sent, so that between the
entry's response and the stop request there is nothing but a function call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from bot.domain import (
    AlgoStatus,
    ConditionalOrder,
    Decision,
    Direction,
    EventKind,
    ExitReason,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Purpose,
    SymbolFilters,
    Trade,
    client_ids,
)
from bot.domain.errors import ExchangeError, UnknownStatusError
from bot.locks import SymbolLocks
from bot.protection.closing import TradeCloser
from bot.protection.coverage import close_position_stop, on_losing_side
from bot.protection.ladder import ProtectOutcome, ProtectStatus, StopRequest
from bot.protection.moves import drop_superseded
from bot.protection.ports import Exchange, TradeBook
from bot.protection.recorder import EventRecorder
from bot.protection.stop_policy import round_stop
from bot.protection.stops import Protector
from bot.protection.trailing import ExitOrders

log = logging.getLogger(__name__)


class OpenStatus(StrEnum):
    OPENED = "opened"  # filled and covered
    EMERGENCY_CLOSED = "emergency_closed"  # filled, no stop possible, closed at market
    UNPROTECTED = "unprotected"  # filled, neither stop nor close went through: red alert
    REFUSED = "refused"  # nothing sent
    ENTRY_FAILED = "entry_failed"  # the exchange refused the entry


@dataclass(frozen=True)
class OpenResult:
    symbol: str
    status: OpenStatus
    reason: str = ""
    entry: Order | None = None
    protection: ProtectOutcome | None = None
    take_profit: ConditionalOrder | None = None
    trailing: ConditionalOrder | None = None
    position_key: str = ""
    extras: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Plan:
    """What the entry was sent with: enough to protect it when its answer is lost."""

    qty: Decimal
    held: Decimal
    stop: Decimal
    stop_cid: str
    entry_cid: str
    key: str
    opened_at: datetime
    book: list[ConditionalOrder]
    filters: SymbolFilters
    existing_close: ConditionalOrder | None


EntryGate = Callable[[], str | None]
"""None while entries are allowed, else the reason they are not (the kill switch's)."""


class Executor:
    def __init__(
        self, exchange: Exchange, protector: Protector, exits: ExitOrders,
        recorder: EventRecorder, closer: TradeCloser, book: TradeBook, locks: SymbolLocks,
        trailing_rate: Decimal | None = None, entry_gate: EntryGate = lambda: None,
    ) -> None:
        """``trailing_rate``: the settings' callback rate for decisions without their own;
        None switches trailing stops off."""
        self._ex = exchange
        self._p = protector
        self._exits = exits
        self._rec = recorder
        self._closer = closer
        self._book = book
        self._locks = locks
        self._trailing_rate = trailing_rate
        self._entry_gate = entry_gate
        self._last_key_ms: dict[str, int] = {}

    def open_position(self, decision: Decision) -> OpenResult:
        problem = _invalid(decision)
        if problem:
            return OpenResult(decision.symbol, OpenStatus.REFUSED, problem)
        denied = self._entry_gate()
        if denied:
            return OpenResult(decision.symbol, OpenStatus.REFUSED, denied)
        with self._locks.hold(decision.symbol):
            return self._open_locked(decision)

    def _open_locked(self, d: Decision) -> OpenResult:
        try:
            filters = self._ex.filters(d.symbol)
            book = self._ex.open_conditional_orders(d.symbol)
        except ExchangeError as exc:
            return OpenResult(d.symbol, OpenStatus.REFUSED, f"pre-entry read failed: {exc}")
        qty = filters.round_qty(d.quantity, market=True)
        if qty <= 0 or qty < (filters.market_min_qty or filters.min_qty):
            return OpenResult(d.symbol, OpenStatus.REFUSED, f"quantity {d.quantity} below minQty")
        stop = round_stop(d.direction, d.stop_price, filters)
        opened_at = self._rec.now()
        key = client_ids.position_key(d.symbol, self._key_ms(d.symbol, opened_at))
        entry_cid = client_ids.make(Purpose.ENTRY, d.symbol, key, 0)
        existing_close = close_position_stop(book, d.direction)
        held = Decimal(0)
        if _has_stop(book, d.direction):  # a position on this side is likely: size it
            try:
                held = _held(self._ex.positions(), d)
            except ExchangeError as exc:
                return OpenResult(d.symbol, OpenStatus.REFUSED, f"pre-entry read failed: {exc}")
        plan = _Plan(qty, held, stop, self._p.next_stop_id(d.symbol, key, book), entry_cid, key,
                     opened_at, book, filters, existing_close)
        try:
            entry = self._ex.market_order(d.symbol, d.direction.entry_side, qty, entry_cid)
        except UnknownStatusError as exc:
            return self._lost_entry(d, exc, plan)
        except ExchangeError as exc:
            self._rec.record(EventKind.ENTRY_FAILED, d.symbol, f"entry refused: {exc.message}",
                             code=exc.code, details={"quantity": qty, "signal_id": d.signal_id,
                                                     "client_order_id": entry_cid})
            return OpenResult(d.symbol, OpenStatus.ENTRY_FAILED, str(exc), position_key=key)
        outcome = self._protect(d, entry, plan, qty, time.perf_counter())
        # --- the position is protected (or closed); now the records ---
        return self._record(d, entry, outcome, qty, plan)

    def _key_ms(self, symbol: str, opened_at: datetime) -> int:
        """Strictly increasing per symbol: two entries in one millisecond of a slow or
        virtual clock must not share their orders' client ids."""
        ms = max(int(opened_at.timestamp() * 1000), self._last_key_ms.get(symbol, 0) + 1)
        self._last_key_ms[symbol] = ms
        return ms

    def _protect(self, d: Decision, entry: Order, plan: _Plan, added: Decimal,
                 entry_done: float) -> ProtectOutcome:
        total = plan.held + added
        req = StopRequest(symbol=d.symbol, direction=d.direction, position_qty=added,
                          trigger=plan.stop, client_algo_id=plan.stop_cid, filters=plan.filters,
                          key=plan.key, started=entry_done)
        if plan.existing_close is None:
            return self._p.protect_fill(req)
        if _still_protects(plan.existing_close, d.direction, entry):
            # the closePosition stop closes whatever the position has grown to
            return self._keep_existing(d.symbol, plan.existing_close)
        return self._p.protect_fill(replace(req, position_qty=total, reduce_only_qty=total))

    def _lost_entry(self, d: Decision, exc: UnknownStatusError, plan: _Plan) -> OpenResult:
        """The entry's answer and the adapter's lookup were both lost: the position tells.

        Left to the monitor, a filled entry would wait a cycle for a fallback stop; the
        symbol lock is ours, so whatever this side gained since ``plan.held`` is our fill.
        """
        try:
            side = [p for p in self._ex.positions()
                    if p.symbol == d.symbol and p.direction is d.direction]
        except ExchangeError as again:
            self._rec.record(EventKind.EXCHANGE_ERROR, d.symbol,
                             f"entry status unknown ({exc.message}) and position re-read failed "
                             f"({again.message}): the monitor adopts any fill",
                             code=exc.code, details={"quantity": plan.qty, "status": "unknown",
                                                     "client_order_id": plan.entry_cid})
            return OpenResult(d.symbol, OpenStatus.ENTRY_FAILED, str(exc),
                              position_key=plan.key)
        total = _held(side, d)
        if total <= plan.held:
            self._rec.record(EventKind.ENTRY_FAILED, d.symbol,
                             f"entry refused: {exc.message} (position unchanged)", code=exc.code,
                             details={"quantity": plan.qty, "client_order_id": plan.entry_cid})
            return OpenResult(d.symbol, OpenStatus.ENTRY_FAILED, str(exc),
                              position_key=plan.key)
        added = total - plan.held
        pos = side[0]
        price = pos.entry_price if plan.held == 0 and pos.entry_price > 0 else pos.mark_price
        entry = Order(order_id=0, client_order_id=plan.entry_cid, symbol=d.symbol,
                      side=d.direction.entry_side, type=OrderType.MARKET,
                      status=OrderStatus.FILLED, price=price, avg_price=price,
                      orig_qty=plan.qty, executed_qty=added, reduce_only=False)
        outcome = self._protect(d, entry, plan, added, time.perf_counter())
        log.warning("[RECONCILE] Entry answer lost for %s but the position grew by %s - "
                    "treated as filled", d.symbol, added)
        self._rec.record(EventKind.EXCHANGE_ERROR, d.symbol,
                         f"entry answer lost ({exc.message}); position grew by {added}: "
                         "treated as filled", code=exc.code,
                         details={"quantity": added, "status": "filled",
                                  "client_order_id": plan.entry_cid})
        return self._record(d, entry, outcome, added, plan)

    def _keep_existing(self, symbol: str, stop: ConditionalOrder) -> ProtectOutcome:
        return ProtectOutcome(symbol, ProtectStatus.ALREADY_COVERED, stop=stop,
                              trigger_price=stop.trigger_price)

    def _record(self, d: Decision, entry: Order, outcome: ProtectOutcome, qty: Decimal,
                plan: _Plan) -> OpenResult:
        stop, key, filters = plan.stop, plan.key, plan.filters
        filled = entry.executed_qty if entry.executed_qty > 0 else qty
        price = entry.avg_price if entry.avg_price > 0 else entry.price
        self._rec.record(EventKind.ENTRY_FILLED, d.symbol,
                         f"{d.direction.entry_side.value} {filled} @ {price}",
                         details={"quantity": filled, "price": price, "direction": d.direction,
                                  "client_order_id": entry.client_order_id,
                                  "signal_id": d.signal_id})
        self._p.record(outcome.events)
        log.info("[ENTRY] %s %s %s @ %s", d.symbol, d.direction.entry_side.value, filled, price)
        trigger = outcome.trigger_price if outcome.trigger_price is not None else stop
        record = Trade(
            symbol=d.symbol, direction=d.direction, quantity=filled, entry_price=price,
            stop_price=trigger, position_key=key, opened_at=plan.opened_at,
            take_profit=d.target_price,
            trailing_rate=d.callback_rate if d.trailing else None,
        )
        if outcome.status is ProtectStatus.EMERGENCY_CLOSED:
            # in the books too: a trade opened and closed at once, at the venue's prices
            self._closer.close(d.symbol, [self._book.record_open(record)],
                               ExitReason.EMERGENCY, fallback_price=outcome.close_price)
            return OpenResult(d.symbol, OpenStatus.EMERGENCY_CLOSED, "no stop possible",
                              entry=entry, protection=outcome, position_key=key)
        if outcome.status is ProtectStatus.FAILED:
            # the position is real: recorded, the next monitor cycle retries at its own stop
            # instead of adopting a stranger at the fallback distance
            self._book.record_open(replace(record, stop_price=stop))
            return OpenResult(d.symbol, OpenStatus.UNPROTECTED, "stop and close both failed",
                              entry=entry, protection=outcome, position_key=key)
        if outcome.status is ProtectStatus.ALREADY_COVERED and outcome.stop is not None:
            log.info("[OK] SL already exists for %s - keeping existing protection", d.symbol)
            self._rec.record(EventKind.STOP_KEPT, d.symbol,
                             "closePosition stop covers the added quantity",
                             details={"stops": [outcome.stop.client_algo_id], "entry": True})
        self._book.record_open(record)
        self._drop_superseded(d, outcome, plan.book)
        tp = trailing = None
        if d.target_price is not None:
            tp = self._exits.take_profit(d.symbol, d.direction, filled, d.target_price,
                                         filters, key)
        if d.trailing:
            rate = d.callback_rate if d.callback_rate is not None else self._trailing_rate
            if self._trailing_rate is not None:
                trailing = self._exits.trailing(d.symbol, d.direction, filled, rate, key)
            else:
                self._rec.record(EventKind.TRAILING_DISABLED, d.symbol,
                                 "trailing off: disabled in settings",
                                 details={"reason": "setting"})
        return OpenResult(d.symbol, OpenStatus.OPENED, entry=entry, protection=outcome,
                          take_profit=tp, trailing=trailing, position_key=key)

    def _drop_superseded(self, d: Decision, outcome: ProtectOutcome,
                         book: list[ConditionalOrder]) -> None:
        """A second entry: reduce-only stops sized for the old quantity protect too little now."""
        if outcome.status is not ProtectStatus.PLACED:
            return
        stale = [o for o in book if o.type.is_stop and not o.close_position
                 and o.side is d.direction.closing_side and o.quantity is not None]
        if not stale:
            return
        try:
            position = {p.symbol: p for p in self._ex.positions()}.get(d.symbol)
            current = self._ex.open_conditional_orders(d.symbol)
        except ExchangeError:
            return  # the monitor will tidy up; leaving an extra stop is always safe
        if position is not None:
            drop_superseded(self._p, position, current, stale)


def _invalid(d: Decision) -> str:
    if not d.symbol:
        return "decision without symbol"
    if not isinstance(d.quantity, Decimal) or not d.quantity.is_finite() or d.quantity <= 0:
        return f"quantity {d.quantity!r} must be a positive Decimal"
    if not isinstance(d.stop_price, Decimal) or not d.stop_price.is_finite() or d.stop_price <= 0:
        return f"stop price {d.stop_price!r} must be a positive Decimal"
    if d.target_price is not None and (
        not isinstance(d.target_price, Decimal) or d.target_price <= 0
    ):
        return f"target price {d.target_price!r} must be a positive Decimal"
    if d.target_price is not None:
        wrong = (d.target_price <= d.stop_price) if d.direction is Direction.LONG else (
            d.target_price >= d.stop_price)
        if wrong:
            return "target price lies on the stop's side"
    return ""


def _has_stop(book: list[ConditionalOrder], direction: Direction) -> bool:
    return any(o.status.is_open and o.type.is_stop and o.side is direction.closing_side
               for o in book)


def _held(positions: list[Position], d: Decision) -> Decimal:
    return sum((p.quantity for p in positions
                if p.symbol == d.symbol and p.direction is d.direction), Decimal(0))


def _still_protects(stop: ConditionalOrder, direction: Direction, entry: Order) -> bool:
    """A resting (NEW) closePosition stop on the losing side of the fill covers the grown
    position; one already TRIGGERING (possibly stuck at the venue) does not."""
    if stop.status is not AlgoStatus.NEW:
        return False
    fill = entry.avg_price if entry.avg_price > 0 else entry.price
    return stop.trigger_price is not None and fill > 0 and on_losing_side(
        direction, stop.trigger_price, fill)
