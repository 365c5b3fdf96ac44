"""Symbol rules that change while the venue runs: tick, step, algo cap, contract status.

Binance changes a live symbol's PRICE_FILTER / LOT_SIZE and its status with an
announcement, and a bot that cached exchangeInfo at start-up then sends prices
the venue now refuses (-4014, -4023, -1111). The new spec applies to every new
request at once; open orders keep their prices, as on Binance. Precisions grow
with a finer tick or step (a coarser one keeps them), so a price that fits the
new tick is never refused for its decimals.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.paper import symbol_status
from bot.paper.specs import SymbolSpec


def positive_decimal(value: Any, name: str) -> Decimal:
    """An operator's number for a price or a filter: a clear error, never a silent zero."""
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not result.is_finite() or result <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return result


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def changed_spec(spec: SymbolSpec, tick_size: Any = None, step_size: Any = None,
                 max_algo_orders: int | None = None, status: str | None = None,
                 market_max_qty: Any = None) -> SymbolSpec:
    """The spec with the given rules changed; ValueError (nothing changed) on bad input."""
    changes: dict[str, Any] = {}
    if tick_size is not None:
        tick = positive_decimal(tick_size, "tick_size")
        changes.update(tick_size=tick,
                       price_precision=max(spec.price_precision, _decimals(tick)))
    if step_size is not None:
        step = positive_decimal(step_size, "step_size")
        changes.update(step_size=step, min_qty=max(spec.min_qty, step),
                       quantity_precision=max(spec.quantity_precision, _decimals(step)))
    if market_max_qty is not None:
        cap = positive_decimal(market_max_qty, "market_max_qty")
        step = changes.get("step_size", spec.step_size)
        if cap % step != 0 or cap < changes.get("min_qty", spec.min_qty):
            raise ValueError(f"market_max_qty {cap} must be a multiple of the step {step} "
                             f"and at least minQty")
        changes["market_max_qty"] = cap
    if max_algo_orders is not None:
        if isinstance(max_algo_orders, bool) or int(max_algo_orders) < 1:
            raise ValueError("max_algo_orders must be an integer >= 1")
        changes["max_algo_orders"] = int(max_algo_orders)
    if status is not None:
        changes["status"] = symbol_status.check_status(status)
    if not changes:
        raise ValueError("nothing to change: give tick_size, step_size, market_max_qty, "
                         "max_algo_orders or status")
    return replace(spec, **changes)
