"""Why a position lost its cover: told once, by name, so the operator can act on the cause.

The monitor repairs whatever the cause; this says which it was. A stop cancelled
by someone else than this bot, one the venue rejected or expired at trigger, one
stuck in TRIGGERING, one that lies beyond the liquidation price: each is a red
flag of its own, raised once per stop, not every cycle.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence

from bot.domain import AlgoStatus, ConditionalOrder, EventKind, Position
from bot.domain.errors import ExchangeError
from bot.protection.coverage import CoverageReport
from bot.protection.ports import Exchange
from bot.protection.recorder import EventRecorder

log = logging.getLogger(__name__)

_REMEMBERED = 10_000
_GONE = {
    AlgoStatus.CANCELED: EventKind.STOP_CANCELED_WHILE_OPEN,
    AlgoStatus.REJECTED: EventKind.STOP_LOST,
    AlgoStatus.EXPIRED: EventKind.STOP_LOST,
}


class LostStops:
    def __init__(self, exchange: Exchange, recorder: EventRecorder,
                 cancelled_by_us: Callable[[int], bool]) -> None:
        self._ex = exchange
        self._rec = recorder
        self._ours = cancelled_by_us
        self._told: OrderedDict[tuple[int, EventKind], None] = OrderedDict()

    def explain(self, pos: Position, seen_before: Sequence[ConditionalOrder],
                book: Sequence[ConditionalOrder], report: CoverageReport) -> None:
        """Record the cause of an uncovered ``pos``: vanished, stuck or beyond liquidation."""
        now_ids = {o.algo_id for o in book}
        for old in seen_before:
            if (old.algo_id not in now_ids and old.type.is_stop
                    and old.side is pos.direction.closing_side and not self._ours(old.algo_id)):
                self._vanished(pos, old)
        for order in report.stuck:
            self._tell(EventKind.STOP_STUCK, pos, order,
                       f"stop {order.client_algo_id} stuck in TRIGGERING since "
                       f"{order.updated_at:%H:%M:%S} - no cover, protecting again")
        for order in report.at_risk:
            self._tell(EventKind.STOP_AT_RISK, pos, order,
                       f"stop {order.client_algo_id} @ {order.trigger_price} lies beyond the "
                       f"liquidation price {pos.liquidation_price} - moving it inside")

    def _vanished(self, pos: Position, old: ConditionalOrder) -> None:
        try:
            seen = self._ex.get_conditional(pos.symbol, old.client_algo_id)
        except ExchangeError:
            return
        kind = _GONE.get(seen.status) if seen is not None else None
        if kind is None or seen is None:
            return
        why = {AlgoStatus.CANCELED: "was cancelled while its position was open, not by this bot",
               AlgoStatus.REJECTED: "was rejected by the venue at trigger",
               AlgoStatus.EXPIRED: "was expired by the venue"}[seen.status]
        self._tell(kind, pos, old, f"stop {old.client_algo_id} @ {old.trigger_price} {why} - "
                   "re-protecting", status=seen.status.value)

    def _tell(self, kind: EventKind, pos: Position, order: ConditionalOrder, message: str,
              status: str | None = None) -> None:
        key = (order.algo_id, kind)
        if key in self._told:
            return
        self._told[key] = None
        while len(self._told) > _REMEMBERED:
            self._told.popitem(last=False)
        self._rec.record(kind, pos.symbol, message,
                         details={"algo_id": order.algo_id, "client_algo_id": order.client_algo_id,
                                  "trigger": order.trigger_price,
                                  "status": status or order.status.value})
        log.critical("[SHIELD] %s: %s", pos.symbol, message)
