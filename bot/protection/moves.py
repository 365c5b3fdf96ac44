"""Make before break: a stop is replaced by placing the new one first.

The old stop is cancelled only after the exchange acknowledged the new one,
and only if the position stays covered without it (the cancel guard). If the
new stop fails, nothing is cancelled: the old protection stays.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.domain import ConditionalOrder, EventKind, Position
from bot.domain.errors import ExchangeError, UnknownOrderError
from bot.protection.coverage import assess, covered_without
from bot.protection.stops import Protector, round_stop

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MoveOutcome:
    new_stop: ConditionalOrder | None
    cancelled: tuple[ConditionalOrder, ...]
    kept: tuple[ConditionalOrder, ...]
    error: str = ""

    @property
    def moved(self) -> bool:
        return self.new_stop is not None


def safe_cancel(
    protector: Protector, position: Position | None, book: Sequence[ConditionalOrder],
    order: ConditionalOrder, reason: str,
) -> bool:
    """Cancel ``order`` unless that would leave ``position`` uncovered. True when it is gone."""
    if position is not None:
        was_covered = assess(position, book).covered
        if was_covered and not covered_without(position, book, order):
            log.warning("[SHIELD] Refusing to cancel %s for %s: it is the covering stop",
                        order.client_algo_id, order.symbol)
            return False
        if not was_covered and order in assess(position, book).partial:
            log.warning("[SHIELD] Refusing to cancel partial stop %s for %s while uncovered",
                        order.client_algo_id, order.symbol)
            return False
    try:
        protector.exchange.cancel_conditional(order.symbol, algo_id=order.algo_id)
    except UnknownOrderError:
        pass  # already gone: the outcome we wanted
    except ExchangeError as exc:
        protector.event(EventKind.EXCHANGE_ERROR, order.symbol, f"cancel failed: {exc.message}",
                        code=exc.code, details={"algo_id": order.algo_id})
        return False
    protector.event(
        EventKind.STOP_CANCELED, order.symbol,
        f"cancelled {order.type.value} {order.client_algo_id} ({reason})",
        details={"reason": reason, "algo_id": order.algo_id,
                 "client_algo_id": order.client_algo_id, "trigger": order.trigger_price},
    )
    log.info("[SHIELD] Cancelled %s %s for %s (%s)", order.type.value, order.client_algo_id,
             order.symbol, reason)
    return True


def move_stop(
    protector: Protector, position: Position, book: Sequence[ConditionalOrder],
    replace: Sequence[ConditionalOrder], new_trigger: Decimal, key: str,
) -> MoveOutcome:
    """Place a reduce-only stop for the whole position at ``new_trigger``, then drop ``replace``.

    Reduce-only with quantity because only one closePosition stop may exist per
    direction and the old one is still there while the new one is placed.
    """
    ex = protector.exchange
    filters = ex.filters(position.symbol)
    trigger = round_stop(position.direction, new_trigger, filters)
    cid = protector.next_stop_id(position.symbol, key, book)
    try:
        new = ex.place_stop(position.symbol, position.direction.closing_side, trigger, cid,
                            quantity=position.quantity, working_type=protector.config.working_type)
    except ExchangeError as exc:
        protector.event(EventKind.STOP_REJECTED, position.symbol,
                        f"move to {trigger} refused, old stop kept: {exc.message}", code=exc.code,
                        details={"trigger": trigger, "move": True})
        log.warning("[SHIELD] Move of SL for %s to %s refused (%s) - old stop kept",
                    position.symbol, trigger, exc)
        return MoveOutcome(None, (), tuple(replace), error=str(exc))
    protector.event(EventKind.STOP_PLACED, position.symbol,
                    f"moved SL {new.side.value} @ {new.trigger_price} (make-before-break)",
                    details={"trigger": new.trigger_price, "client_algo_id": new.client_algo_id,
                             "algo_id": new.algo_id, "quantity": new.quantity, "move": True})
    current = [*book, new]
    cancelled: list[ConditionalOrder] = []
    kept: list[ConditionalOrder] = []
    for old in replace:
        if safe_cancel(protector, position, current, old, "replaced"):
            cancelled.append(old)
            current = [o for o in current if o.algo_id != old.algo_id]
        else:
            kept.append(old)
    return MoveOutcome(new, tuple(cancelled), tuple(kept))
