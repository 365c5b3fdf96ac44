"""The one stop placer: the immediate stop after a fill, cover for any uncovered position,
a replacement when a stop moves, and the guarded cancel.

Used by the executor right after an entry fills and by the monitor and
reconciliation for any uncovered position. The first request of
``protect_fill`` is the stop itself: nothing (no log line, no database write)
happens between the entry's response and it. When the venue refuses, the
ladder (``bot.protection.ladder``) takes the same frozen request on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from decimal import Decimal

from bot.domain import ConditionalOrder, EventKind, Position, Purpose, client_ids
from bot.domain.errors import ExchangeError, UnknownOrderError
from bot.protection.config import ProtectionConfig
from bot.protection.coverage import TriggerGrace, assess, covered_without
from bot.protection.ladder import (
    Deferred,
    ProtectOutcome,
    ProtectStatus,
    StopLadder,
    StopRequest,
)
from bot.protection.ports import Exchange
from bot.protection.recorder import EventRecorder
from bot.protection.stop_policy import round_stop

log = logging.getLogger(__name__)

_REMEMBERED_CANCELS = 10_000

__all__ = ["ProtectOutcome", "ProtectStatus", "Protector", "StopRequest"]


class Protector:
    """Places the stop for a position, whatever it takes, and says what happened."""

    def __init__(self, exchange: Exchange, recorder: EventRecorder,
                 config: ProtectionConfig) -> None:
        self._ex = exchange
        self._rec = recorder
        self._cfg = config
        self._seq: dict[str, int] = {}
        self._seq_guard = threading.Lock()
        self._cancelled: OrderedDict[int, None] = OrderedDict()  # recent algo ids we cancelled
        self._ladder = StopLadder(exchange, recorder, config, self.next_stop_id)

    def grace(self) -> TriggerGrace:
        """Now, and how long a TRIGGERING stop still counts: every coverage verdict uses it."""
        return TriggerGrace(self._rec.now(), self._cfg.triggering_grace_s)

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
    def protect_fill(self, req: StopRequest) -> ProtectOutcome:
        """The immediate stop. Its first statement is the request: keep it that way.

        Events are not recorded here but returned, so the caller can log the
        entry before them; it must pass ``outcome.events`` to ``record``.
        """
        try:
            order = self._ex.place_stop(
                req.symbol, req.direction.closing_side, req.trigger, req.client_algo_id,
                quantity=req.reduce_only_qty, working_type=self._cfg.working_type,
            )
        except ExchangeError as exc:
            return self._ladder.after_failure(req, exc, Deferred())
        latency = (time.perf_counter() - req.started) * 1000
        return self._ladder.placed(req, order, 0, latency, Deferred(), immediate=True)

    def record(self, events: Sequence) -> None:
        """Store the events a deferred ``protect_fill`` returned."""
        self._rec.store_all(events)

    # --- monitor / reconcile path ----------------------------------------------------------
    def protect_position(
        self, position: Position, stop_price: Decimal, key: str,
        open_conditionals: Sequence[ConditionalOrder],
    ) -> ProtectOutcome:
        """Cover an existing position: closePosition unless one already exists."""
        filters = self._ex.filters(position.symbol)
        report = assess(position, open_conditionals, grace=self.grace())
        if report.covered:
            return ProtectOutcome(position.symbol, ProtectStatus.ALREADY_COVERED)
        qty = position.quantity if report.close_position_stop(position.direction) else None
        req = StopRequest(
            symbol=position.symbol, direction=position.direction,
            position_qty=position.quantity,
            trigger=round_stop(position.direction, stop_price, filters),
            client_algo_id=self.next_stop_id(position.symbol, key, open_conditionals),
            filters=filters, key=key, reduce_only_qty=qty, started=time.perf_counter(),
        )
        log.warning(
            "[SHIELD] Placing SL for %s: %s @ %s (%s)", position.symbol,
            position.direction.closing_side.value, req.trigger,
            "closePosition" if qty is None else f"reduceOnly {qty}",
        )
        try:
            order = self._ex.place_stop(
                req.symbol, req.direction.closing_side, req.trigger, req.client_algo_id,
                quantity=qty, working_type=self._cfg.working_type,
            )
        except ExchangeError as exc:
            return self._ladder.after_failure(req, exc, [])
        latency = (time.perf_counter() - req.started) * 1000
        return self._ladder.placed(req, order, 0, latency, [])

    # --- moves -------------------------------------------------------------------------------
    def place_replacement(self, position: Position, trigger: Decimal, key: str,
                          book: Sequence[ConditionalOrder]) -> ConditionalOrder:
        """A reduce-only stop for the whole position: the "make" of make-before-break.

        Reduce-only with quantity because only one closePosition stop may exist per
        direction and the old one is still there while the new one is placed.
        Raises the venue's ``ExchangeError``; the caller keeps the old stop then.
        """
        filters = self._ex.filters(position.symbol)
        snapped = round_stop(position.direction, trigger, filters)
        cid = self.next_stop_id(position.symbol, key, book)
        try:
            new = self._ex.place_stop(position.symbol, position.direction.closing_side, snapped,
                                      cid, quantity=position.quantity,
                                      working_type=self._cfg.working_type)
        except ExchangeError as exc:
            self._rec.record(EventKind.STOP_REJECTED, position.symbol,
                             f"move to {snapped} refused, old stop kept: {exc.message}",
                             code=exc.code, details={"trigger": snapped, "move": True})
            log.warning("[SHIELD] Move of SL for %s to %s refused (%s) - old stop kept",
                        position.symbol, snapped, exc)
            raise
        self._rec.record(EventKind.STOP_PLACED, position.symbol,
                         f"moved SL {new.side.value} @ {new.trigger_price} (make-before-break)",
                         details={"trigger": new.trigger_price, "move": True,
                                  "client_algo_id": new.client_algo_id, "algo_id": new.algo_id,
                                  "quantity": new.quantity})
        return new

    def cancelled_by_us(self, algo_id: int) -> bool:
        """Did this bot cancel that stop (recently)? Tells our cancels from someone else's."""
        with self._seq_guard:
            return algo_id in self._cancelled

    def cancel_if_safe(self, position: Position | None, book: Sequence[ConditionalOrder],
                       order: ConditionalOrder, reason: str) -> bool:
        """Cancel ``order`` unless that would leave ``position`` uncovered; True when gone.

        The only door to a stop cancel in the bot: a stop that still protects its
        position is never cancelled, whoever asks.
        """
        if position is not None:
            grace = self.grace()
            report = assess(position, book, grace=grace)
            if report.covered and not covered_without(position, book, order, grace=grace):
                log.warning("[SHIELD] Refusing to cancel %s for %s: it is the covering stop",
                            order.client_algo_id, order.symbol)
                return False
            if not report.covered and order in report.partial:
                log.warning("[SHIELD] Refusing to cancel partial stop %s for %s while uncovered",
                            order.client_algo_id, order.symbol)
                return False
        with self._seq_guard:
            self._cancelled[order.algo_id] = None
            while len(self._cancelled) > _REMEMBERED_CANCELS:
                self._cancelled.popitem(last=False)
        try:
            self._ex.cancel_conditional(order.symbol, algo_id=order.algo_id)
        except UnknownOrderError:
            pass  # already gone: the outcome we wanted
        except ExchangeError as exc:
            self._rec.record(EventKind.EXCHANGE_ERROR, order.symbol,
                             f"cancel failed: {exc.message}", code=exc.code,
                             details={"algo_id": order.algo_id})
            return False
        self._rec.record(
            EventKind.STOP_CANCELED, order.symbol,
            f"cancelled {order.type.value} {order.client_algo_id} ({reason})",
            details={"reason": reason, "algo_id": order.algo_id,
                     "client_algo_id": order.client_algo_id, "trigger": order.trigger_price},
        )
        log.info("[SHIELD] Cancelled %s %s for %s (%s)", order.type.value, order.client_algo_id,
                 order.symbol, reason)
        return True
