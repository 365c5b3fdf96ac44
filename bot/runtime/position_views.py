"""Position rows for the dashboard, from what the monitor last read on the exchange."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal

from bot.domain import ConditionalOrder, OrderType, Position, PositionView, SymbolFilters
from bot.metrics import CoverageHistory
from bot.protection.coverage import TriggerGrace, assess


def build_position_views(
    positions: Iterable[Position], book: Iterable[ConditionalOrder], verified_at: datetime | None,
    opened_at: Mapping[str, datetime] | None = None, grace: TriggerGrace | None = None,
    filters: Callable[[str], SymbolFilters] | None = None,
    risk_stops: Mapping[str, Decimal | None] | None = None,
    history: Mapping[str, CoverageHistory] | None = None,
) -> tuple[PositionView, ...]:
    orders = list(book)
    opened_at = opened_at or {}
    views = []
    for pos in sorted(positions, key=lambda p: p.symbol):
        report = assess(pos, orders, grace=grace)
        mine = [o for o in orders if o.symbol == pos.symbol and o.status.is_open]
        fixed = [o for o in report.covering if o.type is not OrderType.TRAILING_STOP_MARKET]
        stop = (fixed or list(report.covering) or list(report.partial) or [None])[0]
        trailing = next((o for o in mine if o.type is OrderType.TRAILING_STOP_MARKET), None)
        tp = next((o for o in mine if o.type in (OrderType.TAKE_PROFIT_MARKET,
                                                OrderType.TAKE_PROFIT)), None)
        trigger = stop.trigger_price if stop is not None else None
        distance = (float(abs(pos.mark_price - trigger) / pos.mark_price * 100)
                    if trigger is not None and pos.mark_price > 0 else None)
        views.append(PositionView(
            symbol=pos.symbol, direction=pos.direction, quantity=pos.quantity,
            entry_price=pos.entry_price, mark_price=pos.mark_price,
            unrealized_pnl=pos.unrealized_pnl, coverage=report.coverage,
            stop_trigger=trigger, stop_distance_pct=distance,
            stop_id=stop.client_algo_id if stop is not None else None,
            working_type=stop.working_type.value if stop is not None else None,
            trailing_rate=trailing.callback_rate if trailing else None,
            trailing_activation=trailing.activate_price if trailing else None,
            take_profit=tp.trigger_price if tp else None,
            verified_at=verified_at, opened_at=opened_at.get(pos.symbol),
            price_decimals=_decimals(filters, pos.symbol, "tick_size"),
            qty_decimals=_decimals(filters, pos.symbol, "step_size"),
            leverage=pos.leverage,
            liquidation_price=(pos.liquidation_price if pos.liquidation_price
                               and pos.liquidation_price > 0 else None),
            risk_stop=(risk_stops or {}).get(pos.symbol),
            **_history((history or {}).get(pos.symbol)),
        ))
    return tuple(views)


def _decimals(filters: Callable[[str], SymbolFilters] | None, symbol: str,
              step: str) -> int | None:
    """How many decimals the symbol's tick or step has: what the page rounds to."""
    if filters is None:
        return None
    try:
        value = getattr(filters(symbol), step)
    except Exception:  # a cache miss must not cost the dashboard its positions
        return None
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else None


def _history(h: CoverageHistory | None) -> dict[str, object]:
    if h is None:
        return {}
    return {"naked_since": h.naked_since, "reprotected_at": h.reprotected_at,
            "last_naked_s": h.last_naked_s}
