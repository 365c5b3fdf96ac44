"""Trailing stops, take-profits and the monitor's ratchet of the fixed stop.

The trailing stop is an extra: the fixed stop stays underneath it. The seed
sent callbackRate x 100 and had it refused on every position; here the validated
setting (a percent) goes out as is, and any doubt turns trailing off for that
position instead of touching the fixed stop.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal

from bot.domain import (
    ConditionalOrder,
    Direction,
    EventKind,
    OrderType,
    Position,
    Purpose,
    SymbolFilters,
    WorkingType,
    client_ids,
)
from bot.domain.errors import ExchangeError, InvalidCallbackRateError
from bot.protection.config import valid_callback_rate
from bot.protection.ports import Exchange
from bot.protection.recorder import EventRecorder
from bot.protection.stop_policy import round_target

log = logging.getLogger(__name__)


class ExitOrders:
    """The position's other conditional orders: trailing stop and take-profit.

    Neither counts as protection (the fixed stop does), so a refusal here is
    recorded and the position goes on under its fixed stop.
    """

    def __init__(self, exchange: Exchange, recorder: EventRecorder,
                 working_type: WorkingType) -> None:
        self._ex = exchange
        self._rec = recorder
        self._working_type = working_type

    def trailing(
        self, symbol: str, direction: Direction, quantity: Decimal,
        callback_rate: Decimal | None, key: str, activate_price: Decimal | None = None,
    ) -> ConditionalOrder | None:
        """A reduce-only TRAILING_STOP_MARKET, or None with TRAILING_DISABLED recorded."""
        if callback_rate is None or not valid_callback_rate(callback_rate):
            self._rec.record(EventKind.TRAILING_DISABLED, symbol,
                             f"trailing off: callback rate {callback_rate} outside [0.1, 5.0]%",
                             details={"callback_rate": callback_rate,
                                      "reason": "invalid_setting"})
            log.warning("[TRAIL] Trailing off for %s: invalid callback rate %s - fixed SL kept",
                        symbol, callback_rate)
            return None
        cid = client_ids.make(Purpose.TRAILING, symbol, key, 0)
        try:
            order = self._ex.place_trailing_stop(
                symbol, direction.closing_side, quantity, callback_rate, cid,
                activate_price=activate_price, working_type=self._working_type,
            )
        except InvalidCallbackRateError as exc:
            self._rec.record(EventKind.TRAILING_DISABLED, symbol,
                             f"trailing off: exchange refused callback rate {callback_rate}",
                             code=exc.code, details={"callback_rate": callback_rate})
            log.warning("[TRAIL] callbackRate=%s refused for %s - trailing off, fixed SL kept",
                        callback_rate, symbol)
            return None
        except ExchangeError as exc:
            self._rec.record(EventKind.TRAILING_DISABLED, symbol,
                             f"trailing off: {exc.message}", code=exc.code,
                             details={"callback_rate": callback_rate})
            log.warning("[TRAIL] Trailing refused for %s (%s) - fixed SL kept", symbol, exc)
            return None
        self._rec.record(EventKind.TRAILING_PLACED, symbol,
                         f"trailing {order.side.value} callbackRate={callback_rate}%",
                         details={"callback_rate": callback_rate, "algo_id": order.algo_id,
                                  "client_algo_id": order.client_algo_id,
                                  "activate_price": activate_price})
        log.info("[TRAIL] Trailing SL for %s: %s callbackRate=%s%%", symbol, order.side.value,
                 callback_rate)
        return order

    def take_profit(
        self, symbol: str, direction: Direction, quantity: Decimal, target: Decimal,
        filters: SymbolFilters, key: str,
    ) -> ConditionalOrder | None:
        """Reduce-only TAKE_PROFIT_MARKET; never counted as protection, a failure is logged."""
        trigger = round_target(direction, target, filters)
        cid = client_ids.make(Purpose.TAKE_PROFIT, symbol, key, 0)
        try:
            order = self._ex.place_take_profit(
                symbol, direction.closing_side, trigger, cid, quantity=quantity,
                working_type=self._working_type,
            )
        except ExchangeError as exc:
            self._rec.record(EventKind.EXCHANGE_ERROR, symbol,
                             f"take-profit refused: {exc.message}", code=exc.code,
                             details={"trigger": trigger})
            log.warning("[TP] Take-profit for %s @ %s refused (%s)", symbol, trigger, exc)
            return None
        self._rec.record(EventKind.TAKE_PROFIT_PLACED, symbol,
                         f"TP {order.side.value} @ {order.trigger_price}",
                         details={"trigger": order.trigger_price, "algo_id": order.algo_id,
                                  "client_algo_id": order.client_algo_id})
        log.info("[TP] Take-profit for %s: %s @ %s", symbol, order.side.value,
                 order.trigger_price)
        return order


def ratchet_target(
    position: Position, covering: Sequence[ConditionalOrder], distance: Decimal,
    min_step: Decimal, filters: SymbolFilters,
) -> tuple[Decimal, tuple[ConditionalOrder, ...]] | None:
    """Where the fixed stop should move to, and which stops it replaces; None when it stays.

    Only ever tightens towards profit, never past the entry's losing side back,
    and only by at least ``min_step`` of the mark so the ratchet is not chatty.
    """
    fixed = tuple(o for o in covering
                  if o.type is not OrderType.TRAILING_STOP_MARKET and o.trigger_price is not None)
    if not fixed:
        return None
    mark = position.mark_price
    if position.direction is Direction.LONG:
        target = filters.round_price(mark * (1 - distance), "down")
        best = max(o.trigger_price for o in fixed if o.trigger_price is not None)
        improves = target - best >= mark * min_step and target > position.entry_price
    else:
        target = filters.round_price(mark * (1 + distance), "up")
        best = min(o.trigger_price for o in fixed if o.trigger_price is not None)
        improves = best - target >= mark * min_step and target < position.entry_price
    return (target, fixed) if improves else None
