"""Is a position covered? Pure: positions and algo orders in, a verdict out.

Covered means: untriggered stop-type orders on the closing side, with triggers
on the losing side of the mark, whose quantities together reach the position's
(closePosition counts as the whole position).

Decisions taken here (documented because they are judgement calls):
- Several reduce-only stops add up: each one that fires reduces the position,
  the rest still cover what is left, so together they protect the whole.
- A TRAILING_STOP_MARKET without an activation price is active from placement;
  its effective trigger trails behind the best price and so always lies on the
  losing side: it counts. One with an activation price does not count: before
  activation it protects nothing against an adverse move, and the order does
  not tell us whether it has activated. Protection never relies on it.
- Take-profits never count. A stop on the entry side, on the wrong side of the
  mark, or for part of the quantity is not coverage (it is reported so it can
  be replaced make-before-break).
- A stop past the liquidation price is AT_RISK, not cover: the venue would
  liquidate before it fired. One TRIGGERING past its grace is stuck, not cover.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from bot.domain import AlgoStatus, ConditionalOrder, Coverage, Direction, OrderType, Position


@dataclass(frozen=True)
class CoverageReport:
    symbol: str
    coverage: Coverage
    covering: tuple[ConditionalOrder, ...]  # the orders that together protect it
    partial: tuple[ConditionalOrder, ...]  # right side and trigger, too little quantity
    ineffective: tuple[ConditionalOrder, ...]  # stop types for this symbol that protect nothing
    missing_qty: Decimal
    stuck: tuple[ConditionalOrder, ...] = ()  # TRIGGERING past the grace
    at_risk: tuple[ConditionalOrder, ...] = ()  # would fire, but past the liquidation price

    @property
    def covered(self) -> bool:
        return self.coverage is Coverage.COVERED

    def close_position_stop(self, direction: Direction) -> ConditionalOrder | None:
        """An open closePosition stop on the closing side, wherever its trigger sits."""
        return close_position_stop((*self.covering, *self.ineffective), direction)


def close_position_stop(orders: Iterable[ConditionalOrder],
                        direction: Direction) -> ConditionalOrder | None:
    """The closePosition stop of this direction, if one is open: there can be only one
    (CLOSE_POSITION_STOP_EXISTS), so a second stop must be reduce-only with quantity."""
    for order in orders:
        if (order.status.is_open and order.close_position and order.type.is_stop
                and order.side is direction.closing_side):
            return order
    return None


def on_losing_side(direction: Direction, trigger: Decimal, mark: Decimal) -> bool:
    return trigger < mark if direction is Direction.LONG else trigger > mark


@dataclass(frozen=True)
class TriggerGrace:
    """How long a stop may sit in TRIGGERING and still count as cover.

    A triggered stop is forwarded to the matching engine; normally its child fills
    within a round trip. One stuck in TRIGGERING (seen on Binance for a day) protects
    nothing, so past the grace the position is uncovered and protected again.
    """

    now: datetime
    seconds: float

    def stuck(self, order: ConditionalOrder) -> bool:
        if order.status is not AlgoStatus.TRIGGERING:
            return False
        since = order.updated_at or order.created_at
        return since is None or (self.now - since).total_seconds() > self.seconds

    def stuck_at(self, order: ConditionalOrder) -> datetime | None:
        """When a TRIGGERING order will count as stuck: no event marks that moment, so whoever
        relies on the order's cover must look again then (None: not TRIGGERING, or stuck
        already for want of a time to count from)."""
        if order.status is not AlgoStatus.TRIGGERING:
            return None
        since = order.updated_at or order.created_at
        return None if since is None else grace_end(since, self.seconds)


def grace_end(since: datetime, seconds: float) -> datetime:
    """The first moment a stop TRIGGERING since ``since`` is past its grace (stuck is strictly
    past it, so a millisecond beyond)."""
    return since + timedelta(seconds=seconds, milliseconds=1)


def beyond_liquidation(direction: Direction, trigger: Decimal,
                       liquidation: Decimal | None) -> bool:
    """The venue liquidates first: a stop past the liquidation price never fires."""
    if liquidation is None or liquidation <= 0:
        return False
    return trigger <= liquidation if direction is Direction.LONG else trigger >= liquidation


def protects(order: ConditionalOrder, direction: Direction, mark: Decimal,
             grace: TriggerGrace | None = None) -> bool:
    """Would this order, on its own terms, fire on an adverse move from ``mark``?

    STOP (limit) orders do not count: a limit child can rest unfilled through a gap,
    and the policy is a market stop.
    """
    if not order.status.is_open or not order.type.is_stop or order.type is OrderType.STOP:
        return False
    if order.side is not direction.closing_side:
        return False
    if not (order.close_position or order.reduce_only):
        return False
    if order.status is AlgoStatus.TRIGGERING:  # fired: its market order is on the way
        return grace is None or not grace.stuck(order)
    if order.type is OrderType.TRAILING_STOP_MARKET:
        return order.activate_price is None
    return order.trigger_price is not None and on_losing_side(direction, order.trigger_price, mark)


def assess(
    position: Position, open_conditionals: Iterable[ConditionalOrder], mark: Decimal | None = None,
    grace: TriggerGrace | None = None,
) -> CoverageReport:
    mark = position.mark_price if mark is None else mark
    mine = [o for o in open_conditionals if o.symbol == position.symbol and o.status.is_open]
    direction = position.direction
    firing = [o for o in mine if protects(o, direction, mark, grace)]
    at_risk = tuple(o for o in firing if o.trigger_price is not None and beyond_liquidation(
        direction, o.trigger_price, position.liquidation_price))
    good = [o for o in firing if o not in at_risk]
    stuck = tuple(o for o in mine if grace is not None and grace.stuck(o))
    bad = tuple(o for o in mine if o.type.is_stop and o not in good)
    covered = _cover(position, good)
    if covered is not None:
        return CoverageReport(position.symbol, Coverage.COVERED, covered, (), bad, Decimal(0),
                              stuck=stuck)
    total = sum((o.quantity or Decimal(0) for o in good), Decimal(0))
    missing = position.quantity - total
    if _cover(position, firing) is not None:  # covered, but only by stops past liquidation
        return CoverageReport(position.symbol, Coverage.AT_RISK, (), tuple(good), bad, missing,
                              stuck=stuck, at_risk=at_risk)
    coverage = Coverage.PARTIAL if good else Coverage.NAKED
    return CoverageReport(position.symbol, coverage, (), tuple(good), bad, missing, stuck=stuck,
                          at_risk=at_risk)


def _cover(position: Position,
           orders: Sequence[ConditionalOrder]) -> tuple[ConditionalOrder, ...] | None:
    """The orders that together cover the whole position, or None."""
    whole = [o for o in orders if o.close_position]
    if whole:
        return tuple(whole)
    total = sum((o.quantity or Decimal(0) for o in orders), Decimal(0))
    return tuple(orders) if orders and total >= position.quantity else None


def covered_without(
    position: Position, open_conditionals: Sequence[ConditionalOrder], removed: ConditionalOrder,
    mark: Decimal | None = None, grace: TriggerGrace | None = None,
) -> bool:
    """The cancel guard: would the position still be covered if ``removed`` went away?"""
    rest = [o for o in open_conditionals if o.algo_id != removed.algo_id]
    return assess(position, rest, mark, grace).covered
