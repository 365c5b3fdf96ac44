"""How much to buy: a fixed share of equity lost if the stop is hit, nothing more.

quantity = equity x risk / |entry - stop|, snapped DOWN to the step (never size
up a risk), capped by what leverage and free margin can carry, and by what one
market order can close: the position with what is already ``held`` stays within
MARKET_LOT_SIZE maxQty, so its reduce-only stop and its emergency close are each
one request the venue accepts. Too small for the exchange (minQty, MIN_NOTIONAL)
is a refusal with a reason, not an order that comes back MIN_NOTIONAL.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.domain import Direction, SymbolFilters


@dataclass(frozen=True)
class Sizing:
    ok: bool
    quantity: Decimal = Decimal(0)
    reason: str = ""
    notional: Decimal = Decimal(0)
    risk_usdt: Decimal = Decimal(0)
    capped: bool = False

    @classmethod
    def refused(cls, reason: str) -> Sizing:
        return cls(False, reason=reason)


def size_position(
    direction: Direction, entry: Decimal, stop: Decimal, equity: Decimal,
    available_margin: Decimal, risk_per_trade: Decimal, leverage: int, filters: SymbolFilters,
    held: Decimal = Decimal(0),
) -> Sizing:
    if entry <= 0:
        return Sizing.refused(f"entry price {entry} is not positive")
    if equity <= 0:
        return Sizing.refused(f"equity {equity} is not positive")
    if not Decimal(0) < risk_per_trade < Decimal(1):
        return Sizing.refused(f"risk per trade {risk_per_trade} outside (0, 1)")
    if leverage < 1:
        return Sizing.refused(f"leverage {leverage} below 1")
    distance = entry - stop if direction is Direction.LONG else stop - entry
    if distance == 0:
        return Sizing.refused(f"stop {stop} equals the entry price: risk cannot be sized")
    if distance < 0:
        where = "below" if direction is Direction.LONG else "above"
        return Sizing.refused(f"stop {stop} must be {where} entry {entry} for a {direction.value}")
    wanted = equity * risk_per_trade / distance
    affordable = Decimal(leverage) * max(available_margin, Decimal(0)) / entry
    quantity = min(wanted, affordable)
    ceiling = filters.max_market_qty
    room = None if ceiling is None else ceiling - max(held, Decimal(0))
    if room is not None:
        quantity = min(quantity, room)
    quantity = filters.round_qty(max(quantity, Decimal(0)), market=True)
    min_qty = filters.market_min_qty or filters.min_qty
    if quantity <= 0 or quantity < min_qty:
        if room is not None and room < min_qty and held > 0:
            return Sizing.refused(f"the position already holds {held} of the {ceiling} one "
                                  f"market order can close: no room for {min_qty} more")
        why = " (capped by leverage x available margin)" if affordable < wanted else ""
        return Sizing.refused(f"quantity {quantity} below minQty {min_qty}{why}")
    notional = quantity * entry
    if notional < filters.min_notional:
        return Sizing.refused(f"notional {notional:.4f} USDT below MIN_NOTIONAL "
                              f"{filters.min_notional}")
    return Sizing(True, quantity, "sized", notional, quantity * distance,
                  capped=affordable < wanted)
