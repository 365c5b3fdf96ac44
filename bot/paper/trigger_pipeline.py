"""The trigger lifecycle: NEW → TRIGGERING → TRIGGERED / FINISHED, or REJECTED / EXPIRED.

A mixin of ``MatchingEngine``. On Binance a conditional order whose condition
holds is forwarded to the matching engine (TRIGGERING) and becomes a market
order some time later (TRIGGERED, ``actualOrderId``); the position is still open
in between. The delay runs on the venue clock. With a delay of 0 the child
order is created in the same step, as it was before this stage existed, and no
TRIGGERING entry is ledgered (nothing could have observed it). Armed trigger
faults (``trigger_faults``) make the step fail the ways live venues have failed.
"""

from __future__ import annotations

import logging
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from bot.paper import errors, rules, symbol_status
from bot.paper.model import (
    ZERO,
    AlgoOrder,
    AlgoStatus,
    Order,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from bot.paper.trigger_faults import TriggerFaultKind

log = logging.getLogger(__name__)

DEFAULT_TRIGGER_DELAY_MS = 250


def resolve_trigger_delay(delay_ms: int | None, clock: Any) -> int:
    """``None`` means the venue's default: 250 ms on a clock that runs by itself, 0 on a
    clock that moves only when told (``ManualClock``), where a delay would hold every
    trigger in TRIGGERING until the caller advances time."""
    if delay_ms is None:
        return DEFAULT_TRIGGER_DELAY_MS if getattr(clock, "runs_by_itself", True) else 0
    return check_trigger_delay(delay_ms)


def check_trigger_delay(delay_ms: int) -> int:
    if not isinstance(delay_ms, int) or isinstance(delay_ms, bool) or delay_ms < 0:
        raise ValueError(f"trigger delay must be an integer >= 0 ms, got {delay_ms!r}")
    return delay_ms


class TriggerPipelineMixin:
    """Needs from its host: specs, last, mark, account, ledger, slippage, _armed, _triggering,
    trigger_delay_ms, trigger_faults and the order-book helpers of ``MatchingEngine``."""

    def _trigger(self, algo: AlgoOrder, at_ms: int) -> None:
        """The condition holds at ``at_ms``: forward the order to the matching engine."""
        algo.trigger_ms = at_ms
        if algo.type is OrderType.TRAILING_STOP_MARKET and algo.extreme is not None:
            assert algo.callback_rate is not None
            tick = self.specs[algo.symbol].tick_size
            level = rules.trailing_trigger(algo.side, algo.extreme, algo.callback_rate)
            algo.trigger_price = tick * (level / tick).to_integral_value()
        fault = self.trigger_faults.take(algo.symbol)
        if fault is not None:
            algo.trigger_fault = fault.kind.value
            algo.reject_reason = fault.reason if fault.kind is TriggerFaultKind.REJECT else ""
            log.warning("[PAPER] Trigger fault %s on algo %s", fault.kind.value, algo.algo_id)
        stuck = algo.trigger_fault == TriggerFaultKind.STUCK
        if self.trigger_delay_ms == 0 and not stuck:
            self._armed[algo.symbol].pop(algo.algo_id, None)
            self._complete_trigger(algo)
            return
        algo.status = AlgoStatus.TRIGGERING
        algo.update_ms = self.now_ms()
        algo.due_ms = None if stuck else at_ms + self.trigger_delay_ms
        if not stuck:
            self._triggering[algo.algo_id] = algo
        details = {"last": str(self.last[algo.symbol]), "mark": str(self.mark[algo.symbol])}
        if stuck:
            details["fault"] = TriggerFaultKind.STUCK.value
        self.ledger.algo(algo, "TRIGGERING", "engine", details)

    def _complete_due(self, until_ms: int) -> bool:
        """Hand every TRIGGERING order whose delay ended by ``until_ms`` to the matching engine."""
        if not self._triggering:
            return False
        due = sorted((a for a in self._triggering.values()
                      if a.due_ms is not None and a.due_ms <= until_ms
                      and symbol_status.matches(self.specs[a.symbol].status)),
                     key=lambda a: (a.due_ms, a.algo_id))
        for algo in due:
            self._triggering.pop(algo.algo_id, None)
            self._armed[algo.symbol].pop(algo.algo_id, None)
            self._complete_trigger(algo)
        return bool(due)

    def _complete_trigger(self, algo: AlgoOrder) -> None:
        """The matching engine takes the fired order: REJECTED, EXPIRED, or a child order."""
        now = self.now_ms()
        algo.due_ms = None
        if algo.trigger_fault == TriggerFaultKind.REJECT:
            self._end_algo(algo, AlgoStatus.REJECTED, "engine",
                           {"rm": algo.reject_reason, "fault": algo.trigger_fault})
            return
        amount = self.account.amount(algo.symbol)
        reduce = algo.reduce_only or algo.close_position
        qty = abs(amount) if algo.close_position else algo.quantity
        if reduce:
            if amount == 0 or (amount > 0) == (algo.side is Side.BUY):
                self._end_algo(algo, AlgoStatus.EXPIRED, "engine",
                               {"reason": "nothing to reduce at trigger"})
                return
            qty = min(qty, abs(amount))
        else:
            try:
                self._check_margin(algo.symbol, algo.side, qty, self.last[algo.symbol])
            except errors.PaperError as exc:
                algo.reject_reason = exc.msg
                self._end_algo(algo, AlgoStatus.REJECTED, "engine",
                               {"code": exc.code, "rm": exc.msg})
                return
        fill_at = None
        if not algo.type.child_is_limit:
            fill_at = self._market_price(algo.symbol, algo.side)
            if not self._within_price_band(algo.symbol, fill_at):
                refused = errors.market_order_reject()  # the close a stop exists for fails
                algo.reject_reason = refused.msg
                self._end_algo(algo, AlgoStatus.REJECTED, "engine",
                               {"code": refused.code, "rm": refused.msg})
                return
        algo.status = AlgoStatus.TRIGGERED
        algo.update_ms = now
        child = self._child_of(algo, qty, reduce, now)
        algo.actual_order_id = child.order_id
        self._book_order(child)
        self.ledger.algo(algo, "TRIGGERED", "engine",
                         {"last": str(self.last[algo.symbol]), "mark": str(self.mark[algo.symbol])})
        self.ledger.order(child, "PLACED", "engine")
        log.info("[PAPER] Triggered %s %s %s @ %s -> order %s", algo.type.value, algo.symbol,
                 algo.side.value, algo.trigger_price, child.order_id)
        self._execute_child(child, algo.trigger_fault, fill_at)

    def _child_of(self, algo: AlgoOrder, qty: Any, reduce: bool, now: int) -> Order:
        child_type = OrderType.LIMIT if algo.type.child_is_limit else OrderType.MARKET
        return Order(
            order_id=self._new_order_id(), client_order_id=algo.client_algo_id,
            symbol=algo.symbol, side=algo.side, type=child_type, orig_qty=qty,
            price=algo.price if child_type is OrderType.LIMIT else ZERO,
            time_in_force=algo.time_in_force if child_type is OrderType.LIMIT else TimeInForce.GTC,
            reduce_only=reduce, close_position=algo.close_position, time_ms=now, update_ms=now,
            orig_type=algo.type, stop_price=algo.trigger_price, working_type=algo.working_type,
            algo_id=algo.algo_id, position_side=algo.position_side,
        )

    def _execute_child(self, child: Order, fault: str | None,
                       fill_at: Decimal | None) -> None:
        """Run the child as any new order, unless a fault says it expires (partly) unfilled."""
        if fault == TriggerFaultKind.CHILD_EXPIRED:
            self._close_order(child, OrderStatus.EXPIRED, "engine",
                              {"reason": "child order expired", "fault": fault})
            return
        if fault == TriggerFaultKind.CHILD_PARTIAL and child.type is OrderType.MARKET:
            spec = self.specs[child.symbol]
            half = (child.orig_qty / 2 / spec.step_size).to_integral_value(
                rounding=ROUND_FLOOR) * spec.step_size
            if half > 0:
                self._fill(child, fill_at or self._market_price(child.symbol, child.side),
                           qty=half)
            self._close_order(child, OrderStatus.EXPIRED, "engine",
                              {"reason": "child order partially filled, rest expired",
                               "fault": fault})
            return
        self._execute_new(child, fill_at)
