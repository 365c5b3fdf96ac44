"""Position rows for the dashboard, from what the monitor last read on the exchange."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from bot.domain import ConditionalOrder, OrderType, Position, PositionView
from bot.protection.coverage import assess


def build_position_views(
    positions: Iterable[Position], book: Iterable[ConditionalOrder], verified_at: datetime | None,
    opened_at: Mapping[str, datetime] | None = None,
) -> tuple[PositionView, ...]:
    orders = list(book)
    opened_at = opened_at or {}
    views = []
    for pos in sorted(positions, key=lambda p: p.symbol):
        report = assess(pos, orders)
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
        ))
    return tuple(views)
