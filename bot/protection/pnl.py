"""Profit and loss of a closed trade, and whether it breaches the loss flag."""

from __future__ import annotations

from decimal import Decimal

from bot.domain import Direction


def pnl_usdt(direction: Direction, entry: Decimal, exit_price: Decimal, qty: Decimal) -> Decimal:
    sign = Decimal(1) if direction is Direction.LONG else Decimal(-1)
    return (exit_price - entry) * qty * sign


def pct_of_equity(pnl: Decimal, equity: Decimal | None) -> Decimal | None:
    if equity is None or equity <= 0:
        return None
    return (pnl / equity * 100).quantize(Decimal("0.0001"))


def loss_over_limit(pct: Decimal | None, limit_pct: Decimal) -> bool:
    return pct is not None and pct < 0 and -pct > limit_pct
