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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.domain import ConditionalOrder, Coverage, Direction, OrderType, Position


@dataclass(frozen=True)
class CoverageReport:
    symbol: str
    coverage: Coverage
    covering: tuple[ConditionalOrder, ...]  # the orders that together protect it
    partial: tuple[ConditionalOrder, ...]  # right side and trigger, too little quantity
    ineffective: tuple[ConditionalOrder, ...]  # stop types for this symbol that protect nothing
    missing_qty: Decimal

    @property
    def covered(self) -> bool:
        return self.coverage is Coverage.COVERED

    def close_position_stop(self, direction: Direction) -> ConditionalOrder | None:
        """An open closePosition stop on the closing side, wherever its trigger sits
        (one per direction: CLOSE_POSITION_STOP_EXISTS)."""
        for order in (*self.covering, *self.ineffective):
            if order.close_position and order.type.is_stop and order.side is direction.closing_side:
                return order
        return None


def on_losing_side(direction: Direction, trigger: Decimal, mark: Decimal) -> bool:
    return trigger < mark if direction is Direction.LONG else trigger > mark


def protects(order: ConditionalOrder, direction: Direction, mark: Decimal) -> bool:
    """Would this order, on its own terms, fire on an adverse move from ``mark``?"""
    if not order.status.is_open or not order.type.is_stop:
        return False
    if order.side is not direction.closing_side:
        return False
    if not (order.close_position or order.reduce_only):
        return False
    if order.type is OrderType.TRAILING_STOP_MARKET:
        return order.activate_price is None
    return order.trigger_price is not None and on_losing_side(direction, order.trigger_price, mark)


def assess(
    position: Position, open_conditionals: Iterable[ConditionalOrder], mark: Decimal | None = None
) -> CoverageReport:
    mark = position.mark_price if mark is None else mark
    mine = [o for o in open_conditionals if o.symbol == position.symbol and o.status.is_open]
    direction = position.direction
    good = [o for o in mine if protects(o, direction, mark)]
    bad = tuple(
        o for o in mine if o.type.is_stop and o not in good
    )
    whole = [o for o in good if o.close_position]
    if whole:
        return CoverageReport(position.symbol, Coverage.COVERED, tuple(whole), (), bad, Decimal(0))
    total = sum((o.quantity or Decimal(0) for o in good), Decimal(0))
    if good and total >= position.quantity:
        return CoverageReport(position.symbol, Coverage.COVERED, tuple(good), (), bad, Decimal(0))
    missing = position.quantity - total
    coverage = Coverage.PARTIAL if good else Coverage.NAKED
    return CoverageReport(position.symbol, coverage, (), tuple(good), bad, missing)


def covered_without(
    position: Position, open_conditionals: Sequence[ConditionalOrder], removed: ConditionalOrder,
    mark: Decimal | None = None,
) -> bool:
    """The cancel guard: would the position still be covered if ``removed`` went away?"""
    rest = [o for o in open_conditionals if o.algo_id != removed.algo_id]
    return assess(position, rest, mark).covered
