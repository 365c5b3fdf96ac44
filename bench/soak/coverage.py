"""The observer's own protection rule, written apart from ``bot.protection.coverage``.

A second, deliberately plain implementation of DESIGN.md's invariant, so that a
bug in the bot's ``assess`` cannot hide itself by also being the judge:
a position is covered when untriggered stop orders on its closing side, each
closePosition or reduce-only, on the losing side of the mark (when the mark is
known), add up to its whole quantity (closePosition counts as everything).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

STOP_TYPES = frozenset({"STOP", "STOP_MARKET"})
TRAILING = "TRAILING_STOP_MARKET"


@dataclass(frozen=True)
class RestingStop:
    """What the venue holds for one open conditional order."""

    algo_id: int
    client_id: str
    symbol: str
    side: str  # BUY | SELL
    type: str
    quantity: Decimal
    trigger: Decimal | None
    close_position: bool
    reduce_only: bool
    activate_price: Decimal | None = None


def closing_side(amount: Decimal) -> str:
    return "SELL" if amount > 0 else "BUY"


def protective(stop: RestingStop, amount: Decimal, mark: Decimal | None = None) -> bool:
    """Would this order, alone, fire on an adverse move of a position of signed ``amount``?"""
    if amount == 0 or stop.side != closing_side(amount):
        return False
    if not (stop.close_position or stop.reduce_only):
        return False  # a plain stop would open the opposite position, not close this one
    if stop.type == TRAILING:
        return stop.activate_price is None
    if stop.type not in STOP_TYPES:
        return False
    if mark is None or stop.trigger is None:
        return True
    return stop.trigger < mark if amount > 0 else stop.trigger > mark


def covered(amount: Decimal, stops: Iterable[RestingStop], mark: Decimal | None = None) -> bool:
    if amount == 0:
        return True
    good = [s for s in stops if protective(s, amount, mark)]
    if any(s.close_position for s in good):
        return True
    return bool(good) and sum((s.quantity for s in good), Decimal(0)) >= abs(amount)


def full_covers(amount: Decimal, stops: Iterable[RestingStop],
                mark: Decimal | None = None) -> list[RestingStop]:
    """Stops that each cover the whole position on their own (two or more: a duplicate)."""
    if amount == 0:
        return []
    return [s for s in stops if protective(s, amount, mark)
            and (s.close_position or s.quantity >= abs(amount))]
