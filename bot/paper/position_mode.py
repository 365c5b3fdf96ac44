"""Position mode (one-way / hedge) and Multi-Assets mode: the account settings and their rules.

Binance (USDⓈ-M "Change Position Mode", "Change Multi-Assets Mode", New Order):
in one-way mode an order's ``positionSide`` is BOTH (the default); in hedge mode
(``dualSidePosition``) it must be LONG or SHORT (-4061 otherwise) and
``reduceOnly`` cannot be sent (-1106): SELL LONG and BUY SHORT close, BUY LONG
and SELL SHORT open. The mode cannot change while a position (-4068) or an open
order (-4067) exists. Multi-Assets mode cannot change with open orders (-4170);
setting the mode already set is -4059 / -4171.

What the venue does not model: it keeps one net position per symbol, so in
hedge mode it refuses to open one side while the other is held (a paper
refusal, -2010 NEW_ORDER_REJECTED) instead of holding both. Everything else in hedge mode
runs on that net position, shown on the LONG or SHORT row.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import TypeVar

from bot.paper import errors
from bot.paper.model import AlgoRequest, OrderRequest, Side

Req = TypeVar("Req", OrderRequest, AlgoRequest)
HEDGE_SIDES = ("LONG", "SHORT")


def closes(side: Side, position_side: str) -> bool:
    """In hedge mode SELL LONG and BUY SHORT close a position; the other two open one."""
    return (side is Side.SELL) == (position_side == "LONG")


def check_position_side(req: Req, dual_side: bool, amount: Decimal) -> Req:
    """The request as the (netting) engine runs it, or the error Binance answers."""
    if not dual_side:
        if req.position_side != "BOTH":
            raise errors.position_side_mismatch()
        return req
    if req.position_side not in HEDGE_SIDES:
        raise errors.position_side_mismatch()
    if req.reduce_only_sent:
        raise errors.not_required("reduceonly")
    if closes(req.side, req.position_side):
        return req if getattr(req, "close_position", False) else replace(req, reduce_only=True)
    other_side_held = amount < 0 if req.position_side == "LONG" else amount > 0
    if other_side_held:
        raise errors.hedge_both_sides_not_modelled()
    return req


def check_mode_switch(has_position: bool, has_open_orders: bool) -> None:
    if has_position:
        raise errors.position_side_change_position()
    if has_open_orders:
        raise errors.position_side_change_open_orders()


def row_side(dual_side: bool, amount: Decimal) -> str:
    """positionSide of a position row: BOTH in one-way mode, the net side in hedge mode."""
    if not dual_side:
        return "BOTH"
    return "SHORT" if amount < 0 else "LONG"
